/**
 * The small daemons and tools whose lines carry little but matter to the story of a message or a client: bounce
 * (the notice a message caused), pickup (local submission), postsuper (an administrator's hand on the queue),
 * dnsblog (postscreen's DNSBL answers) and tlsproxy (postscreen's TLS).
 */
import type { MailEvent } from '../types';
import { extraOf, newEvent, setQueueId, type Origin } from './event';
import { parseKeyValues } from './keyvalue';
import { parsePeer } from './peer';
import { afterQueueId, isQueueId } from './queueid';

const NOTIFICATION = ' notification: ';

/**
 * bounce: `QUEUEID: sender non-delivery notification: NEWID` (and `postmaster`, `delivery status`, `delay`): the
 * notice this message caused, queued as NEWID, in `nextQueueId`.
 */
export function parseBounce(message: string, origin: Origin): MailEvent | undefined {
  const body = afterQueueId(message);
  if (body < 0) return undefined;
  const notification = message.indexOf(NOTIFICATION, body);
  const recipientEnd = message.indexOf(' ', body);
  if (notification < 0 || recipientEnd >= notification) return undefined;
  const nextQueueId = message.slice(notification + NOTIFICATION.length);
  if (!isQueueId(nextQueueId)) return undefined;
  const event = newEvent(origin, 'bounce-notice', ['email']);
  setQueueId(event, message, 0, body - 2);
  event.nextQueueId = nextQueueId;
  event.extra = {
    notice_recipient: message.slice(body, recipientEnd),
    notice_kind: message.slice(recipientEnd + 1, notification),
  };
  return event;
}

/** pickup: `QUEUEID: uid=0 from=<root>`: a message submitted by a local user through sendmail/postdrop. */
export function parsePickup(message: string, origin: Origin): MailEvent | undefined {
  const body = afterQueueId(message);
  if (body < 0) return undefined;
  const { values } = parseKeyValues(message, body);
  if (values.uid === undefined && values.from === undefined) return undefined;
  const event = newEvent(origin, 'pickup', ['email']);
  setQueueId(event, message, 0, body - 2);
  if (values.from !== undefined) event.from = values.from;
  if (values.uid !== undefined) extraOf(event).uid = values.uid;
  return event;
}

const POSTSUPER_ACTIONS: ReadonlyMap<string, string> = new Map([
  ['removed', 'removed'],
  ['requeued', 'requeued'],
  ['placed on hold', 'held'],
  ['released from hold', 'released'],
]);

const POSTSUPER_SUMMARIES: ReadonlySet<string> = new Set([
  'Deleted',
  'Requeued',
  'Placed on hold',
  'Released from hold',
]);

/**
 * postsuper: `QUEUEID: placed on hold` for one message, `Placed on hold: 67 messages` for the whole run; the
 * words as written in `statusText` and `extra.operation`.
 */
export function parsePostsuper(message: string, origin: Origin): MailEvent | undefined {
  const body = afterQueueId(message);
  if (body >= 0) {
    const text = message.slice(body);
    const action = POSTSUPER_ACTIONS.get(text);
    if (action === undefined) return undefined;
    const event = newEvent(origin, action, ['email']);
    setQueueId(event, message, 0, body - 2);
    event.statusText = text;
    return event;
  }
  const colon = message.indexOf(': ');
  if (colon < 0 || !POSTSUPER_SUMMARIES.has(message.slice(0, colon))) return undefined;
  const countEnd = message.indexOf(' ', colon + 2);
  const event = newEvent(origin, 'queue-summary', ['email']);
  event.extra = {
    operation: message.slice(0, colon),
    count: message.slice(colon + 2, countEnd < 0 ? message.length : countEnd),
  };
  return event;
}

const ADDR = 'addr ';
const LISTED_BY = ' listed by domain ';
const AS = ' as ';

/** dnsblog: `addr 192.0.2.1 listed by domain zen.spamhaus.org as 127.0.0.2`. */
export function parseDnsblog(message: string, origin: Origin): MailEvent | undefined {
  if (!message.startsWith(ADDR)) return undefined;
  const listed = message.indexOf(LISTED_BY, ADDR.length);
  if (listed < 0) return undefined;
  const as = message.indexOf(AS, listed + LISTED_BY.length);
  if (as < 0) return undefined;
  const event = newEvent(origin, 'dnsbl-listed', ['email', 'intrusion_detection']);
  event.client = { ip: message.slice(ADDR.length, listed) };
  event.extra = {
    dnsbl: message.slice(listed + LISTED_BY.length, as),
    dnsbl_result: message.slice(as + AS.length),
  };
  return event;
}

/** tlsproxy: `CONNECT from [192.0.2.1]:51637`, `DISCONNECT [192.0.2.1]:51637`. */
export function parseTlsproxy(message: string, origin: Origin): MailEvent | undefined {
  let action: string;
  let start: number;
  if (message.startsWith('CONNECT from ')) {
    action = 'connect';
    start = 13;
  } else if (message.startsWith('DISCONNECT ')) {
    action = 'disconnect';
    start = 11;
  } else {
    return undefined;
  }
  const client = parsePeer(message, start);
  if (client === undefined) return undefined;
  const event = newEvent(origin, action, ['email', 'network']);
  event.client = client;
  return event;
}
