/**
 * SMTP commands Exim refused because the client broke the protocol: `SMTP protocol error in "..."` and `SMTP
 * syntax error in "..."` (`smtp_protocol_error`, `smtp_syntax_error` selectors), `SMTP protocol synchronization
 * error` (a client that talks before its turn, as spam bots do), and a HELO or EHLO with an invalid argument.
 */
import type { MailEvent } from '../types';
import { readFields, readPeerFields, type EximFields } from './fields';
import { applyClient } from './values';

const PROTOCOL_ERROR = 'SMTP protocol error in "';
const SYNTAX_ERROR = 'SMTP syntax error in "';
const SYNCHRONIZATION_ERROR = 'SMTP protocol synchronization error (';
const SYNCHRONIZATION_REJECTED = '): rejected ';
const REJECTED_EHLO = 'rejected EHLO from ';
const REJECTED_HELO = 'rejected HELO from ';
const INVALID_ARGUMENT = 'syntactically invalid argument(s): ';

/** The SMTP verb of a command the client sent, upper case; undefined when the command does not start with one. */
function verbOf(text: string, start: number, end: number): string | undefined {
  let k = start;
  while (k < end && k - start <= 10) {
    const lower = text.charCodeAt(k) | 0x20;
    if (lower < 0x61 || lower > 0x7a) break;
    k++;
  }
  if (k === start || k - start > 10 || (k < end && text.charCodeAt(k) !== 0x20)) return undefined;
  return text.slice(start, k).toUpperCase();
}

function rejectEvent(fields: EximFields, reject: NonNullable<MailEvent['reject']>): MailEvent {
  const event: MailEvent = { mta: 'exim', action: 'reject', category: ['email'], outcome: 'failure', reject };
  applyClient(event, fields);
  return event;
}

/**
 * `SMTP protocol error in "AUTH LOGIN" H=(ylmf-pc) [192.0.2.1]:60723 I=[...]:587 AUTH command used when not
 * advertised`. The command is the client's and is logged as sent, quotes included, so the host is the last `" H=`
 * of the line: what follows it is Exim's own text.
 */
function commandError(text: string, start: number, reason: string): MailEvent | undefined {
  const host = text.lastIndexOf('" H=');
  if (host < start) return undefined;
  const fields = readFields(text, host + 2);
  const reject: NonNullable<MailEvent['reject']> = { text: text.slice(fields.end), reason };
  const stage = verbOf(text, start, host);
  if (stage !== undefined) reject.stage = stage;
  return rejectEvent(fields, reject);
}

/**
 * `SMTP protocol synchronization error (input sent without waiting for greeting): rejected connection from
 * H=[192.0.2.1]:25936 I=[...]:25 input="GET / HTTP/1.1"`, or `... rejected "RSET" H=... next input="QUIT"`.
 */
function synchronizationError(text: string, start: number): MailEvent | undefined {
  const close = text.indexOf(SYNCHRONIZATION_REJECTED, start);
  if (close < 0) return undefined;
  const why = text.slice(start, close);
  const after = close + SYNCHRONIZATION_REJECTED.length;
  let fields: EximFields;
  let stage: string | undefined;
  if (text.startsWith('connection from ', after)) {
    fields = readFields(text, after + 16);
    stage = 'CONNECT';
  } else if (text.charCodeAt(after) === 0x22) {
    const host = text.indexOf('" H=', after + 1);
    if (host < 0) return undefined;
    fields = readFields(text, host + 2);
    stage = verbOf(text, after + 1, host);
  } else return undefined;
  const reject: NonNullable<MailEvent['reject']> = { text: why, reason: 'SMTP protocol synchronization error' };
  if (stage !== undefined) reject.stage = stage;
  return rejectEvent(fields, reject);
}

/** `rejected EHLO from [192.0.2.1]: syntactically invalid argument(s): _`. */
function rejectedHelo(text: string, start: number, verb: string): MailEvent | undefined {
  const fields = readPeerFields(text, start);
  if (!fields.colon) return undefined;
  const reason = text.slice(fields.end + 2);
  const event = rejectEvent(fields, { text: reason, stage: verb });
  if (reason.startsWith(INVALID_ARGUMENT)) event.helo = reason.slice(INVALID_ARGUMENT.length);
  return event;
}

/** SMTP protocol violations; undefined when `text[start]` is not one. */
export function parseProtocolError(text: string, start: number): MailEvent | undefined {
  if (text.startsWith(PROTOCOL_ERROR, start)) return commandError(text, start + PROTOCOL_ERROR.length, 'SMTP protocol error');
  if (text.startsWith(SYNTAX_ERROR, start)) return commandError(text, start + SYNTAX_ERROR.length, 'SMTP syntax error');
  if (text.startsWith(SYNCHRONIZATION_ERROR, start)) return synchronizationError(text, start + SYNCHRONIZATION_ERROR.length);
  if (text.startsWith(REJECTED_EHLO, start)) return rejectedHelo(text, start + REJECTED_EHLO.length, 'EHLO');
  if (text.startsWith(REJECTED_HELO, start)) return rejectedHelo(text, start + REJECTED_HELO.length, 'HELO');
  return undefined;
}
