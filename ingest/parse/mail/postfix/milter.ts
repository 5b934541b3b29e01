/**
 * Milters and policy services that log under their own names but about Postfix's messages: OpenDKIM and OpenDMARC
 * prefix their lines with the Postfix queue id, so the reconstruction can attach a signature or a DMARC verdict to
 * its message; the SPF policy service runs before there is a queue id and names the client instead.
 */
import { unwrapAddress } from '../address';
import type { MailEvent } from '../types';
import { extraOf, newEvent, setQueueId, type Origin } from './event';
import { afterQueueId } from './queueid';

/** The milter or policy service a program name is, or undefined. */
export function milterOf(program: string): 'opendkim' | 'opendmarc' | 'policyd-spf' | undefined {
  if (program === 'opendkim' || program === 'opendmarc' || program === 'policyd-spf') return program;
  // The Perl implementation is usually run as `postfix/policy-spf`, the Python one as `policyd-spf`.
  if (program === 'policy-spf') return 'policyd-spf';
  return undefined;
}

function milterEvent(message: string, body: number, name: string, origin: Origin): MailEvent {
  const event = newEvent(origin, 'milter', ['email']);
  setQueueId(event, message, 0, body - 2);
  event.milter = { name };
  return event;
}

/** `(s=selector, d=example.com)`: the signing domain. */
function signingDomain(message: string, from: number): string | undefined {
  const d = message.indexOf('d=', from);
  if (d < 0) return undefined;
  let end = d + 2;
  while (end < message.length) {
    const c = message.charCodeAt(end);
    if (c === 0x29 || c === 0x2c || c === 0x20) break;
    end++;
  }
  return end > d + 2 ? message.slice(d + 2, end) : undefined;
}

const DKIM_RESULTS: ReadonlyArray<readonly [string, string]> = [
  ['DKIM-Signature field added', 'signed'],
  ['DKIM-Signature header added', 'signed'],
  ['DKIM verification successful', 'pass'],
  ['bad signature data', 'fail'],
  ['no signature data', 'none'],
];

/** opendkim: `QUEUEID: DKIM-Signature field added (s=mail, d=example.com)`, `QUEUEID: DKIM verification successful`. */
export function parseOpendkim(message: string, origin: Origin): MailEvent | undefined {
  const body = afterQueueId(message);
  if (body < 0) return undefined;
  const event = milterEvent(message, body, 'opendkim', origin);
  const milter = event.milter as NonNullable<MailEvent['milter']>;
  for (const [text, result] of DKIM_RESULTS) {
    if (!message.startsWith(text, body)) continue;
    milter.result = result;
    const domain = signingDomain(message, body + text.length);
    if (domain !== undefined) milter.domain = domain;
    return event;
  }
  event.statusText = message.slice(body);
  return event;
}

const SPF_SCOPE = 'SPF(';

/** opendmarc: `QUEUEID: example.com pass`, and from 1.4 `QUEUEID: SPF(mailfrom): example.com pass`. */
export function parseOpendmarc(message: string, origin: Origin): MailEvent | undefined {
  const body = afterQueueId(message);
  if (body < 0) return undefined;
  const event = milterEvent(message, body, 'opendmarc', origin);
  const milter = event.milter as NonNullable<MailEvent['milter']>;
  let start = body;
  if (message.startsWith(SPF_SCOPE, body)) {
    const close = message.indexOf('): ', body);
    if (close > 0) {
      extraOf(event).spf_scope = message.slice(body + SPF_SCOPE.length, close);
      start = close + 3;
    }
  }
  const space = message.indexOf(' ', start);
  if (space > start && message.indexOf(' ', space + 1) < 0) {
    milter.domain = message.slice(start, space);
    milter.result = message.slice(space + 1);
  } else {
    event.statusText = message.slice(body);
  }
  return event;
}

const RECEIVED_SPF = 'Received-SPF: ';

/** The value of `key=` in a `; `-separated Received-SPF header, or undefined. */
function spfField(message: string, key: string, from: number): string | undefined {
  const at = message.indexOf(' ' + key + '=', from);
  if (at < 0) return undefined;
  const start = at + key.length + 2;
  let end = message.indexOf(';', start);
  if (end < 0) end = message.length;
  const value = message.slice(start, end).trim();
  return value === '' ? undefined : value;
}

/**
 * policyd-spf: `prepend Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.1; helo=mx.example.com;
 * envelope-from=a@example.com; receiver=...`: the SPF result for the client and the domain it was checked for.
 */
export function parseSpfPolicy(message: string, origin: Origin): MailEvent | undefined {
  const header = message.indexOf(RECEIVED_SPF);
  if (header < 0) return undefined;
  const resultStart = header + RECEIVED_SPF.length;
  let resultEnd = resultStart;
  while (resultEnd < message.length) {
    const c = message.charCodeAt(resultEnd);
    if (c === 0x20 || c === 0x3b) break;
    resultEnd++;
  }
  if (resultEnd === resultStart) return undefined;
  const event = newEvent(origin, 'milter', ['email']);
  event.milter = { name: 'policyd-spf', result: message.slice(resultStart, resultEnd).toLowerCase() };
  const ip = spfField(message, 'client-ip', resultEnd);
  if (ip !== undefined) event.client = { ip };
  const helo = spfField(message, 'helo', resultEnd);
  if (helo !== undefined) event.helo = helo;
  const written = spfField(message, 'envelope-from', resultEnd);
  // Some versions write the sender in angle brackets.
  const sender = written === undefined ? undefined : unwrapAddress(written);
  if (sender !== undefined) event.from = sender;
  const identity = spfField(message, 'identity', resultEnd);
  if (identity !== undefined) extraOf(event).spf_scope = identity;
  const domain = identity === 'helo' ? helo : sender?.slice(sender.lastIndexOf('@') + 1);
  if (domain !== undefined && domain !== '') event.milter.domain = domain;
  return event;
}
