/**
 * A message's state in the queue and the queue runner's work: `Completed` (the message is about to leave the
 * spool), `Message is frozen` and `Frozen`/`Unfrozen`, a spool file another process holds, and the start and end
 * of a queue run.
 */
import type { MailEvent } from '../types';
import { eximDuration, readFields } from './fields';

const COMPLETED = 'Completed';
const FROZEN = ['Message is frozen', 'Frozen'];
const UNFROZEN = 'Unfrozen';
const LOCKED = ['Spool file is locked', 'spool file is locked', 'Spool file locked', 'spool file locked'];
const QUEUE_RUN = [
  ['Start queue run', 'queue-run-start'],
  ['End queue run', 'queue-run-end'],
] as const;

function endsWord(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return i >= text.length || c === 0x20 || c === 0x3a || c === 0x28;
}

function startsWithWords(text: string, start: number, words: string): boolean {
  return text.startsWith(words, start) && endsWord(text, start + words.length);
}

/** A line about a queued message's state; undefined when `text[start]` is not one. */
export function parseQueueState(text: string, start: number): MailEvent | undefined {
  if (startsWithWords(text, start, COMPLETED)) {
    const event: MailEvent = { mta: 'exim', action: 'removed', category: ['email'], outcome: 'success' };
    const onQueue = eximDuration(readFields(text, start + COMPLETED.length).values.QT);
    if (onQueue !== undefined) event.delay = onQueue;
    return event;
  }
  for (const words of FROZEN) {
    if (startsWithWords(text, start, words)) return withReason('frozen', text, start + words.length);
  }
  if (startsWithWords(text, start, UNFROZEN)) return withReason('unfrozen', text, start + UNFROZEN.length);
  for (const words of LOCKED) {
    if (startsWithWords(text, start, words)) return withReason('warning', text, start);
  }
  return undefined;
}

/** `Start queue run: pid=12762`, `End queue run: pid=12762 -qf`; undefined when `text[start]` is not one. */
export function parseQueueRun(text: string, start: number): MailEvent | undefined {
  for (const [words, action] of QUEUE_RUN) {
    if (!startsWithWords(text, start, words)) continue;
    const event: MailEvent = { mta: 'exim', action, category: ['process'] };
    const pid = text.indexOf('pid=', start + words.length);
    if (pid >= 0) {
      let end = text.indexOf(' ', pid);
      if (end < 0) end = text.length;
      event.extra = { pid: text.slice(pid + 4, end) };
    }
    return event;
  }
  return undefined;
}

function withReason(action: string, text: string, from: number): MailEvent {
  const event: MailEvent = { mta: 'exim', action, category: ['email'] };
  let i = from;
  while (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x3a) i++;
  if (i < text.length) event.extra = { reason: text.slice(i) };
  return event;
}
