/**
 * Community ID v1 flow hashing (corelight/community-id-spec): one string per flow that Zeek, Suricata, Arkime,
 * Elastic and Vigil all compute the same way, so that an analyst can pivot between their records.
 *
 *   sha1(seed:2 . saddr:4|16 . daddr:4|16 . proto:1 . 0:1 . sport:2 . dport:2), base64, prefixed "1:"
 *
 * The endpoints are ordered so that the smaller address (then port) comes first, which makes both directions of
 * a flow hash alike. ICMP and ICMPv6 take the message type as the source "port" and, for request/response types,
 * the counterpart type as the destination "port" (else the code); one-way types are not reordered. This is the
 * way Zeek itself maps ICMP to ports, so Zeek's `id.orig_p`/`id.resp_p` of an ICMP connection (type, code) can be
 * passed as they are.
 */
import { createHash, hash } from 'node:crypto';

export const IANA_ICMP = 1;
export const IANA_TCP = 6;
export const IANA_UDP = 17;
export const IANA_ICMPV6 = 58;
export const IANA_SCTP = 132;

/** ICMP request/response type pairs (Zeek's ICMP4_counterpart). */
const ICMP4_COUNTERPART = new Map<number, number>([
  [8, 0], [0, 8], // echo
  [13, 14], [14, 13], // timestamp
  [15, 16], [16, 15], // information
  [10, 9], [9, 10], // router solicitation / advertisement
  [17, 18], [18, 17], // address mask
]);

/** ICMPv6 request/response type pairs (Zeek's ICMP6_counterpart). */
const ICMP6_COUNTERPART = new Map<number, number>([
  [128, 129], [129, 128], // echo
  [130, 131], [131, 130], // multicast listener query / report
  [133, 134], [134, 133], // router solicitation / advertisement
  [135, 136], [136, 135], // neighbor solicitation / advertisement
  [139, 140], [140, 139], // who-are-you
  [144, 145], [145, 144], // home agent address discovery
]);

/**
 * One-shot hashing is three times faster than a Hash object per flow; `crypto.hash` exists from Node 20.12 on,
 * older Node 20 releases take the Hash object.
 */
const sha1Base64: (data: Uint8Array) => string =
  typeof hash === 'function'
    ? (data) => hash('sha1', data, 'base64')
    : (data) => createHash('sha1').update(data).digest('base64');

// The hash input is at most 2 + 16 + 16 + 1 + 1 + 2 + 2 bytes; one buffer is reused for every flow.
const input = Buffer.alloc(40);
// Views of its first n bytes, made once: a `subarray` per flow made each hash about 40% slower.
const inputViews = Array.from({ length: input.length + 1 }, (_, n) => input.subarray(0, n));
const srcBytes = Buffer.alloc(16);
const dstBytes = Buffer.alloc(16);
const v4Tail = Buffer.alloc(4);

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Dotted quad text[from, to) into out[at..at+4); false when it is not one. */
function parseIpv4(text: string, from: number, to: number, out: Uint8Array, at: number): boolean {
  let octet = 0;
  let digits = 0;
  let parts = 0;
  for (let i = from; i <= to; i++) {
    const c = i === to ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || parts === 4) return false;
      out[at + parts++] = octet;
      octet = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      // A leading zero would make the octet ambiguous (octal in some parsers): not an address Zeek writes.
      if (digits > 0 && octet === 0) return false;
      octet = octet * 10 + (c - 0x30);
      if (++digits > 3 || octet > 255) return false;
    } else {
      return false;
    }
  }
  return parts === 4;
}

/** IPv6 text (with `::` and an embedded IPv4 tail allowed) into out[0..16); false when it is not one. */
function parseIpv6(text: string, out: Uint8Array): boolean {
  const words: number[] = [];
  let gap = -1;
  let i = 0;
  const n = text.length;
  if (n < 2) return false;
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return false;
    gap = 0;
    i = 2;
    if (i === n) {
      out.fill(0, 0, 16);
      return true;
    }
  }
  while (i < n) {
    let value = 0;
    let digits = 0;
    const start = i;
    while (i < n) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
      if (++digits > 4) return false;
      i++;
    }
    if (i < n && text.charCodeAt(i) === 0x2e) {
      // Embedded IPv4 (`::ffff:1.2.3.4`): the last 32 bits.
      if (words.length > 6) return false;
      if (!parseIpv4(text, start, n, v4Tail, 0)) return false;
      words.push((v4Tail[0] << 8) | v4Tail[1], (v4Tail[2] << 8) | v4Tail[3]);
      i = n;
      break;
    }
    if (digits === 0) return false;
    words.push(value);
    if (i === n) break;
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < n && text.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = words.length;
      i++;
    } else if (i === n) {
      return false;
    }
  }
  if (gap < 0 ? words.length !== 8 : words.length > 7) return false;
  const fill = 8 - words.length;
  let w = 0;
  for (let k = 0; k < 8; k++) {
    let word: number;
    if (gap >= 0 && k >= gap && k < gap + fill) word = 0;
    else word = words[w++];
    out[k * 2] = word >> 8;
    out[k * 2 + 1] = word & 0xff;
  }
  return true;
}

/** Writes the address into out and returns its length (4 or 16), or 0 when the text is not an IP address. */
export function ipToBytes(text: string, out: Uint8Array): 0 | 4 | 16 {
  if (text.indexOf(':') >= 0) return parseIpv6(text, out) ? 16 : 0;
  return parseIpv4(text, 0, text.length, out, 0) ? 4 : 0;
}

/** -1, 0 or 1 as a[0..len) compares with b[0..len) byte by byte. */
function compareBytes(a: Uint8Array, b: Uint8Array, len: number): number {
  for (let i = 0; i < len; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

/**
 * The flow of the last call and its ID. Records of one connection come in runs (a DNS query and its answers,
 * a TLS session, its certificates and files): in Zeek's sample logs a third of the calls repeat the call just
 * before, and comparing five values costs far less than parsing two addresses and hashing. The ID depends on
 * the five values alone, so the remembered one cannot go stale.
 */
let lastProtocol = -1;
let lastSaddr = '';
let lastDaddr = '';
let lastSport: number | undefined;
let lastDport: number | undefined;
let lastId: string | undefined;

/**
 * The Community ID v1 (seed 0) of a flow, or undefined when an address is not an IP address or the two are not
 * of the same family. `sport`/`dport` are the ports for TCP, UDP and SCTP and the type and code for ICMP and
 * ICMPv6 (pass `ianaProtocol` 1 for ICMP over IPv6 too: the family decides), and then required; for any other
 * protocol they are ignored.
 */
export function communityId(
  ianaProtocol: number,
  saddr: string,
  daddr: string,
  sport: number | undefined,
  dport: number | undefined,
): string | undefined {
  if (
    ianaProtocol === lastProtocol &&
    sport === lastSport &&
    dport === lastDport &&
    saddr === lastSaddr &&
    daddr === lastDaddr
  ) {
    return lastId;
  }
  const id = computeCommunityId(ianaProtocol, saddr, daddr, sport, dport);
  lastProtocol = ianaProtocol;
  lastSaddr = saddr;
  lastDaddr = daddr;
  lastSport = sport;
  lastDport = dport;
  lastId = id;
  return id;
}

function computeCommunityId(
  ianaProtocol: number,
  saddr: string,
  daddr: string,
  sport: number | undefined,
  dport: number | undefined,
): string | undefined {
  const len = ipToBytes(saddr, srcBytes);
  if (len === 0 || ipToBytes(daddr, dstBytes) !== len) return undefined;
  let proto = ianaProtocol;
  if (proto === IANA_ICMP && len === 16) proto = IANA_ICMPV6;
  else if (proto === IANA_ICMPV6 && len === 4) proto = IANA_ICMP;

  const isIcmp = proto === IANA_ICMP || proto === IANA_ICMPV6;
  const hasPorts = isIcmp || proto === IANA_TCP || proto === IANA_UDP || proto === IANA_SCTP;
  let p1 = 0;
  let p2 = 0;
  let oneWay = false;
  if (hasPorts) {
    if (sport === undefined || dport === undefined || !isPort(sport) || !isPort(dport)) return undefined;
    p1 = sport;
    p2 = dport;
  }
  if (isIcmp) {
    const counterpart = (proto === IANA_ICMP ? ICMP4_COUNTERPART : ICMP6_COUNTERPART).get(p1);
    if (counterpart === undefined) oneWay = true;
    else p2 = counterpart;
  }

  let first = srcBytes;
  let second = dstBytes;
  if (!oneWay) {
    const order = compareBytes(srcBytes, dstBytes, len);
    if (order > 0 || (order === 0 && hasPorts && p1 > p2)) {
      first = dstBytes;
      second = srcBytes;
      const p = p1;
      p1 = p2;
      p2 = p;
    }
  }

  let at = 0;
  input[at++] = 0; // seed, 2 bytes
  input[at++] = 0;
  for (let i = 0; i < len; i++) input[at++] = first[i];
  for (let i = 0; i < len; i++) input[at++] = second[i];
  input[at++] = proto;
  input[at++] = 0;
  if (hasPorts) {
    input[at++] = p1 >> 8;
    input[at++] = p1 & 0xff;
    input[at++] = p2 >> 8;
    input[at++] = p2 & 0xff;
  }
  return '1:' + sha1Base64(inputViews[at]);
}

function isPort(p: number): boolean {
  return Number.isInteger(p) && p >= 0 && p <= 0xffff;
}
