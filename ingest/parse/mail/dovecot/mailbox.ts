/**
 * The mail processes: a user's IMAP or POP3 session ending (`imap(user): Disconnected: Logged out in=56 out=834`),
 * and local delivery by LMTP or the LDA (deliver_log_format, by default `msgid=%m: %$`): `lmtp(user)<pid><session>:
 * msgid=<id>: saved mail to INBOX`, `lda(user): msgid=<id>: save failed to INBOX: Quota exceeded`. Dovecot 2.0 and
 * 2.1 put the process id first in an LMTP context: `lmtp(29468, user)`.
 */
import { unwrapAddress } from '../address';
import type { DeliveryStatus, MailEvent } from '../types';

const PROTOCOLS: Record<string, string> = { imap: 'IMAP', pop3: 'POP3', managesieve: 'MANAGESIEVE', submission: 'SUBMISSION' };
const SESSION_ENDS = ['Disconnected', 'Logged out', 'Connection closed'];

/** How a delivery went, by the words Dovecot's mail_deliver writes. */
const OUTCOMES: ReadonlyArray<readonly [string, DeliveryStatus]> = [
  ['saved mail to ', 'sent'],
  ['stored mail into mailbox ', 'sent'],
  ['forwarded to ', 'sent'],
  ['save failed to ', 'failed'],
  ['rejected: ', 'bounced'],
  ['discarded ', 'discarded'],
];

/** The user of a context: `user`, or the second part of Dovecot 2.0's `pid, user`. */
function userOf(context: string | undefined): string | undefined {
  if (context === undefined || context === '') return undefined;
  const comma = context.indexOf(', ');
  if (comma < 0) return /^\d+$/.test(context) ? undefined : context;
  return /^\d+$/.test(context.slice(0, comma)) ? context.slice(comma + 2) : context.slice(0, comma);
}

/** A mail session's end; undefined when the line is not one. */
export function parseSessionEnd(process: string, context: string | undefined, text: string): MailEvent | undefined {
  const protocol = PROTOCOLS[process];
  if (protocol === undefined || !SESSION_ENDS.some((end) => text.startsWith(end))) return undefined;
  const event: MailEvent = { mta: 'dovecot', daemon: process, action: 'disconnect', category: ['email', 'network'], outcome: 'unknown', protocol };
  const user = userOf(context);
  if (user !== undefined) event.auth = { user };
  event.extra = { reason: text };
  return event;
}

/** A local delivery; undefined when the line is not one. */
export function parseLocalDelivery(process: string, context: string | undefined, text: string): MailEvent | undefined {
  let i = 0;
  // Sieve's own deliveries say so first.
  if (text.startsWith('sieve: ')) i = 7;
  if (!text.startsWith('msgid=', i)) return undefined;
  const idEnd = text.indexOf(': ', i + 6);
  if (idEnd < 0) return undefined;
  const verdict = text.slice(idEnd + 2);
  for (const [words, status] of OUTCOMES) {
    if (!verdict.startsWith(words)) continue;
    const event: MailEvent = { mta: 'dovecot', daemon: process, action: 'delivery', category: ['email'], status, statusText: verdict };
    if (status === 'sent') event.outcome = 'success';
    else if (status !== 'discarded') event.outcome = 'failure';
    const user = userOf(context);
    if (user !== undefined) event.to = user;
    const messageId = unwrapAddress(text.slice(i + 6, idEnd));
    if (messageId !== '') event.messageId = messageId;
    return event;
  }
  return undefined;
}
