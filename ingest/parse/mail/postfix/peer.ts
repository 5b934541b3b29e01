/**
 * The endpoints Postfix names in its logs: `name[address]` for a client or server, with `:port` when
 * `smtpd_client_port_logging` is on or the peer is a relay, and `[address]:port` in postscreen and tlsproxy.
 * `unknown` stands for a name that did not resolve and, in `unknown[unknown]`, for an address that was lost.
 */
import { looksLikeIp } from '../address';
import { Char, isDigit } from '../chars';
import type { Peer } from '../types';

/**
 * Where the peer starting at `start` ends (just after `]` or after its `:port`), or -1 when no `name[...]` starts
 * there. The name holds no space and no bracket; what is inside the brackets is not checked here.
 */
export function endOfPeer(text: string, start: number): number {
  let i = start;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === Char.OPEN_BRACKET) break;
    if (c === Char.SPACE || c === Char.CLOSE_BRACKET) return -1;
    i++;
  }
  if (i >= text.length) return -1;
  const close = text.indexOf(']', i + 1);
  if (close < 0) return -1;
  let end = close + 1;
  if (text.charCodeAt(end) === Char.COLON && isDigit(text.charCodeAt(end + 1))) {
    end += 2;
    while (isDigit(text.charCodeAt(end))) end++;
  }
  return end;
}

/**
 * Reads `name[address]`, `name[address]:port` or `[address]:port` spanning all of `text[start, end)`. An address
 * of `unknown` leaves `ip` unset; anything in the brackets that is not an address (a socket path, a counter) means
 * this is not a peer.
 */
export function parsePeer(text: string, start = 0, end = text.length): Peer | undefined {
  const open = text.indexOf('[', start);
  if (open < 0 || open >= end) return undefined;
  const close = text.indexOf(']', open + 1);
  if (close < 0 || close >= end) return undefined;
  const peer: Peer = {};
  if (open > start) peer.host = text.slice(start, open);
  if (close - open - 1 === 7 && text.startsWith('unknown', open + 1)) {
    // The address is lost (a client that disconnected before it was looked up): nothing to record.
  } else if (looksLikeIp(text, open + 1, close)) {
    peer.ip = text.slice(open + 1, close);
  } else {
    return undefined;
  }
  if (close + 1 < end) {
    if (text.charCodeAt(close + 1) !== Char.COLON || close + 2 >= end) return undefined;
    let port = 0;
    for (let i = close + 2; i < end; i++) {
      const c = text.charCodeAt(i);
      if (!isDigit(c)) return undefined;
      port = port * 10 + (c - Char.DIGIT_0);
    }
    peer.port = port;
  }
  return peer;
}
