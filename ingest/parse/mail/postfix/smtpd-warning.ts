/**
 * The warnings smtpd writes about a client, which say more than "warning": SASL login failures (the brute force
 * signal), hostnames that do not match their address, anvil's rate limits and clients speaking another protocol.
 */
import { looksLikeIp } from '../address';
import type { MailEvent } from '../types';
import { extraOf } from './event';
import { endOfPeer, parsePeer } from './peer';

const SASL = 'SASL ';
const SASL_FAILED = ' authentication failed';
const SASL_LIBRARY_FAILURE = 'SASL authentication failure';
const HOSTNAME = 'hostname ';
const DOES_NOT_RESOLVE = ' does not resolve to address ';
const HOSTNAME_OF = ': hostname ';
const NOT_LISTED = ': address not listed for hostname ';
const NON_SMTP = 'non-SMTP command from ';
const FOR_SERVICE = ' for service ';
const SASL_USERNAME = ', sasl_username=';
const RATE_LIMIT = ' limit exceeded: ';

/**
 * Warnings smtpd writes about a client: SASL failures (`SASL LOGIN authentication failed: ...`), hostnames that do
 * not match their address, and anvil limits. The text stays in `statusText`; the client and user are lifted out.
 */
export function refineWarning(event: MailEvent): MailEvent {
  const text = event.statusText ?? '';
  // `SASL authentication failure: ...` is the SASL library's own complaint: no mechanism, often no client.
  if (text.startsWith(SASL_LIBRARY_FAILURE)) return authFailure(event);
  if (text.startsWith(SASL)) {
    const failed = text.indexOf(SASL_FAILED, SASL.length);
    if (failed <= SASL.length) return event;
    // Mechanism names are case-insensitive (`SASL login`, `SASL Plain` occur); the canonical form is upper case.
    const auth: NonNullable<MailEvent['auth']> = { method: text.slice(SASL.length, failed).toUpperCase() };
    const user = text.lastIndexOf(SASL_USERNAME);
    if (user > failed) auth.user = text.slice(user + SASL_USERNAME.length);
    authFailure(event).auth = auth;
    return event;
  }
  if (text.startsWith(HOSTNAME)) return unresolvedHostname(event, text);
  const verification = text.indexOf(HOSTNAME_OF);
  if (verification > 0 && looksLikeIp(text, 0, verification)) {
    const nameStart = verification + HOSTNAME_OF.length;
    const nameEnd = text.indexOf(' ', nameStart);
    if (nameEnd > 0 && text.startsWith(' verification failed', nameEnd)) {
      return hostnameMismatch(event, text, verification, nameStart);
    }
  }
  const unlisted = text.indexOf(NOT_LISTED);
  if (unlisted > 0 && looksLikeIp(text, 0, unlisted)) {
    return hostnameMismatch(event, text, unlisted, unlisted + NOT_LISTED.length);
  }
  const limit = text.indexOf(RATE_LIMIT);
  if (limit > 0) return rateLimit(event, text, limit);
  if (text.startsWith(NON_SMTP)) return nonSmtp(event, text);
  return event;
}

function authFailure(event: MailEvent): MailEvent {
  event.action = 'auth-failure';
  event.category = ['email', 'authentication'];
  event.outcome = 'failure';
  return event;
}

/** `hostname mail.example.com does not resolve to address 192.0.2.1[: reason]`: forward-confirmed DNS failed. */
function unresolvedHostname(event: MailEvent, text: string): MailEvent {
  const nameStart = HOSTNAME.length;
  const nameEnd = text.indexOf(' ', nameStart);
  if (nameEnd < 0 || !text.startsWith(DOES_NOT_RESOLVE, nameEnd)) return event;
  const addressStart = nameEnd + DOES_NOT_RESOLVE.length;
  // An IPv6 address holds colons itself: the reason, if any, follows `: `.
  const reason = text.indexOf(': ', addressStart);
  event.action = 'hostname-mismatch';
  event.category = ['email', 'network'];
  const addressEnd = reason < 0 ? text.length : reason;
  event.client = { host: text.slice(nameStart, nameEnd), ip: text.slice(addressStart, addressEnd) };
  return event;
}

/**
 * `192.0.2.1: hostname mail.example.com verification failed: ...` and `192.0.2.1: address not listed for hostname
 * mail.example.com`: the name the address's PTR record gives does not lead back to it.
 */
function hostnameMismatch(event: MailEvent, text: string, addressEnd: number, nameStart: number): MailEvent {
  let nameEnd = nameStart;
  while (nameEnd < text.length && text.charCodeAt(nameEnd) !== 0x20) nameEnd++;
  event.action = 'hostname-mismatch';
  event.category = ['email', 'network'];
  event.client = { host: text.slice(nameStart, nameEnd), ip: text.slice(0, addressEnd) };
  return event;
}

/** `Connection rate limit exceeded: 31 from host[1.2.3.4] for service smtpd`: anvil stopped a client. */
function rateLimit(event: MailEvent, text: string, limit: number): MailEvent {
  const countStart = limit + RATE_LIMIT.length;
  const from = text.indexOf(' from ', countStart);
  if (from < 0) return event;
  const peerEnd = endOfPeer(text, from + 6);
  const peer = peerEnd < 0 ? undefined : parsePeer(text, from + 6, peerEnd);
  if (peer === undefined) return event;
  event.action = 'rate-limit';
  event.category = ['email', 'network'];
  event.client = peer;
  const extra = extraOf(event);
  extra.limit = text.slice(0, limit);
  extra.count = text.slice(countStart, from);
  if (text.startsWith(FOR_SERVICE, peerEnd)) extra.service = text.slice(peerEnd + FOR_SERVICE.length);
  return event;
}

/** `non-SMTP command from host[1.2.3.4]: GET / HTTP/1.1`: a client speaking another protocol, often a scanner. */
function nonSmtp(event: MailEvent, text: string): MailEvent {
  const start = NON_SMTP.length;
  const peerEnd = endOfPeer(text, start);
  const peer = peerEnd < 0 ? undefined : parsePeer(text, start, peerEnd);
  if (peer === undefined) return event;
  event.action = 'non-smtp-command';
  event.category = ['email', 'network'];
  event.client = peer;
  if (text.startsWith(': ', peerEnd)) extraOf(event).command = text.slice(peerEnd + 2);
  return event;
}
