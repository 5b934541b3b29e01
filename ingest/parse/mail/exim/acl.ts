/**
 * What an ACL or `local_scan()` decided about an SMTP command, on lines that start with the connection's fields:
 * `H=host [ip] F=<sender> rejected RCPT <rcpt>: reason`, `... rejected after DATA: ...`, `... temporarily rejected
 * by local_scan(): ...`, `... sender verify fail for <x>: ...`, `... dropped by 'connect' ACL: ...`, and the
 * header check's `rejected from <sender> H=...: ...`. Exim writes these to the main and the reject log alike.
 */
import { readPeer, unwrapAddress } from '../address';
import type { MailEvent } from '../types';
import { readFields, startsWithField, type EximFields } from './fields';
import { applyClient } from './values';

const TEMPORARILY = 'temporarily ';
const REJECTED = 'rejected ';
const SENDER_VERIFY_FAIL = 'sender verify fail for ';
const SENDER_VERIFY_DEFER = 'sender verify defer for ';
const DROPPED_BY = 'dropped by ';
const WARNING = 'Warning: ';
const REJECTED_FROM = 'rejected from ';

function isUpperWord(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let k = start; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x41 || c > 0x5a) return false;
  }
  return true;
}

function baseEvent(action: string, fields: EximFields, outcome?: MailEvent['outcome']): MailEvent {
  const event: MailEvent = { mta: 'exim', action, category: ['email'] };
  if (outcome !== undefined) event.outcome = outcome;
  applyClient(event, fields);
  const v = fields.values;
  if (v.F !== undefined) event.from = unwrapAddress(v.F);
  if (v.P !== undefined) event.protocol = v.P.toUpperCase();
  return event;
}

/** The text after the first `: ` at or after `i`, or the empty string. */
function reasonAfter(text: string, i: number): string {
  const colon = text.indexOf(': ', i);
  return colon < 0 ? '' : text.slice(colon + 2);
}

/**
 * After `rejected `: `RCPT <x>: why`, `MAIL <x>: why`, `after DATA: why`, `by local_scan(): why`, `EHLO or HELO
 * name: why`, `connection in "connect" ACL: why`. The stage is the SMTP command refused.
 */
function rejection(text: string, i: number, fields: EximFields, temporary: boolean): MailEvent | undefined {
  const event = baseEvent('reject', fields, 'failure');
  if (temporary) (event.extra ??= {}).temporary = 'true';
  if (text.startsWith('by local_scan()', i)) {
    event.reject = { text: reasonAfter(text, i), stage: 'DATA', reason: 'local_scan()' };
    return event;
  }
  if (text.startsWith('after ', i)) {
    let end = i + 6;
    while (end < text.length && text.charCodeAt(end) !== 0x3a && text.charCodeAt(end) !== 0x20) end++;
    event.reject = { text: reasonAfter(text, end), stage: text.slice(i + 6, end) };
    return event;
  }
  if (text.startsWith('connection', i)) {
    event.reject = { text: reasonAfter(text, i), stage: 'CONNECT' };
    return event;
  }
  if (text.startsWith('EHLO or HELO ', i)) {
    const nameStart = i + 13;
    const colon = text.indexOf(': ', nameStart);
    if (colon > nameStart) event.helo = text.slice(nameStart, colon);
    event.reject = { text: colon < 0 ? '' : text.slice(colon + 2), stage: 'EHLO' };
    return event;
  }
  let verbEnd = text.indexOf(' ', i);
  if (verbEnd < 0) verbEnd = text.length;
  const verbColon = text.charCodeAt(verbEnd - 1) === 0x3a;
  if (!isUpperWord(text, i, verbColon ? verbEnd - 1 : verbEnd)) return undefined;
  const stage = text.slice(i, verbColon ? verbEnd - 1 : verbEnd);
  if (verbColon) {
    event.reject = { text: text.slice(Math.min(verbEnd + 1, text.length)), stage };
    return event;
  }
  // The argument of the command: an address for RCPT and MAIL, unbracketed when the client sent it so.
  const argStart = verbEnd + 1;
  let argEnd = text.indexOf(' ', argStart);
  if (argEnd < 0) argEnd = text.length;
  const argColon = text.charCodeAt(argEnd - 1) === 0x3a;
  const argument = unwrapAddress(text.slice(argStart, argColon ? argEnd - 1 : argEnd));
  if (stage === 'RCPT') event.to = argument;
  else if (stage === 'MAIL') event.from = argument;
  event.reject = { text: argColon ? text.slice(Math.min(argEnd + 1, text.length)) : reasonAfter(text, argEnd), stage };
  return event;
}

/** `rejected from <sender> H=(helo) [ip]: message too big`, `rejected from [ip] (ident): syntax error in 'From' header`. */
function rejectedFrom(text: string, start: number): MailEvent {
  let fields: EximFields;
  let sender: string | undefined;
  if (text.charCodeAt(start) === 0x3c) {
    let end = text.indexOf(' ', start);
    if (end < 0) end = text.length;
    sender = unwrapAddress(text.slice(start, text.charCodeAt(end - 1) === 0x3a ? end - 1 : end));
    fields = readFields(text, end);
  } else {
    const peer = readPeer(text, start);
    fields = { values: {}, host: peer, end: peer.end, colon: false };
  }
  const event = baseEvent('reject', fields, 'failure');
  if (sender !== undefined) event.from = sender;
  event.reject = { text: reasonAfter(text, fields.end), stage: 'DATA' };
  return event;
}

/** A line led by the connection's fields; undefined when `text[start]` is not one this file knows. */
export function parseAclLine(text: string, start: number): MailEvent | undefined {
  if (text.startsWith(REJECTED_FROM, start)) return rejectedFrom(text, start + REJECTED_FROM.length);
  if (!startsWithField(text, start)) return undefined;
  const fields = readFields(text, start);
  if (fields.colon) return undefined;
  let i = fields.end;
  const temporary = text.startsWith(TEMPORARILY, i);
  if (temporary) i += TEMPORARILY.length;
  if (text.startsWith(REJECTED, i)) return rejection(text, i + REJECTED.length, fields, temporary);
  if (temporary) return undefined;
  const verifyFail = text.startsWith(SENDER_VERIFY_FAIL, i);
  if (verifyFail || text.startsWith(SENDER_VERIFY_DEFER, i)) {
    // A separate line before the rejection it causes, which says only "Sender verify failed": not a reject itself.
    const event = baseEvent('sender-verify-failure', fields, 'failure');
    const addressStart = i + (verifyFail ? SENDER_VERIFY_FAIL.length : SENDER_VERIFY_DEFER.length);
    const colon = text.indexOf(': ', addressStart);
    event.from = unwrapAddress(text.slice(addressStart, colon < 0 ? text.length : colon));
    const extra: Record<string, string> = (event.extra ??= {});
    if (colon >= 0) extra.reason = text.slice(colon + 2);
    if (!verifyFail) extra.temporary = 'true';
    return event;
  }
  if (text.startsWith(DROPPED_BY, i)) {
    const event = baseEvent('reject', fields, 'failure');
    const aclStart = i + DROPPED_BY.length + 1;
    const aclEnd = text.indexOf("'", aclStart);
    event.reject = { text: reasonAfter(text, i), reason: 'dropped by ACL' };
    if (aclEnd > aclStart && text.charCodeAt(aclStart - 1) === 0x27) event.reject.stage = text.slice(aclStart, aclEnd).toUpperCase();
    return event;
  }
  if (text.startsWith(WARNING, i)) {
    const event = baseEvent('warning', fields);
    (event.extra ??= {}).reason = text.slice(i + WARNING.length);
    return event;
  }
  return undefined;
}
