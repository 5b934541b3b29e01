/**
 * cleanup, which writes each new message into the queue: its Message-ID, and what header_checks, body_checks and
 * milters did to it. A content check logs
 *
 *   QUEUEID: <action>: <header|body> <matched text, at most 200 bytes> from host[1.2.3.4]; from=<a> to=<b>
 *     proto=ESMTP helo=<h>[: <the action's text>]
 *
 * where the matched text (a Subject, say) is the sender's to choose and may hold anything, the envelope included;
 * so the envelope is taken from the end. A milter's verdict on the whole message is written like an smtpd
 * restriction (`milter-reject: END-OF-MESSAGE from host[1.2.3.4]: 5.7.1 ...; from=<a> ...`).
 */
import { unwrapAddress } from '../address';
import type { MailEvent } from '../types';
import { parseAccess } from './access';
import { extraOf, newEvent, parseQueuedLine, setEnvelope, type Origin } from './event';
import { parseKeyValues } from './keyvalue';
import { parseLevelLine } from './level';
import { endOfPeer, parsePeer } from './peer';
import { parseReply } from './reply';

const MESSAGE_ID = 'message-id=';
const RESENT_MESSAGE_ID = 'resent-message-id=';
const ENVELOPE_KEYS = ['from=<', 'to=<', 'proto=', 'helo=<'];
const SUBJECT = 'subject:';
const FROM = ' from ';
const LOCAL = 'local';

export function parseCleanup(message: string, origin: Origin): MailEvent | undefined {
  return parseQueuedLine(message, origin, withQueueId) ?? parseLevelLine(message, origin);
}

function withQueueId(message: string, body: number, origin: Origin): MailEvent | undefined {
  if (message.startsWith(MESSAGE_ID, body)) {
    const event = newEvent(origin, 'message-id', ['email']);
    // An id written without brackets (an encoded word, for one) is kept as written: it is what the message carried.
    event.messageId = unwrapAddress(message, body + MESSAGE_ID.length);
    return event;
  }
  if (message.startsWith(RESENT_MESSAGE_ID, body)) {
    const event = newEvent(origin, 'resent-message-id', ['email']);
    extraOf(event).resent_message_id = unwrapAddress(message, body + RESENT_MESSAGE_ID.length);
    return event;
  }
  return contentCheck(message, body, origin) ?? parseAccess(message, body, origin);
}

/**
 * Where the envelope starts: the last `; ` that is followed by an envelope key and preceded by ` from ` and the
 * origin Postfix writes there (a `host[address]`, or `local` for mail submitted on the host). Both the matched text
 * before it and the HELO name at its end are the client's to choose; requiring the origin before it keeps a HELO
 * name such as `x; from=<ceo@example.com>` from passing for the envelope.
 */
function envelopeStart(message: string, from: number): number {
  for (let i = message.lastIndexOf('; '); i > from; i = message.lastIndexOf('; ', i - 1)) {
    if (ENVELOPE_KEYS.some((key) => message.startsWith(key, i + 2)) && originEndsAt(message, i)) return i;
  }
  return -1;
}

function originEndsAt(message: string, end: number): boolean {
  const from = message.lastIndexOf(FROM, end);
  if (from < 0) return false;
  const start = from + FROM.length;
  if (end - start === LOCAL.length && message.startsWith(LOCAL, start)) return true;
  return endOfPeer(message, start) === end && parsePeer(message, start, end) !== undefined;
}

function contentCheck(message: string, start: number, origin: Origin): MailEvent | undefined {
  const wordEnd = message.indexOf(': ', start);
  if (wordEnd < 0) return undefined;
  const classStart = wordEnd + 2;
  const classEnd = message.indexOf(' ', classStart);
  if (classEnd < 0) return undefined;
  const checkClass = message.slice(classStart, classEnd);
  if (checkClass !== 'header' && checkClass !== 'body' && checkClass !== 'content') return undefined;
  const envelope = envelopeStart(message, classEnd);
  if (envelope < 0) return undefined;
  const from = message.lastIndexOf(FROM, envelope);
  if (from < classEnd) return undefined;

  const word = message.slice(start, wordEnd);
  // `warning` and `info` are the WARN and INFO actions, not log levels: named after the check they came from.
  const action = word.startsWith('milter-') ? word : `${checkClass}-${word}`;
  const event = newEvent(origin, action, ['email']);
  extraOf(event).check = checkClass;
  event.statusText = message.slice(classStart, envelope);
  const client = parsePeer(message, from + FROM.length, envelope);
  if (client !== undefined) event.client = client;
  if (checkClass === 'header' && from - classEnd > SUBJECT.length) {
    const content = message.slice(classEnd + 1, from);
    // Header names are case-insensitive: `Subject:`, `SUBJECT:` and `subject:` all name it.
    if (content.slice(0, SUBJECT.length).toLowerCase() === SUBJECT) {
      event.subject = content.slice(SUBJECT.length).trimStart();
    }
  }
  const { values, end } = parseKeyValues(message, envelope + 2);
  setEnvelope(event, values);
  if (message.startsWith(': ', end)) readActionText(message, end + 2, word, event);
  return event;
}

/**
 * The text after the envelope: for REJECT the reply the client got, for the other actions their argument (the
 * header PREPEND added, the REDIRECT or BCC address, the FILTER destination, WARN's note).
 */
function readActionText(message: string, start: number, word: string, event: MailEvent): void {
  if (word === 'reject' || word === 'milter-reject') {
    const reply = parseReply(message, start);
    event.outcome = 'failure';
    event.reject = { text: reply.text, reason: reply.reason };
    if (reply.code !== undefined) event.reject.code = reply.code;
    if (reply.dsn !== undefined) event.reject.dsn = reply.dsn;
    return;
  }
  extraOf(event).action_text = message.slice(start);
}
