/**
 * The delivery daemons (smtp, lmtp, local, virtual, pipe, error, discard, and the relay and retry services): one
 * line per recipient and attempt,
 *
 *   QUEUEID: to=<b>, orig_to=<c>, relay=host[1.2.3.4]:25, delay=3.6, delays=0.2/0.02/0.04/3.3, dsn=2.0.0,
 *     status=sent (250 2.0.0 Ok: queued as 153053D)
 *
 * and the smtp and lmtp client's account of a conversation that went wrong: a connection refused or lost, a
 * remote reply, a TLS failure.
 */
import type { DeliveryStatus, Delays, MailEvent, Peer } from '../types';
import { extraOf, newEvent, parseQueuedLine, type Origin } from './event';
import { parseKeyValues } from './keyvalue';
import { parseLevelLine } from './level';
import { endOfPeer, parsePeer } from './peer';
import { parseReply, queuedAs } from './reply';
import { parseTlsEstablished, readTlsFeatures } from './tls';

const STATUSES: ReadonlySet<string> = new Set<DeliveryStatus>([
  'sent',
  'deferred',
  'bounced',
  'expired',
  'discarded',
  'rejected',
  'undeliverable',
  'deliverable',
  'failed',
]);

const OUTCOMES: Readonly<Record<string, MailEvent['outcome']>> = {
  sent: 'success',
  deliverable: 'success',
  deferred: 'unknown',
  bounced: 'failure',
  expired: 'failure',
  discarded: 'failure',
  rejected: 'failure',
  undeliverable: 'failure',
  failed: 'failure',
};

export function parseDelivery(message: string, origin: Origin): MailEvent | undefined {
  return (
    parseQueuedLine(message, origin, withQueueId) ??
    parseLevelLine(message, origin) ??
    conversation(message, 0, origin) ??
    parseTlsEstablished(message, 0, origin)
  );
}

function withQueueId(message: string, body: number, origin: Origin): MailEvent | undefined {
  if (message.startsWith('to=', body)) return parseRecipientLine(message, body, origin);
  return conversation(message, body, origin);
}

/** The four stages of `delays=a/b/c/d`, or undefined when the value does not have four numbers. */
export function parseDelays(value: string): Delays | undefined {
  const first = value.indexOf('/');
  const second = first < 0 ? -1 : value.indexOf('/', first + 1);
  const third = second < 0 ? -1 : value.indexOf('/', second + 1);
  if (third < 0) return undefined;
  const delays: Delays = {
    beforeQueueManager: Number(value.slice(0, first)),
    inQueueManager: Number(value.slice(first + 1, second)),
    connectionSetup: Number(value.slice(second + 1, third)),
    transmission: Number(value.slice(third + 1)),
  };
  for (const key in delays) if (!Number.isFinite(delays[key as keyof Delays])) return undefined;
  return delays;
}

/**
 * `relay=` as written: `host[1.2.3.4]:25`, a transport's own name (`none`, `local`, `virtual`, `dovecot`), or
 * `host[private/dovecot-lmtp]` for a UNIX socket, whose path comes back as `socket`.
 */
export function parseRelay(value: string): { relay: Peer; socket?: string } {
  const open = value.indexOf('[');
  if (open < 0) return { relay: { host: value } };
  const peer = parsePeer(value);
  if (peer !== undefined) return { relay: peer };
  const close = value.indexOf(']', open);
  const relay: Peer = open > 0 ? { host: value.slice(0, open) } : {};
  return { relay, socket: value.slice(open + 1, close < 0 ? value.length : close) };
}

/** A recipient's outcome, from `to=` to the status and the text in parentheses. */
export function parseRecipientLine(message: string, start: number, origin: Origin): MailEvent | undefined {
  const { values, end } = parseKeyValues(message, start);
  const word = values.status;
  if (values.to === undefined || word === undefined) return undefined;
  const event = newEvent(origin, 'delivery', ['email']);
  event.to = values.to;
  if (values.orig_to !== undefined) event.origTo = values.orig_to;
  if (values.relay !== undefined) {
    const { relay, socket } = parseRelay(values.relay);
    event.relay = relay;
    if (socket !== undefined) extraOf(event).relay_socket = socket;
  }
  if (values.delay !== undefined) {
    const delay = Number(values.delay);
    if (Number.isFinite(delay)) event.delay = delay;
  }
  if (values.delays !== undefined) {
    const delays = parseDelays(values.delays);
    if (delays !== undefined) event.delays = delays;
  }
  if (values.dsn !== undefined) event.dsn = values.dsn;
  if (values.conn_use !== undefined) extraOf(event).conn_use = values.conn_use;
  if (values.tls !== undefined) readTlsFeatures(values.tls, extraOf(event));
  setStatus(event, word);
  if (message.startsWith(' (', end)) {
    const close = message.charCodeAt(message.length - 1) === 0x29 ? message.length - 1 : message.length;
    event.statusText = message.slice(end + 2, close);
    if (event.status === 'sent') {
      const next = queuedAs(event.statusText) ?? forwardedAs(event.statusText);
      if (next !== undefined) event.nextQueueId = next;
    }
  }
  return event;
}

/**
 * Postfix's status words, with the address verification variants (`undeliverable-but-not-cached`) folded into
 * the status they qualify and kept as written in `extra.status`.
 */
function setStatus(event: MailEvent, word: string): void {
  const dash = word.indexOf('-');
  const status = dash < 0 ? word : word.slice(0, dash);
  if (dash >= 0 || !STATUSES.has(status)) extraOf(event).status = word;
  if (STATUSES.has(status)) {
    event.status = status as DeliveryStatus;
    event.outcome = OUTCOMES[status];
  }
}

const FORWARDED_AS = 'forwarded as ';

/** local(8) forwarding through an alias: `forwarded as 3F2A1C0B`, the new queue file of the forwarded copy. */
function forwardedAs(text: string): string | undefined {
  if (!text.startsWith(FORWARDED_AS)) return undefined;
  const id = text.slice(FORWARDED_AS.length);
  return id === '' ? undefined : id;
}

/** `<prefix>PEER<suffix>`: where the peer ends, and the peer, or undefined when none is there. */
function peerAt(message: string, start: number): { peer: Peer; end: number } | undefined {
  const end = endOfPeer(message, start);
  if (end < 0) return undefined;
  const peer = parsePeer(message, start, end);
  return peer === undefined ? undefined : { peer, end };
}

type ConversationReader = (message: string, start: number, action: string, origin: Origin) => MailEvent | undefined;

/** Lines that name the remote server and what went wrong with it: the words they start with, the action. */
const CONVERSATIONS: ReadonlyArray<readonly [string, string, ConversationReader]> = [
  ['connect to ', 'connect-failure', failure],
  ['SSL_connect error to ', 'tls-failure', failure],
  ['certificate verification failed for ', 'tls-verification-failure', failure],
  ['lost connection with ', 'lost-connection', lost],
  ['conversation with ', 'timeout', lost],
  ['host ', 'remote-reply', remoteReply],
  ['SASL authentication failed; server ', 'auth-failure', authFailure],
  ['enabling PIX workarounds: ', 'pix-workaround', pixWorkarounds],
];

function conversation(message: string, start: number, origin: Origin): MailEvent | undefined {
  for (const [words, action, read] of CONVERSATIONS) {
    if (message.startsWith(words, start)) return read(message, start + words.length, action, origin);
  }
  return undefined;
}

/** `connect to host[1.2.3.4]:25: Connection refused` and the like: the reason in `statusText`. */
function failure(message: string, start: number, action: string, origin: Origin): MailEvent | undefined {
  const at = peerAt(message, start);
  if (at === undefined || !message.startsWith(': ', at.end)) return undefined;
  const event = newEvent(origin, action, ['email', 'network']);
  event.outcome = 'failure';
  event.relay = at.peer;
  event.statusText = message.slice(at.end + 2);
  return event;
}

/**
 * `lost connection with host[1.2.3.4] while sending RCPT TO`, `conversation with host[1.2.3.4] timed out while
 * receiving the initial server greeting`: what the client was doing in `statusText`.
 */
function lost(message: string, start: number, action: string, origin: Origin): MailEvent | undefined {
  const at = peerAt(message, start);
  if (at === undefined) return undefined;
  let i = at.end;
  if (action === 'timeout') {
    if (!message.startsWith(' timed out', i)) return undefined;
    i += 10;
  }
  const event = newEvent(origin, action, ['email', 'network']);
  event.outcome = 'failure';
  event.relay = at.peer;
  if (message.startsWith(' while ', i)) event.statusText = message.slice(i + 7);
  return event;
}

const SAID = ' said: ';
const REFUSED = ' refused to talk to me: ';
const IN_REPLY_TO = ' (in reply to ';
const COMMAND = ' command)';

/**
 * `host host[1.2.3.4] said: 450 4.7.1 ... (in reply to RCPT TO command)`: the remote server's reply, the SMTP
 * stage in `extra.stage`. `refused to talk to me` is a greeting that was not 220.
 */
function remoteReply(message: string, start: number, action: string, origin: Origin): MailEvent | undefined {
  const at = peerAt(message, start);
  if (at === undefined) return undefined;
  const said = message.startsWith(SAID, at.end);
  if (!said && !message.startsWith(REFUSED, at.end)) return undefined;
  const replyStart = at.end + (said ? SAID.length : REFUSED.length);
  const event = newEvent(origin, said ? action : 'remote-refused', ['email']);
  event.relay = at.peer;
  let replyEnd = message.length;
  if (message.endsWith(COMMAND)) {
    const inReplyTo = message.lastIndexOf(IN_REPLY_TO);
    if (inReplyTo > replyStart) {
      extraOf(event).stage = message.slice(inReplyTo + IN_REPLY_TO.length, message.length - COMMAND.length);
      replyEnd = inReplyTo;
    }
  }
  readRemoteReply(message, replyStart, replyEnd, event);
  return event;
}

function readRemoteReply(message: string, start: number, end: number, event: MailEvent): void {
  const reply = parseReply(message, start, end);
  event.statusText = message.slice(start, end);
  if (reply.code !== undefined) {
    extraOf(event).reply_code = String(reply.code);
    // 4xx and 5xx are the server saying no; a 2xx here would be a reply logged for another reason.
    if (reply.code >= 400) event.outcome = 'failure';
  }
  if (reply.dsn !== undefined) event.dsn = reply.dsn;
}

/** `SASL authentication failed; server host[1.2.3.4] said: 535 5.7.8 ...`: our own login at a relay failed. */
function authFailure(message: string, start: number, action: string, origin: Origin): MailEvent | undefined {
  const at = peerAt(message, start);
  if (at === undefined || !message.startsWith(SAID, at.end)) return undefined;
  const event = newEvent(origin, action, ['email', 'authentication']);
  event.relay = at.peer;
  readRemoteReply(message, at.end + SAID.length, message.length, event);
  event.outcome = 'failure';
  return event;
}

/** `enabling PIX workarounds: disable_esmtp delay_dotcrlf for host[1.2.3.4]:25`: a Cisco PIX mangles SMTP there. */
function pixWorkarounds(message: string, start: number, action: string, origin: Origin): MailEvent | undefined {
  const forAt = message.lastIndexOf(' for ');
  if (forAt < start) return undefined;
  const at = peerAt(message, forAt + 5);
  if (at === undefined) return undefined;
  const event = newEvent(origin, action, ['email', 'network']);
  event.relay = at.peer;
  extraOf(event).pix_workarounds = message.slice(start, forAt);
  return event;
}
