/**
 * The outcome of an access restriction or a milter, as smtpd, postscreen and cleanup log it:
 *
 *   QUEUEID: reject: RCPT from host[1.2.3.4]: 550 5.1.1 <u@example.com>: Recipient address rejected: ...;
 *     from=<a@example.org> to=<u@example.com> proto=ESMTP helo=<host>
 *
 * with `NOQUEUE` before the message has a queue file, and `reject_warning`, `discard`, `hold`, `filter`,
 * `redirect`, `milter-reject`... in place of `reject`. Postfix writes the reply first and the envelope after the
 * last `;`, but the reply may itself hold `;` (DNSBL replies do), so the envelope is the first `; ` that is followed
 * by one of the keys Postfix writes there, looked for after the reply's `<target>:` (an address the client chose).
 */
import type { MailEvent } from '../types';
import { extraOf, newEvent, setEnvelope, type Origin } from './event';
import { parseKeyValues } from './keyvalue';
import { endOfPeer, parsePeer } from './peer';
import { parseReply, replyTextStart } from './reply';

const FROM = ' from ';
const ENVELOPE_KEYS = ['from=', 'to=', 'proto=', 'helo='];

/** Outcomes that refuse what the client asked for. */
const REFUSALS = new Set(['reject', 'milter-reject', 'defer']);

function isActionChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d;
}

/** SMTP stages are upper case (`RCPT`, `END-OF-MESSAGE`), or `.` for the end of DATA in postscreen. */
function isStageChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x2e;
}

function envelopeStart(message: string, from: number): number {
  for (let i = message.indexOf('; ', from); i >= 0; i = message.indexOf('; ', i + 1)) {
    for (const key of ENVELOPE_KEYS) if (message.startsWith(key, i + 2)) return i;
  }
  return -1;
}

/**
 * Reads `action: STAGE from client: reply; envelope` starting at `start` (after the queue id). The caller sets the
 * queue id. Undefined when the text does not have that shape.
 */
export function parseAccess(message: string, start: number, origin: Origin): MailEvent | undefined {
  let i = start;
  while (i < message.length && isActionChar(message.charCodeAt(i))) i++;
  if (i === start || message.charCodeAt(i) !== 0x3a || message.charCodeAt(i + 1) !== 0x20) return undefined;
  const word = message.slice(start, i);
  const stageStart = i + 2;
  let stageEnd = stageStart;
  while (stageEnd < message.length && isStageChar(message.charCodeAt(stageEnd))) stageEnd++;
  if (stageEnd === stageStart || !message.startsWith(FROM, stageEnd)) return undefined;
  const peerStart = stageEnd + FROM.length;
  const peerEnd = endOfPeer(message, peerStart);
  if (peerEnd < 0 || message.charCodeAt(peerEnd) !== 0x3a) return undefined;
  const client = parsePeer(message, peerStart, peerEnd);
  if (client === undefined) return undefined;

  const event = newEvent(origin, word.replace(/_/g, '-'), ['email']);
  if (REFUSALS.has(word)) event.outcome = 'failure';
  event.client = client;
  const replyStart = message.charCodeAt(peerEnd + 1) === 0x20 ? peerEnd + 2 : peerEnd + 1;
  let searchFrom = replyStart;
  const textStart = replyTextStart(message, replyStart);
  if (message.charCodeAt(textStart) === 0x3c) {
    const targetEnd = message.indexOf('>: ', textStart);
    if (targetEnd > 0) searchFrom = targetEnd;
  }
  const envelope = envelopeStart(message, searchFrom);
  const reply = parseReply(message, replyStart, envelope < 0 ? message.length : envelope);
  event.reject = { text: reply.text, stage: message.slice(stageStart, stageEnd), reason: reply.reason };
  if (reply.code !== undefined) event.reject.code = reply.code;
  if (reply.dsn !== undefined) event.reject.dsn = reply.dsn;
  if (reply.target !== undefined) extraOf(event).reject_target = reply.target;
  if (reply.dnsbl !== undefined) extraOf(event).dnsbl = reply.dnsbl;
  if (envelope >= 0) {
    const { values } = parseKeyValues(message, envelope + 2);
    setEnvelope(event, values);
  }
  return event;
}
