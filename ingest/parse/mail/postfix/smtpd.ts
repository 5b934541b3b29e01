/**
 * smtpd, the SMTP server: one line per connection and disconnection, one `client=` line per message it queues,
 * access restriction outcomes, and the troubles of a connection (lost connections, timeouts, pipelining, SASL
 * failures) that brute force and spam detection count.
 */
import type { MailEvent } from '../types';
import { parseAccess } from './access';
import { extraOf, newEvent, parseQueuedLine, setEnvelope, type Origin } from './event';
import { parseKeyValues } from './keyvalue';
import { parseLevelLine } from './level';
import { endOfPeer, parsePeer } from './peer';
import { parseReply, queuedAs } from './reply';
import { refineWarning } from './smtpd-warning';
import { parseTlsEstablished } from './tls';

const CONNECT = 'connect from ';
const DISCONNECT = 'disconnect from ';
const PROXY = 'proxy-';
const EHLO_DISCARD = 'discarding EHLO keywords: ';

/**
 * `<what>[ after STAGE[ (N bytes)]] from client[: detail]`: how a connection went wrong, by what smtpd writes.
 * `SSL_accept error` is a TLS handshake that failed.
 */
const CONNECTION_TROUBLES: ReadonlyArray<readonly [string, string]> = [
  ['lost connection', 'lost-connection'],
  ['timeout', 'timeout'],
  ['too many errors', 'too-many-errors'],
  ['improper command pipelining', 'improper-pipelining'],
  ['SSL_accept error', 'tls-failure'],
  ['bare <LF> received', 'bare-newline'],
];

export function parseSmtpd(message: string, origin: Origin): MailEvent | undefined {
  if (message.startsWith(CONNECT)) return connection(message, CONNECT.length, 'connect', origin);
  if (message.startsWith(DISCONNECT)) return connection(message, DISCONNECT.length, 'disconnect', origin);
  const queued = parseQueuedLine(message, origin, withQueueId);
  if (queued !== undefined) return queued;
  const level = parseLevelLine(message, origin);
  if (level !== undefined) return refineWarning(level);
  return (
    connectionTrouble(message, 0, origin) ??
    parseTlsEstablished(message, 0, origin) ??
    (message.startsWith(PROXY) ? proxy(message, 0, origin) : undefined) ??
    (message.startsWith(EHLO_DISCARD) ? ehloDiscard(message, origin) : undefined)
  );
}

function withQueueId(message: string, body: number, origin: Origin): MailEvent | undefined {
  if (message.startsWith('client=', body)) return client(message, body, origin);
  if (message.startsWith(PROXY, body)) return proxy(message, body, origin);
  return parseAccess(message, body, origin) ?? connectionTrouble(message, body, origin);
}

/** `connect from host[1.2.3.4]`, `disconnect from host[1.2.3.4] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4`. */
function connection(message: string, start: number, action: string, origin: Origin): MailEvent | undefined {
  const peerEnd = endOfPeer(message, start);
  if (peerEnd < 0) return undefined;
  const client = parsePeer(message, start, peerEnd);
  if (client === undefined) return undefined;
  const event = newEvent(origin, action, ['email', 'network']);
  event.client = client;
  if (peerEnd < message.length) {
    const counts = parseKeyValues(message, peerEnd);
    if (counts.end > peerEnd) event.commands = counts.values;
  }
  return event;
}

/**
 * `QUEUEID: client=host[1.2.3.4][, sasl_method=PLAIN, sasl_username=user]`: the message's client, and its SASL
 * login when it authenticated. A content filter's re-injection adds `orig_queue_id` and `orig_client`.
 */
function client(message: string, start: number, origin: Origin): MailEvent | undefined {
  const { values } = parseKeyValues(message, start);
  const peer = parsePeer(values.client);
  if (peer === undefined) return undefined;
  const event = newEvent(origin, 'client', ['email']);
  event.client = peer;
  if (values.sasl_method !== undefined || values.sasl_username !== undefined) {
    event.category.push('authentication');
    event.outcome = 'success';
    event.auth = {};
    if (values.sasl_method !== undefined) event.auth.method = values.sasl_method;
    if (values.sasl_username !== undefined) event.auth.user = values.sasl_username;
  }
  if (values.sasl_sender !== undefined) extraOf(event).sasl_sender = values.sasl_sender;
  if (values.orig_queue_id !== undefined) extraOf(event).orig_queue_id = values.orig_queue_id;
  if (values.orig_client !== undefined) extraOf(event).orig_client = values.orig_client;
  return event;
}

function connectionTrouble(message: string, start: number, origin: Origin): MailEvent | undefined {
  for (const [what, action] of CONNECTION_TROUBLES) {
    if (!message.startsWith(what, start)) continue;
    let i = start + what.length;
    let stage: string | undefined;
    if (message.startsWith(' after ', i)) {
      const stageStart = i + 7;
      const stageEnd = message.indexOf(' ', stageStart);
      if (stageEnd < 0) return undefined;
      stage = message.slice(stageStart, stageEnd);
      i = stageEnd;
      // `lost connection after DATA (7774180 bytes)`: how much of the message had arrived.
      if (message.startsWith(' (', i)) {
        const close = message.indexOf(')', i);
        if (close < 0) return undefined;
        i = close + 1;
      }
    }
    if (!message.startsWith(' from ', i)) return undefined;
    const peerStart = i + 6;
    const peerEnd = endOfPeer(message, peerStart);
    if (peerEnd < 0) return undefined;
    const peer = parsePeer(message, peerStart, peerEnd);
    if (peer === undefined) return undefined;
    const event = newEvent(origin, action, ['email', 'network']);
    event.client = peer;
    if (stage !== undefined) extraOf(event).stage = stage;
    if (message.charCodeAt(peerEnd) === 0x3a) {
      const detail = message.slice(message.charCodeAt(peerEnd + 1) === 0x20 ? peerEnd + 2 : peerEnd + 1);
      if (detail !== '') event.statusText = detail;
    }
    return event;
  }
  return undefined;
}

/**
 * `proxy-accept: END-OF-MESSAGE: 250 2.0.0 Ok: queued as X; from=<a> to=<b> ...` and `proxy-reject`: what the
 * before-queue content filter answered, passed on to the client.
 */
function proxy(message: string, start: number, origin: Origin): MailEvent | undefined {
  const wordEnd = message.indexOf(': ', start);
  if (wordEnd < 0) return undefined;
  const stageEnd = message.indexOf(': ', wordEnd + 2);
  if (stageEnd < 0) return undefined;
  const semicolon = message.indexOf('; ', stageEnd + 1);
  const replyStart = stageEnd + 2;
  const replyEnd = semicolon < 0 ? message.length : semicolon;
  const event = newEvent(origin, message.slice(start, wordEnd), ['email']);
  const stage = message.slice(wordEnd + 2, stageEnd);
  const reply = parseReply(message, Math.min(replyStart, replyEnd), replyEnd);
  event.statusText = message.slice(Math.min(replyStart, replyEnd), replyEnd);
  if (event.action === 'proxy-reject') {
    event.outcome = 'failure';
    event.reject = { text: reply.text, stage, reason: reply.reason };
    if (reply.code !== undefined) event.reject.code = reply.code;
    if (reply.dsn !== undefined) event.reject.dsn = reply.dsn;
  } else {
    extraOf(event).stage = stage;
    if (reply.code !== undefined) extraOf(event).reply_code = String(reply.code);
    if (reply.dsn !== undefined) event.dsn = reply.dsn;
    const next = queuedAs(reply.text);
    if (next !== undefined) event.nextQueueId = next;
  }
  if (semicolon >= 0) {
    const { values } = parseKeyValues(message, semicolon + 2);
    setEnvelope(event, values);
  }
  return event;
}

function ehloDiscard(message: string, origin: Origin): MailEvent {
  const event = newEvent(origin, 'ehlo-discard', ['email']);
  extraOf(event).discarded_ehlo_keywords = message.slice(EHLO_DISCARD.length);
  return event;
}
