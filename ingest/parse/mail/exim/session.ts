/**
 * The life of an incoming SMTP connection as Exim logs it: opened (`smtp_connection` selector), closed, lost or
 * timed out, dropped after too many errors, refused at the start, ended without a MAIL command (`smtp_no_mail`),
 * a failed TLS negotiation, and the host lookups that failed for the client (`host_lookup_failed`).
 */
import type { MailEvent } from '../types';
import { eximDuration, readPeerFields, type EximFields } from './fields';
import { applyClient, authOf, tlsOf } from './values';

function sessionEvent(action: string, outcome: MailEvent['outcome'], fields: EximFields): MailEvent {
  const event: MailEvent = { mta: 'exim', action, category: ['email', 'network'] };
  if (outcome !== undefined) event.outcome = outcome;
  applyClient(event, fields);
  return event;
}

function withReason(event: MailEvent, reason: string): MailEvent {
  if (reason !== '') (event.extra ??= {}).reason = reason;
  return event;
}

/** `C=EHLO,AUTH,QUIT` (the last 20 commands, `...` first when there were more) as Postfix-style counts. */
function commandCounts(list: string): Record<string, string> {
  const counts: Record<string, string> = {};
  for (const command of list.split(',')) {
    if (command === '...' || command === '') continue;
    const name = command.toLowerCase();
    counts[name] = String(Number(counts[name] ?? 0) + 1);
  }
  return counts;
}

const CONNECTION_FROM = 'SMTP connection from ';
const CALL_FROM = 'SMTP call from ';
const NO_MAIL = 'no MAIL in SMTP connection from ';
const UNEXPECTED = 'unexpected disconnection while reading SMTP command from ';
const COMMAND_TIMEOUT = 'SMTP command timeout on connection from ';
const DATA_TIMEOUT = 'SMTP data timeout (message abandoned) on connection from ';
const REFUSED_FROM = 'Connection from ';
const TLS_ERROR = 'TLS error on connection from ';
const NO_HOST_NAME = 'no host name found for IP address ';
const NO_ADDRESS = 'no IP address found for host ';
const DURING = ' (during SMTP connection from ';

/** `SMTP connection from <peer> ...`: opened with its count, closed by QUIT, dropped by an ACL, or lost. */
function connection(text: string, start: number): MailEvent | undefined {
  const fields = readPeerFields(text, start);
  const tail = fields.end;
  if (text.startsWith('(TCP/IP connection count = ', tail)) {
    const event = sessionEvent('connect', 'unknown', fields);
    const close = text.indexOf(')', tail);
    if (close > 0) (event.extra ??= {}).connection_count = text.slice(tail + 27, close);
    return event;
  }
  if (text.startsWith('closed by DROP in ACL', tail)) {
    const event = sessionEvent('reject', 'failure', fields);
    event.reject = { text: 'closed by DROP in ACL', reason: 'DROP in ACL' };
    return event;
  }
  if (text.startsWith('closed by ', tail)) return withReason(sessionEvent('disconnect', 'unknown', fields), text.slice(tail));
  if (text.startsWith('lost', tail)) return withReason(sessionEvent('disconnect', 'failure', fields), text.slice(tail));
  return undefined;
}

/** `SMTP call from <peer> dropped: too many nonmail commands (last was "RSET")`. */
function dropped(text: string, start: number): MailEvent | undefined {
  const fields = readPeerFields(text, start);
  if (!text.startsWith('dropped: ', fields.end)) return undefined;
  const event = sessionEvent('reject', 'failure', fields);
  event.reject = { text: text.slice(fields.end + 9), reason: 'dropped' };
  return event;
}

/** `no MAIL in SMTP connection from <peer> D=21s C=EHLO,STARTTLS`: a session that sent no message. */
function noMail(text: string, start: number): MailEvent {
  const fields = readPeerFields(text, start);
  const event = sessionEvent('disconnect', 'unknown', fields);
  const v = fields.values;
  if (v.C !== undefined) event.commands = commandCounts(v.C);
  const duration = eximDuration(v.D);
  if (duration !== undefined) (event.extra ??= {}).duration = String(duration);
  const auth = authOf(v.A);
  if (auth) event.auth = auth;
  const tls = tlsOf(v.X, v.CV);
  if (tls) event.tls = tls;
  return event;
}

/** A connection that ended without QUIT: the client went away, or sent nothing for too long. */
function lost(text: string, start: number, reason: string): MailEvent {
  const fields = readPeerFields(text, start);
  const event = withReason(sessionEvent('disconnect', 'failure', fields), reason);
  const duration = eximDuration(fields.values.D);
  if (duration !== undefined) (event.extra ??= {}).duration = String(duration);
  return event;
}

/** `Connection from [192.0.2.1] refused: too many connections`: refused before the greeting. */
function refused(text: string, start: number): MailEvent | undefined {
  const fields = readPeerFields(text, start);
  const tail = fields.end;
  if (!text.startsWith('refused', tail)) return undefined;
  const event = sessionEvent('reject', 'failure', fields);
  const colon = text.indexOf(': ', tail);
  event.reject = { text: colon < 0 ? 'refused' : text.slice(colon + 2), stage: 'CONNECT' };
  return event;
}

/** `no host name found for IP address 192.0.2.8`, `no IP address found for host x (during SMTP connection from [ip])`. */
function lookupFailure(text: string, start: number, byAddress: boolean): MailEvent | undefined {
  const event: MailEvent = { mta: 'exim', action: 'warning', category: ['email', 'network'] };
  if (byAddress) {
    const ip = text.slice(start + NO_HOST_NAME.length);
    if (ip === '') return undefined;
    event.client = { ip };
    return withReason(event, 'no host name found for IP address');
  }
  const nameStart = start + NO_ADDRESS.length;
  const during = text.indexOf(DURING, nameStart);
  if (during < 0) return undefined;
  const peer = readPeerFields(text, during + DURING.length);
  event.client = { host: text.slice(nameStart, during) };
  if (peer.host?.ip !== undefined) event.client.ip = peer.host.ip;
  if (peer.host?.port !== undefined) event.client.port = peer.host.port;
  return withReason(event, 'no IP address found for host');
}

/** Lines about an SMTP session with no message of its own; undefined when `text[start]` is not one. */
export function parseSession(text: string, start: number): MailEvent | undefined {
  if (text.startsWith(CONNECTION_FROM, start)) return connection(text, start + CONNECTION_FROM.length);
  if (text.startsWith(CALL_FROM, start)) return dropped(text, start + CALL_FROM.length);
  if (text.startsWith(NO_MAIL, start)) return noMail(text, start + NO_MAIL.length);
  if (text.startsWith(UNEXPECTED, start)) return lost(text, start + UNEXPECTED.length, 'unexpected disconnection');
  if (text.startsWith(COMMAND_TIMEOUT, start)) return lost(text, start + COMMAND_TIMEOUT.length, 'SMTP command timeout');
  if (text.startsWith(DATA_TIMEOUT, start)) return lost(text, start + DATA_TIMEOUT.length, 'SMTP data timeout');
  if (text.startsWith(REFUSED_FROM, start)) return refused(text, start + REFUSED_FROM.length);
  if (text.startsWith(TLS_ERROR, start)) {
    const fields = readPeerFields(text, start + TLS_ERROR.length);
    return withReason(sessionEvent('tls', 'failure', fields), text.slice(fields.end));
  }
  if (text.startsWith(NO_HOST_NAME, start)) return lookupFailure(text, start, true);
  if (text.startsWith(NO_ADDRESS, start)) return lookupFailure(text, start, false);
  return undefined;
}
