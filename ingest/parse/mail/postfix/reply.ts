/**
 * SMTP replies as Postfix logs them: `550 5.1.1 <u@example.com>: Recipient address rejected: User unknown`,
 * `554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://...`, a milter's
 * `5.7.1 Blocked by SpamAssassin` without a code, or a multi-line `550-5.7.1 ...` joined into one.
 */
import { Char, isAlphanumeric } from '../chars';
import { endOfEnhancedCode, endOfReplyCode, replyCodeAt } from '../reply';
import type { SmtpReply } from '../types';

export interface Reply extends SmtpReply {
  /** What the restriction was about: the address, hostname or client in `<...>:` or in the DNSBL `[...]`. */
  target?: string;
  /** The reply without its target: `Recipient address rejected: User unknown`, `blocked using zen.spamhaus.org`. */
  reason: string;
  /** The DNS block list that listed the target. */
  dnsbl?: string;
}

const DNSBL_PREFIX = 'Service unavailable; ';
const BLOCKED_USING = ' blocked using ';

/** Where the reply text starts in `text[start, end)`: after the three-digit code and the enhanced status code. */
export function replyTextStart(text: string, start = 0, end = text.length): number {
  let i = start;
  const codeEnd = endOfReplyCode(text, i, end);
  if (codeEnd >= 0) i = Math.min(codeEnd + 1, end);
  const dsnEnd = endOfEnhancedCode(text, i, end);
  return dsnEnd < 0 ? i : Math.min(dsnEnd + 1, end);
}

/** Reads the reply in `text[start, end)`. */
export function parseReply(text: string, start = 0, end = text.length): Reply {
  let i = start;
  let code: number | undefined;
  let dsn: string | undefined;
  const codeEnd = endOfReplyCode(text, i, end);
  if (codeEnd >= 0) {
    code = replyCodeAt(text, i);
    i = Math.min(codeEnd + 1, end);
  }
  const dsnEnd = endOfEnhancedCode(text, i, end);
  if (dsnEnd >= 0) {
    dsn = text.slice(i, dsnEnd);
    i = Math.min(dsnEnd + 1, end);
  }
  const body = text.slice(i, end);
  const reply: Reply = { text: body, reason: body };
  if (code !== undefined) reply.code = code;
  if (dsn !== undefined) reply.dsn = dsn;
  if (body.charCodeAt(0) === Char.LT) {
    const close = body.indexOf('>: ');
    if (close > 0) {
      reply.target = body.slice(1, close);
      reply.reason = body.slice(close + 3);
    }
  } else if (body.startsWith(': ')) {
    // Some logs (and log excerpts) carry the reply with its `<target>` removed but the colon left.
    reply.reason = body.slice(2);
  } else if (body.startsWith(DNSBL_PREFIX)) {
    readBlocklist(body, reply);
  }
  return reply;
}

/** `Service unavailable; Client host [1.2.3.4] blocked using zen.spamhaus.org[; text]`. */
function readBlocklist(body: string, reply: Reply): void {
  const blocked = body.indexOf(BLOCKED_USING, DNSBL_PREFIX.length);
  if (blocked < 0) return;
  const close = body.lastIndexOf(']', blocked);
  const open = close < 0 ? -1 : body.lastIndexOf('[', close);
  if (open >= DNSBL_PREFIX.length) reply.target = body.slice(open + 1, close);
  reply.reason = body.slice(blocked + 1);
  const listStart = blocked + BLOCKED_USING.length;
  let listEnd = listStart;
  while (listEnd < body.length) {
    const c = body.charCodeAt(listEnd);
    if (c === Char.SPACE || c === Char.SEMICOLON) break;
    listEnd++;
  }
  if (listEnd > listStart) reply.dnsbl = body.slice(listStart, listEnd);
}

const QUEUED_AS = 'queued as ';

/** Letters, digits and `-._`: what the queue ids of Postfix and other MTAs are made of. */
function isIdChar(c: number): boolean {
  return isAlphanumeric(c) || c === Char.DASH || c === Char.DOT || c === Char.UNDERSCORE;
}

/** The queue id a next hop gave the message (`250 2.0.0 Ok: queued as 153053D`), if its reply names one. */
export function queuedAs(text: string): string | undefined {
  const marker = text.lastIndexOf(QUEUED_AS);
  if (marker < 0) return undefined;
  const start = marker + QUEUED_AS.length;
  let end = start;
  while (end < text.length && isIdChar(text.charCodeAt(end))) end++;
  // A trailing full stop ends the sentence, not the id.
  while (end > start && text.charCodeAt(end - 1) === Char.DOT) end--;
  return end > start ? text.slice(start, end) : undefined;
}
