/**
 * The lines any Postfix process writes through msg_warn, msg_error, msg_fatal and msg_panic: `warning: text`,
 * sometimes after or before a queue id (`warning: 9BECF3F19D: map lookup problem`) and often about a client
 * (`warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: ...`).
 */
import type { MailEvent } from '../types';
import { extraOf, newEvent, setQueueId, type Origin } from './event';
import { endOfPeer, parsePeer } from './peer';
import { afterQueueId } from './queueid';

const LEVELS = ['warning', 'error', 'fatal', 'panic'] as const;

/** Where the level word ends (at its colon), or -1 when no level word starts at `start`. */
function levelEnd(message: string, start: number): number {
  for (const level of LEVELS) {
    if (message.startsWith(level, start) && message.charCodeAt(start + level.length) === 0x3a) {
      return message.charCodeAt(start + level.length + 1) === 0x20 ? start + level.length : -1;
    }
  }
  return -1;
}

/**
 * A `warning:`/`error:`/`fatal:`/`panic:` line as an event with action `warning`, the level in `extra.level`, the
 * text after any queue id and client in `statusText`; undefined when the message is not one.
 */
export function parseLevelLine(message: string, origin: Origin): MailEvent | undefined {
  let start = 0;
  const leadingId = afterQueueId(message, 0);
  if (leadingId >= 0) start = leadingId;
  const end = levelEnd(message, start);
  if (end < 0) return undefined;
  const event = newEvent(origin, 'warning', ['process']);
  if (leadingId >= 0) setQueueId(event, message, 0, leadingId - 2);
  extraOf(event).level = message.slice(start, end);
  let text = end + 2;
  const innerId = afterQueueId(message, text);
  if (innerId >= 0) {
    setQueueId(event, message, text, innerId - 2);
    text = innerId;
  }
  const peerEnd = endOfPeer(message, text);
  if (peerEnd > 0 && message.charCodeAt(peerEnd) === 0x3a && message.charCodeAt(peerEnd + 1) === 0x20) {
    const client = parsePeer(message, text, peerEnd);
    if (client !== undefined) {
      event.client = client;
      text = peerEnd + 2;
    }
  }
  event.statusText = message.slice(text);
  return event;
}
