/**
 * SMTP replies as mail daemons log them: a three-digit code (RFC 5321), an optional enhanced status code (RFC 3463)
 * and the text, `550 5.7.1 <x@y>... Relaying denied`. What Postfix writes around a reply is read in `postfix/reply.ts`.
 */
import { Char, isDigit } from './chars';
import type { SmtpReply } from './types';

/** End of the three-digit reply code at `start` (followed by a space, `-` in a multi-line reply, or `end`), or -1. */
export function endOfReplyCode(text: string, start: number, end: number): number {
  if (end - start < 3) return -1;
  for (let i = start; i < start + 3; i++) if (!isDigit(text.charCodeAt(i))) return -1;
  const after = start + 3;
  if (after === end) return after;
  const c = text.charCodeAt(after);
  return c === Char.SPACE || c === Char.DASH ? after : -1;
}

/** The value of the three digits at `start`, which `endOfReplyCode` has found there. */
export function replyCodeAt(text: string, start: number): number {
  const hundreds = text.charCodeAt(start) - Char.DIGIT_0;
  return hundreds * 100 + (text.charCodeAt(start + 1) - Char.DIGIT_0) * 10 + (text.charCodeAt(start + 2) - Char.DIGIT_0);
}

/** End of an RFC 3463 status code (`5.1.1`, `5.12.345`) at `start`, followed by a space or `end`, or -1. */
export function endOfEnhancedCode(text: string, start: number, end: number): number {
  if (!isDigit(text.charCodeAt(start)) || text.charCodeAt(start + 1) !== Char.DOT) return -1;
  let i = start + 2;
  const subject = i;
  while (isDigit(text.charCodeAt(i))) i++;
  if (i === subject || text.charCodeAt(i) !== Char.DOT) return -1;
  const detail = ++i;
  while (isDigit(text.charCodeAt(i))) i++;
  if (i === detail) return -1;
  if (i > end) return -1;
  return i === end || text.charCodeAt(i) === Char.SPACE ? i : -1;
}

/**
 * An SMTP reply at `start`, undefined when no code starts there (`550 5.7.1 <x@y>... Relaying denied`). Its callers
 * probe text that may hold no reply at all (an Exim failure reason, a Courier or Sendmail message), so a code or a
 * status code of a class SMTP does not use is taken for some other number. `parseReply` in `postfix/reply.ts`
 * does not check classes: Postfix logs a reply only where one stands, and what the peer sent is kept as it was sent.
 */
export function replyAt(text: string, start: number): SmtpReply | undefined {
  // SMTP replies are of class 2 to 5: RFC 5321 has no command that is answered with a 1yz reply.
  const replyClass = text.charCodeAt(start);
  if (replyClass < Char.DIGIT_0 + 2 || replyClass > Char.DIGIT_0 + 5) return undefined;
  const codeEnd = endOfReplyCode(text, start, text.length);
  if (codeEnd < 0) return undefined;
  let i = codeEnd + 1;
  let dsn: string | undefined;
  // RFC 3463 status codes are of class 2, 4 or 5.
  const dsnClass = text.charCodeAt(i);
  if (dsnClass === Char.DIGIT_0 + 2 || dsnClass === Char.DIGIT_0 + 4 || dsnClass === Char.DIGIT_0 + 5) {
    const dsnEnd = endOfEnhancedCode(text, i, text.length);
    if (dsnEnd >= 0) {
      dsn = text.slice(i, dsnEnd);
      i = dsnEnd + 1;
    }
  }
  const reply: SmtpReply = { code: replyCodeAt(text, start), text: i < text.length ? text.slice(i) : '' };
  if (dsn !== undefined) reply.dsn = dsn;
  return reply;
}
