/** The start of every event the Postfix parsers make: where it came from and what happened. */
import type { MailEvent } from '../types';
import { afterQueueId } from './queueid';

/** The process a line came from: a Postfix instance and daemon, or a milter logging under its own name. */
export interface Origin {
  instance?: string;
  daemon?: string;
}

export function newEvent(origin: Origin, action: string, category: MailEvent['category']): MailEvent {
  const event: MailEvent = { mta: 'postfix', action, category };
  if (origin.daemon !== undefined) event.daemon = origin.daemon;
  if (origin.instance !== undefined) event.instance = origin.instance;
  return event;
}

/** The event's `extra` record, made on first use so that lines with nothing extra carry none. */
export function extraOf(event: MailEvent): Record<string, string> {
  return (event.extra ??= {});
}

/** A queue id as the reconstruction keys on it: `NOQUEUE` names no queue file and must not join lines together. */
export function setQueueId(event: MailEvent, text: string, start: number, end: number): void {
  if (end - start === 7 && text.startsWith('NOQUEUE', start)) return;
  event.queueId = text.slice(start, end);
}

/** What reads the text after a line's `QUEUEID: `, which starts at `body`. */
export type QueuedLineParser = (message: string, body: number, origin: Origin) => MailEvent | undefined;

/**
 * A line that starts with `QUEUEID: `, read by `read` and given that queue id; undefined when no queue id starts the
 * line or `read` does not know the text after it.
 */
export function parseQueuedLine(message: string, origin: Origin, read: QueuedLineParser): MailEvent | undefined {
  const body = afterQueueId(message);
  if (body < 0) return undefined;
  const event = read(message, body, origin);
  if (event !== undefined) setQueueId(event, message, 0, body - 2);
  return event;
}

/** The envelope Postfix appends to a refusal or a content check: `from=<a> to=<b> proto=ESMTP helo=<c>`. */
export function setEnvelope(event: MailEvent, values: Record<string, string>): void {
  if (values.from !== undefined) event.from = values.from;
  if (values.to !== undefined) event.to = values.to;
  if (values.proto !== undefined) event.protocol = values.proto;
  if (values.helo !== undefined) event.helo = values.helo;
}
