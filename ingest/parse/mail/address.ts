/**
 * How Exim, Sendmail and Dovecot write the parties of an SMTP exchange: a network peer (`name (helo) [ip]:port` in
 * Exim's `H=`, `name [ip] (may be forged)` in Sendmail's `relay=`, `[IPv6:2001:db8::1]`, `::ffff:192.0.2.1`) and an
 * envelope address (`<a@b>`). The shape test for an address serves Postfix's peers too.
 */
import { Char, isDigit, isHexDigit } from './chars';
import type { Peer } from './types';

/** A peer read from a line, and where it ended. */
export interface PeerSpan extends Peer {
  /** The name the client gave in HELO/EHLO, which Exim writes in parentheses before the address. */
  helo?: string;
  /** Index just after the peer (after `]`, its `:port`, or the name when there is no address). */
  end: number;
}

/**
 * The address as a user searches for it: an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack socket
 * reports) is the IPv4 address, and Sendmail's `IPv6:` tag is not part of the address. The case is kept as written.
 */
export function normalizeIp(ip: string): string {
  if (ip.length > 7 && ip.charCodeAt(0) === Char.COLON && ip.charCodeAt(1) === Char.COLON && ip.charCodeAt(6) === Char.COLON) {
    const tag = ip.slice(2, 6);
    if ((tag === 'ffff' || tag === 'FFFF') && ip.indexOf('.', 7) > 0) return ip.slice(7);
  }
  if (ip.startsWith('IPv6:')) return ip.slice(5);
  return ip;
}

/**
 * `<a@b>` is `a@b`, `<>` (the null sender of a bounce) is the empty string; anything else is kept as written. Reads
 * `text` from `start` to its end, so a caller with the address at the end of a line need not cut it out first.
 */
export function unwrapAddress(text: string, start = 0): string {
  const end = text.length;
  if (end - start >= 2 && text.charCodeAt(start) === Char.LT && text.charCodeAt(end - 1) === Char.GT) {
    return text.slice(start + 1, end - 1);
  }
  return start === 0 ? text : text.slice(start);
}

/**
 * A cheap shape test for an IP address in `text[start, end)`: dotted digits with three dots (seven characters at
 * least), or hex groups with at least two colons (an IPv4 tail allowed). It tells an address from a user name, a
 * session id, a socket path or a counter such as `dict_ldap_get_values[1]`, nothing more; the address itself is
 * taken as written.
 */
export function looksLikeIp(text: string, start = 0, end = text.length): boolean {
  let dots = 0;
  let colons = 0;
  let hexLetters = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === Char.DOT) dots++;
    else if (c === Char.COLON) colons++;
    else if (isDigit(c)) continue;
    else if (isHexDigit(c)) hexLetters = true;
    else return false;
  }
  return colons >= 2 || (colons === 0 && !hexLetters && dots === 3 && end - start >= 7);
}

/**
 * Reads a peer at `start`: an optional name, an optional `(helo)`, an optional `[ip]` with `:port`, in that order.
 * The name ends at a space or `[` (so `name[ip]` reads too); the HELO name holds no space, because Exim refuses a
 * HELO argument that is not a domain or an address literal. A `*` after the address (Exim: a further message down
 * the same connection) is skipped. When the name itself is a bracketed literal, it is the address.
 */
export function readPeer(text: string, start: number): PeerSpan {
  const span: PeerSpan = { end: start };
  let i = start;
  let c = text.charCodeAt(i);
  if (c !== Char.OPEN_PAREN && c !== Char.OPEN_BRACKET && i < text.length) {
    let j = i;
    while (j < text.length) {
      const d = text.charCodeAt(j);
      if (d === Char.SPACE || d === Char.OPEN_BRACKET) break;
      j++;
    }
    span.host = text.slice(i, j);
    span.end = j;
    i = j;
    const next = text.charCodeAt(i + 1);
    if (text.charCodeAt(i) === Char.SPACE && (next === Char.OPEN_PAREN || next === Char.OPEN_BRACKET)) i++;
    c = text.charCodeAt(i);
  }
  if (c === Char.OPEN_PAREN) {
    let j = text.indexOf(' ', i);
    if (j < 0) j = text.length;
    if (text.charCodeAt(j - 1) !== Char.CLOSE_PAREN) return span;
    span.helo = text.slice(i + 1, j - 1);
    span.end = j;
    if (text.charCodeAt(j + 1) !== Char.OPEN_BRACKET) return span;
    i = j + 1;
    c = Char.OPEN_BRACKET;
  }
  if (c !== Char.OPEN_BRACKET) return span;
  const close = text.indexOf(']', i + 1);
  if (close < 0) return span;
  span.ip = normalizeIp(text.slice(i + 1, close));
  i = close + 1;
  if (text.charCodeAt(i) === Char.COLON && isDigit(text.charCodeAt(i + 1))) {
    let port = 0;
    i++;
    while (isDigit(text.charCodeAt(i))) port = port * 10 + text.charCodeAt(i++) - Char.DIGIT_0;
    span.port = port;
  }
  if (text.charCodeAt(i) === Char.STAR) i++;
  span.end = i;
  return span;
}

/** The peer without its reading state, and without the fields the line did not have. */
export function peerOf(span: PeerSpan): Peer {
  const peer: Peer = {};
  if (span.host !== undefined) peer.host = span.host;
  if (span.ip !== undefined) peer.ip = span.ip;
  if (span.port !== undefined) peer.port = span.port;
  return peer;
}
