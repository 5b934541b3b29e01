/**
 * Features of DNS names for the DNS model: the registered domain (eTLD+1) a name belongs to, the part left of it,
 * and the figures that tell a DNS tunnel (ATT&CK T1071.004, T1048) from ordinary lookups.
 *
 * A tunnel encodes data into the labels left of a domain whose authoritative server the attacker runs, so every
 * query is a new, long, random-looking name under one registered domain, and the answers often come back in TXT or
 * NULL records (iodine uses NULL, dnscat2 TXT/CNAME/MX). The public descriptions of detectors (Elastic's DNS
 * tunneling job and dashboard, which count unique names and information content per registered domain; Palo Alto
 * and Cisco Umbrella write-ups; Farnham, "Detecting DNS Tunneling", SANS 2013, with its 52-character name length)
 * agree on those signals, and on needing them together: high entropy alone also describes CDN and telemetry names.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { parse } from 'tldts';

/**
 * The public suffix list with its private section (`github.io`, `s3.amazonaws.com`, `elb.amazonaws.com`): a name
 * under such a suffix belongs to the customer who holds the label left of it, not to the platform, which is the
 * zone an attacker would control and keeps thousands of unrelated cloud hostnames from being counted as
 * "subdomains of amazonaws.com". The input is a DNS name, not a URL: no host extraction, and no hostname
 * validation, because DNS names legitimately carry `_` (SRV, DKIM) and mDNS instance names carry spaces.
 */
const PSL_OPTIONS = { allowPrivateDomains: true, extractHostname: false, validateHostname: false, detectIp: false } as const;

/** Reverse-mapping zones: their names spell addresses (RFC 1035 3.5, RFC 3596), not registrations. */
const REVERSE_ZONES = ['in-addr.arpa', 'ip6.arpa'];

/** A DNS name cut at its registered domain. */
export interface DomainParts {
  /** The name lower-cased, without its trailing dot, internationalised labels in their ASCII (`xn--`) form. */
  name: string;
  /** eTLD+1: `example.co.uk` for `mail.example.co.uk`. */
  registeredDomain: string;
  /** The public suffix: `co.uk`. */
  publicSuffix: string;
  /** The registered domain without its suffix: `example`. */
  label: string;
  /** The labels left of the registered domain, `''` when the name is the registered domain itself. */
  subdomain: string;
}

/**
 * The canonical form of a query name, or undefined when it cannot be a domain name: lower case (DNS compares names
 * case-insensitively, and resolvers randomise case for 0x20 spoofing protection), one trailing dot (the root)
 * removed, Unicode labels turned into their ASCII form (the form on the wire, so one domain has one key).
 */
export function normaliseName(name: string): string | undefined {
  let n = name.trim().toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  if (n === '') return undefined;
  // Only names with non-ASCII characters go through IDNA; it rejects spaces, which mDNS names may hold.
  if (!/^[\x00-\x7f]*$/.test(n)) {
    const ascii = domainToASCII(n);
    if (ascii !== '') n = ascii;
  }
  return n;
}

function isIpLiteral(name: string): boolean {
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  return isIP(bare) !== 0;
}

function inReverseZone(name: string): boolean {
  return REVERSE_ZONES.some((zone) => name === zone || name.endsWith('.' + zone));
}

/**
 * `name` cut at its registered domain, or undefined when it has none:
 * - IP literals (`192.0.2.1`, `[2001:db8::1]`): an address is not registered under a suffix;
 * - single-label names (`wpad`, `localhost`, NetBIOS and LLMNR names such as the `b`/`t-` MX probes of the
 *   Stratosphere captures): there is no suffix to cut;
 * - names in the reverse-mapping zones `in-addr.arpa` and `ip6.arpa`: PTR lookups, whose labels are address nibbles;
 * - names that are a public suffix themselves (`co.uk`, `elb.amazonaws.com`), have an empty label (`a..b`), or whose
 *   registered label would be a certificate wildcard (`*.github.io`).
 *
 * Names under a suffix missing from the list (`local`, `lan`, `localdomain`, `internal`, a site's private TLD) follow
 * the list's default rule `*`: the last label is the suffix, so `printer.lan` is its own registered domain and
 * `snozberry.oompa.loompa` belongs to `oompa.loompa`. Those names are grouped the same way as public ones; whether
 * a local name matters is the model's decision, not this function's.
 */
export function domainParts(name: string): DomainParts | undefined {
  const n = normaliseName(name);
  if (n === undefined || !n.includes('.') || n.includes('..') || n.startsWith('.')) return undefined;
  if (isIpLiteral(n) || inReverseZone(n)) return undefined;
  const r = parse(n, PSL_OPTIONS);
  if (!r.domain || !r.publicSuffix) return undefined;
  const label = r.domain.slice(0, r.domain.length - r.publicSuffix.length - 1);
  // A certificate's `*.example.net` under a private suffix would make the wildcard a registered label.
  if (label === '*') return undefined;
  return {
    name: n,
    registeredDomain: r.domain,
    publicSuffix: r.publicSuffix,
    label,
    subdomain: n.length === r.domain.length ? '' : n.slice(0, n.length - r.domain.length - 1),
  };
}

/** eTLD+1 of a DNS name (`mail.example.co.uk` -> `example.co.uk`); see `domainParts` for the undefined cases. */
export function registeredDomain(name: string): string | undefined {
  return domainParts(name)?.registeredDomain;
}

/** The labels left of the registered domain (`a.b` of `a.b.example.com`), `''` for the registered domain itself. */
export function subdomainPart(name: string): string | undefined {
  return domainParts(name)?.subdomain;
}

// Character counts for the entropy: a table for the ASCII a DNS name is made of, a map for anything else.
const asciiCounts = new Uint32Array(128);

/**
 * Shannon entropy in bits per character of `s[start..end)`, dots skipped when `skipDots` (they are label
 * separators, not payload). Counts UTF-16 code units. No allocation for ASCII input.
 */
function entropyOf(s: string, start: number, end: number, skipDots: boolean): { bits: number; chars: number } {
  let chars = 0;
  let other: Map<number, number> | undefined;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (skipDots && c === 0x2e) continue;
    chars++;
    if (c < 128) asciiCounts[c]++;
    else (other ??= new Map()).set(c, (other.get(c) ?? 0) + 1);
  }
  if (chars === 0) return { bits: 0, chars: 0 };
  let h = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) continue;
    const k = asciiCounts[c];
    if (k === 0) continue; // already taken, or a skipped dot
    const p = k / chars;
    h -= p * Math.log2(p);
    asciiCounts[c] = 0;
  }
  if (other) {
    for (const k of other.values()) {
      const p = k / chars;
      h -= p * Math.log2(p);
    }
  }
  // -0 and rounding below zero for a single repeated character.
  return { bits: h > 0 ? h : 0, chars };
}

/** Shannon entropy of `s` in bits per character (0 for the empty string; log2 of the alphabet size at most). */
export function shannonEntropy(s: string): number {
  return entropyOf(s, 0, s.length, false).bits;
}

/** What one query name says about tunneling: everything measured on the part left of the registered domain. */
export interface TunnelingFeatures {
  /** The normalised name (see `normaliseName`), `''` when the input is no name at all. */
  name: string;
  registeredDomain?: string;
  /** Labels left of the registered domain; `''` when there are none or the name has no registered domain. */
  subdomain: string;
  /** Length of the whole normalised name (Farnham: names over 52 characters are rare outside tunnels). */
  length: number;
  /** Length of `subdomain`, dots included. */
  subdomainLength: number;
  /** Number of labels in `subdomain`. */
  labelCount: number;
  /** Longest label of `subdomain` (tunnels fill labels towards the 63-character limit). */
  longestLabel: number;
  /** Shannon entropy of the subdomain's characters, dots excluded, in bits per character. */
  entropy: number;
  /**
   * Information content in bits: `entropy` times the number of those characters. Grows with both randomness and
   * length, as the payload a query can carry does; after the idea of Elastic's `high_info_content` detector.
   */
  information: number;
  /** Share of digits among the subdomain's characters (hex and base32 payloads hold many). */
  digitRatio: number;
  /** How many character classes the subdomain mixes: letters, digits, `-`, `_`, anything else (0 to 5). */
  charClasses: number;
}

const EMPTY_FEATURES: Omit<TunnelingFeatures, 'name' | 'length'> = {
  subdomain: '',
  subdomainLength: 0,
  labelCount: 0,
  longestLabel: 0,
  entropy: 0,
  information: 0,
  digitRatio: 0,
  charClasses: 0,
};

/** The tunneling figures of one query name. Names without a registered domain have all subdomain figures 0. */
export function tunnelingFeatures(name: string): TunnelingFeatures {
  const parts = domainParts(name);
  if (parts === undefined) {
    const n = normaliseName(name) ?? '';
    return { name: n, length: n.length, ...EMPTY_FEATURES };
  }
  const { subdomain } = parts;
  const shape = subdomainShape(subdomain, 0, subdomain.length);
  const { bits, chars } = entropyOf(subdomain, 0, subdomain.length, true);
  return {
    name: parts.name,
    registeredDomain: parts.registeredDomain,
    subdomain,
    length: parts.name.length,
    subdomainLength: subdomain.length,
    labelCount: shape.labels,
    longestLabel: shape.longestLabel,
    entropy: bits,
    information: bits * chars,
    digitRatio: chars === 0 ? 0 : shape.digits / chars,
    charClasses: shape.classes,
  };
}

const CLASS_LETTER = 1;
const CLASS_DIGIT = 2;
const CLASS_HYPHEN = 4;
const CLASS_UNDERSCORE = 8;
const CLASS_OTHER = 16;

function subdomainShape(s: string, start: number, end: number): { labels: number; longestLabel: number; digits: number; classes: number } {
  if (end <= start) return { labels: 0, longestLabel: 0, digits: 0, classes: 0 };
  let labels = 1;
  let longest = 0;
  let run = 0;
  let digits = 0;
  let mask = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      labels++;
      if (run > longest) longest = run;
      run = 0;
      continue;
    }
    run++;
    if (c >= 0x61 && c <= 0x7a) mask |= CLASS_LETTER;
    else if (c >= 0x30 && c <= 0x39) {
      mask |= CLASS_DIGIT;
      digits++;
    } else if (c === 0x2d) mask |= CLASS_HYPHEN;
    else if (c === 0x5f) mask |= CLASS_UNDERSCORE;
    else mask |= CLASS_OTHER;
  }
  if (run > longest) longest = run;
  let classes = 0;
  for (let m = mask; m !== 0; m &= m - 1) classes++;
  return { labels, longestLabel: longest, digits, classes };
}

/** Query types that carry a payload back to the client and that tunnels favour: TXT (16) and NULL (10). */
function isPayloadType(qtype: string | number | undefined): boolean {
  if (qtype === undefined) return false;
  if (typeof qtype === 'number') return qtype === 16 || qtype === 10;
  const t = qtype.toUpperCase();
  return t === 'TXT' || t === 'NULL';
}

/**
 * HyperLogLog with 2^8 one-byte registers: 256 bytes per registered domain, a standard error of 1.04/sqrt(256) =
 * 6.5 %, and linear counting (nearly exact) while fewer than 2.5 x 256 = 640 names were seen, which covers the
 * thresholds of `tunnelingScore`. A sketch rather than a capped set because a tunnel's names are all distinct and
 * the count that matters is the one beyond any cap. Hashes are 32-bit, so counts stay sound up to about 10^8.
 */
const HLL_P = 8;
const HLL_M = 1 << HLL_P;
const HLL_ALPHA = 0.7213 / (1 + 1.079 / HLL_M);

/** FNV-1a over UTF-16 code units, then murmur3's finaliser: FNV alone mixes its high bits poorly. */
function hash32(s: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** What a `TunnelAccumulator` has seen of one registered domain; the input of `tunnelingScore`. */
export interface TunnelStats {
  registeredDomain: string;
  /** Queries added. */
  queries: number;
  /** Estimated number of distinct names (distinct subdomains, the bare domain counting as one). */
  uniqueSubdomains: number;
  /** Sum and maximum of the per-query `information` (bits). */
  informationSum: number;
  informationMax: number;
  /** Longest subdomain label seen. */
  longestLabel: number;
  /** Queries of type TXT or NULL. */
  payloadTypeQueries: number;
}

/**
 * Tunneling figures of the queries for one registered domain over a window. Per query it keeps only counters and
 * updates a 256-byte sketch: no per-name set, whatever the query volume.
 */
export class TunnelAccumulator {
  private readonly registers = new Uint8Array(HLL_M);
  private readonly suffix: string;
  queries = 0;
  informationSum = 0;
  informationMax = 0;
  longestLabel = 0;
  payloadTypeQueries = 0;

  /** `registeredDomain` as `registeredDomain()` returns it. */
  constructor(readonly registeredDomain: string) {
    this.suffix = '.' + registeredDomain;
  }

  /**
   * Adds one query (Zeek `dns.log` `query` and `qtype_name` or `qtype`). Returns false, and counts nothing, for a
   * name that is not this domain or under it.
   */
  add(name: string, qtype?: string | number): boolean {
    const n = normaliseName(name);
    if (n === undefined) return false;
    let end: number;
    if (n === this.registeredDomain) end = 0;
    else if (n.endsWith(this.suffix)) end = n.length - this.suffix.length;
    else return false;
    const { bits, chars } = entropyOf(n, 0, end, true);
    const info = bits * chars;
    this.queries++;
    this.informationSum += info;
    if (info > this.informationMax) this.informationMax = info;
    const { longestLabel } = subdomainShape(n, 0, end);
    if (longestLabel > this.longestLabel) this.longestLabel = longestLabel;
    if (isPayloadType(qtype)) this.payloadTypeQueries++;
    this.observe(hash32(n, 0, end));
    return true;
  }

  private observe(h: number): void {
    const j = h >>> (32 - HLL_P);
    const rank = Math.min(Math.clz32(h << HLL_P) + 1, 32 - HLL_P + 1);
    if (rank > this.registers[j]) this.registers[j] = rank;
  }

  /** Folds in another accumulator of the same domain (another sensor or window); the sketch merges exactly. */
  merge(other: TunnelAccumulator): void {
    if (other.registeredDomain !== this.registeredDomain) throw new Error(`cannot merge ${other.registeredDomain} into ${this.registeredDomain}`);
    for (let j = 0; j < HLL_M; j++) if (other.registers[j] > this.registers[j]) this.registers[j] = other.registers[j];
    this.queries += other.queries;
    this.informationSum += other.informationSum;
    this.informationMax = Math.max(this.informationMax, other.informationMax);
    this.longestLabel = Math.max(this.longestLabel, other.longestLabel);
    this.payloadTypeQueries += other.payloadTypeQueries;
  }

  /** Estimated distinct names seen. */
  uniqueSubdomains(): number {
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < HLL_M; j++) {
      const r = this.registers[j];
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const raw = (HLL_ALPHA * HLL_M * HLL_M) / sum;
    if (raw <= 2.5 * HLL_M && zeros > 0) return Math.round(HLL_M * Math.log(HLL_M / zeros));
    return Math.round(raw);
  }

  stats(): TunnelStats {
    return {
      registeredDomain: this.registeredDomain,
      queries: this.queries,
      uniqueSubdomains: this.uniqueSubdomains(),
      informationSum: this.informationSum,
      informationMax: this.informationMax,
      longestLabel: this.longestLabel,
      payloadTypeQueries: this.payloadTypeQueries,
    };
  }
}

/**
 * Thresholds of `tunnelingScore`. Each figure enters through a ramp: 0 at or below `low`, 1 at or above `high`.
 * - Distinct names per registered domain (log scale): 16 to 256. Published heuristics put ordinary domains at a
 *   handful to a few dozen names per window and tunnels at hundreds to thousands (one name per data chunk, since a
 *   repeated name would be answered from cache); 100 is the usual alarm point and lands at two thirds of the ramp.
 * - Mean information per query: 40 to 160 bits. 40 bits is a random label of about 12 characters; 160 bits is about
 *   35 base32 characters, a chunk of some 22 bytes, less than a single iodine or dnscat2 query carries.
 * - Longest label: 24 to 52 characters. Host and service labels are rarely longer than 20; tunnels fill labels up to
 *   the 63-character limit, and Farnham's 52-character mark for a whole name is the upper end.
 * - Share of TXT or NULL queries: 5 % to 50 %. Ordinary clients ask for A and AAAA; TXT answers carry the
 *   downstream payload of dnscat2 and many malware channels, NULL that of iodine.
 */
export const TUNNELING_THRESHOLDS = {
  uniqueSubdomains: { low: 16, high: 256 },
  meanInformation: { low: 40, high: 160 },
  longestLabel: { low: 24, high: 52 },
  payloadTypeShare: { low: 0.05, high: 0.5 },
} as const;

/**
 * Score at and above which a registered domain is reported as a likely tunnel. With full content (long random
 * names) it is reached at 64 distinct names in the window; a slower tunnel needs a longer window to show.
 */
export const TUNNELING_ALERT_SCORE = 0.5;

function ramp(x: number, low: number, high: number): number {
  if (!(x > low)) return 0;
  if (x >= high) return 1;
  return (x - low) / (high - low);
}

/**
 * 0 to 1: how much one registered domain's traffic looks like a DNS tunnel.
 *
 * score = volume x content, where volume is the distinct-name ramp (log scale) and
 * content = min(1, 0.75 x information + 0.25 x longest label + 0.5 x TXT/NULL share).
 * A product, because neither half suffices: CDN and telemetry domains have high-entropy names but few of them, and
 * busy domains have many names of little information. Information weighs most because it already grows with both
 * entropy and length; the record types add to the content but cannot make it alone. A single query scores 0.
 */
export function tunnelingScore(stats: TunnelStats): number {
  if (stats.queries === 0) return 0;
  const t = TUNNELING_THRESHOLDS;
  const volume = ramp(Math.log2(Math.max(stats.uniqueSubdomains, 1)), Math.log2(t.uniqueSubdomains.low), Math.log2(t.uniqueSubdomains.high));
  const information = ramp(stats.informationSum / stats.queries, t.meanInformation.low, t.meanInformation.high);
  const label = ramp(stats.longestLabel, t.longestLabel.low, t.longestLabel.high);
  const payload = ramp(stats.payloadTypeQueries / stats.queries, t.payloadTypeShare.low, t.payloadTypeShare.high);
  const content = Math.min(1, 0.75 * information + 0.25 * label + 0.5 * payload);
  return volume * content;
}
