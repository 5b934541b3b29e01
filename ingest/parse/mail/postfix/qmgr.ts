/**
 * qmgr, the queue manager: a message enters the active queue (`from=<a>, size=123, nrcpt=2 (queue active)`), is
 * removed once every recipient is done, or expires and goes back to its sender. It also writes recipient lines of
 * its own (`to=<b>, relay=none, ... status=deferred (...)`) for recipients it defers without a delivery daemon.
 */
import type { MailEvent } from '../types';
import { newEvent, parseQueuedLine, type Origin } from './event';
import { parseRecipientLine } from './delivery';
import { parseKeyValues } from './keyvalue';
import { parseLevelLine } from './level';

const QUEUE_ACTIVE = ' (queue active)';
const SKIPPED = 'skipped, still being delivered';

export function parseQmgr(message: string, origin: Origin): MailEvent | undefined {
  return parseQueuedLine(message, origin, withQueueId) ?? parseLevelLine(message, origin);
}

function withQueueId(message: string, body: number, origin: Origin): MailEvent | undefined {
  if (message.length - body === 7 && message.startsWith('removed', body)) {
    return newEvent(origin, 'removed', ['email']);
  }
  if (message.startsWith('from=', body)) return sender(message, body, origin);
  if (message.startsWith('to=', body)) return parseRecipientLine(message, body, origin);
  if (message.startsWith(SKIPPED, body)) {
    // The message is still with a delivery daemon from before a queue manager restart.
    const event = newEvent(origin, 'skipped', ['email']);
    event.statusText = message.slice(body);
    return event;
  }
  return undefined;
}

/** `from=<a>, size=123, nrcpt=2 (queue active)` or `from=<a>, status=expired, returned to sender`. */
function sender(message: string, start: number, origin: Origin): MailEvent | undefined {
  const { values, end } = parseKeyValues(message, start);
  if (values.status === 'expired') {
    const event = newEvent(origin, 'expired', ['email']);
    event.from = values.from;
    event.status = 'expired';
    event.outcome = 'failure';
    if (message.startsWith(', ', end)) event.statusText = message.slice(end + 2);
    return event;
  }
  if (!message.startsWith(QUEUE_ACTIVE, end)) return undefined;
  const event = newEvent(origin, 'queued', ['email']);
  event.from = values.from;
  const size = Number(values.size);
  if (values.size !== undefined && Number.isFinite(size)) event.size = size;
  const recipients = Number(values.nrcpt);
  if (values.nrcpt !== undefined && Number.isFinite(recipients)) event.recipientCount = recipients;
  return event;
}
