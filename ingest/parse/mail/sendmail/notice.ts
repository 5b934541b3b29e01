/**
 * Sendmail's notes about a message that are not deliveries: `<x@y>... User unknown` (a recipient refused during
 * the SMTP session), `<notice id>: DSN: Service unavailable` (a notice about the message was queued under its own
 * id), and `SYSERR(root): ...` (a system error).
 */
import type { MailEvent } from '../types';

/** The kinds of notice savemail.c names: a bounce, a bounce returned to a sender, a postmaster copy, a delay warning. */
const NOTICES = ['DSN', 'return to sender', 'postmaster notify', 'sender notify'];
const SYSERR = 'SYSERR';

/** `<x@y>... text`: the recipient Sendmail refused and why. */
function refusedRecipient(text: string, start: number): MailEvent | undefined {
  if (text.charCodeAt(start) !== 0x3c) return undefined;
  const close = text.indexOf('>... ', start);
  if (close < 0) return undefined;
  return {
    mta: 'sendmail',
    action: 'reject',
    category: ['email'],
    outcome: 'failure',
    to: text.slice(start + 1, close),
    reject: { text: text.slice(close + 5), stage: 'RCPT' },
  };
}

/**
 * A notice at `start`; `nextQueueId` is the queue id written after the message's own (the bounce notice's). Undefined
 * when `text[start]` is not one.
 */
export function parseNotice(text: string, start: number, nextQueueId: string | undefined): MailEvent | undefined {
  for (const kind of NOTICES) {
    if (!text.startsWith(kind, start) || !text.startsWith(': ', start + kind.length)) continue;
    const event: MailEvent = {
      mta: 'sendmail',
      action: 'bounce-notice',
      category: ['email'],
      statusText: text.slice(start + kind.length + 2),
      extra: { notice_kind: kind },
    };
    if (nextQueueId !== undefined) event.nextQueueId = nextQueueId;
    return event;
  }
  if (text.startsWith(SYSERR, start)) {
    // `SYSERR(user): reason`, or `SYSERR: reason` when no user is known.
    const after = start + SYSERR.length;
    const close = text.charCodeAt(after) === 0x28 ? text.indexOf('): ', after) : -1;
    const reasonStart = close >= 0 ? close + 3 : text.startsWith(': ', after) ? after + 2 : -1;
    if (reasonStart < 0) return undefined;
    const extra: Record<string, string> = { reason: text.slice(reasonStart) };
    if (close >= 0) extra.user = text.slice(after + 1, close);
    return { mta: 'sendmail', action: 'error', category: ['email', 'process'], outcome: 'failure', extra };
  }
  return refusedRecipient(text, start);
}
