import { isIP } from 'node:net';
import * as ipaddr from 'ipaddr.js';
import { emptyStats, observe, scoreFrom, type EwStats } from '../../baseline/decay';
import { figure, formatCount, plural } from '../format';
import { expectation, MIN_HISTORY_WINDOWS, span, times, zOf, type Expectation } from './stats';

/**
 * Names queried but never connected to: a client resolves names to addresses and opens no connection to any of
 * them. A bot walking its generated list finds some names registered (parked, sinkholed) and moves on; a host
 * mapping a network resolves names it has no business with (ATT&CK T1568.002, T1018). Ordinary clients do it
 * too (prefetching browsers, connectivity probes such as `dns.msftncsi.com`, mail servers checking senders), at a
 * rate of their own, so the count is judged only against the client's own baseline, with modest scores.
 *
 * What can be checked: an answer only counts when the client could have connected to it. Loopback, unspecified,
 * multicast and broadcast answers (sinkholes answer 127.0.0.1, the Simda capture is full of them) cannot be
 * connected to. And a dual-stack host may ask over IPv6 and connect from its IPv4 address, which nothing in the
 * logs ties to it (the Simda host does exactly that), so a name is judged only when it resolved to an address
 * of the client's own family; it is used when the client connected to any of its addresses.
 */

const MAX_NAMES = 2000;
const MAX_ADDRESSES_PER_NAME = 16;
/** Smallest spread and excess: a handful of extra unused names is never a surprise. */
const MIN_SPREAD = 5;
const MIN_EXCESS = 10;
/** The most this kind scores: an alert only when the count is far beyond the client's habit. */
export const MAX_UNUSED_SCORE = 70;
const MIN_REPORTED_SCORE = 20;

export function familyOf(ip: string): 4 | 6 | 0 {
  const v = isIP(ip);
  return v === 4 ? 4 : v === 6 ? 6 : 0;
}

const UNCONNECTABLE = new Set(['unspecified', 'loopback', 'multicast', 'broadcast']);

/** Whether a client could open a connection to this answer at all. */
export function isConnectable(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  let a = ipaddr.parse(ip);
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
  return !UNCONNECTABLE.has(a.range());
}

interface Resolved {
  addresses: string[];
  /** Lookups that returned the name (largest count among its answers), and the first one's time. */
  lookups: number;
  first: number;
}

/**
 * A client's resolved names in one window, from rows in the composite order (name, then address). Bounded by
 * `MAX_NAMES` names of `MAX_ADDRESSES_PER_NAME` addresses; beyond, names are not checked.
 */
export class ResolvedNames {
  readonly names = new Map<string, Resolved>();
  readonly family: 4 | 6 | 0;
  /** Names left out because the client resolved more than `MAX_NAMES`. */
  skipped = 0;

  constructor(readonly client: string) {
    this.family = familyOf(client);
  }

  add(name: string, address: string, docs: number, first: number): void {
    let r = this.names.get(name);
    if (!r) {
      if (this.names.size >= MAX_NAMES) {
        this.skipped++;
        return;
      }
      r = { addresses: [], lookups: 0, first };
      this.names.set(name, r);
    }
    if (docs > r.lookups) r.lookups = docs;
    if (first < r.first) r.first = first;
    if (r.addresses.length < MAX_ADDRESSES_PER_NAME && isConnectable(address) && !r.addresses.includes(address)) r.addresses.push(address);
  }

  /** The connectable addresses of all names, for the connection check. */
  addresses(): string[] {
    const out = new Set<string>();
    for (const r of this.names.values()) for (const a of r.addresses) out.add(a);
    return [...out];
  }
}

export interface UnusedResult {
  /** Names that could be checked (a connectable answer of the client's family). */
  judged: number;
  /** Those the client opened no connection to, in the sweep's order. */
  unused: string[];
  /** Lookups of the unused names, and the first one's time (epoch ms). */
  lookups: number;
  first?: number;
}

/** Which resolved names the client never connected to; `connected(address)` says whether it connected to one. */
export function unusedNames(resolved: ResolvedNames, connected: (address: string) => boolean): UnusedResult {
  const out: UnusedResult = { judged: 0, unused: [], lookups: 0 };
  for (const [name, r] of resolved.names) {
    if (!r.addresses.some((a) => familyOf(a) === resolved.family)) continue;
    out.judged++;
    if (r.addresses.some(connected)) continue;
    out.unused.push(name);
    out.lookups += r.lookups;
    if (out.first === undefined || r.first < out.first) out.first = r.first;
  }
  return out;
}

/** A client's baseline: unused names per window in which it resolved names that could be checked. */
export interface UnusedState {
  names: EwStats;
}

export interface UnusedVerdict {
  score: number;
  expected: Expectation;
}

/** Scores a window's count against the client's own baseline (no prior: ordinary rates vary too much). */
export function judgeUnused(unused: number, state: UnusedState | undefined, at: number, halfLifeMs: number): UnusedVerdict | undefined {
  const expected = expectation(state?.names, at, halfLifeMs, MIN_HISTORY_WINDOWS, MIN_SPREAD);
  if (!expected || unused - expected.mean < MIN_EXCESS) return undefined;
  const score = Math.round(Math.min(MAX_UNUSED_SCORE, 0.7 * scoreFrom(zOf(unused, expected), 6, 1.5)) * 10) / 10;
  return score >= MIN_REPORTED_SCORE ? { score, expected } : undefined;
}

export function learnUnused(state: UnusedState | undefined, unused: number, at: number, halfLifeMs: number): UnusedState {
  return { names: observe(state?.names ?? emptyStats(), unused, at, halfLifeMs) };
}

/**
 * E.g. "192.168.1.116 resolved 45 names in 15 minutes without connecting to any of their addresses (of 60 it
 * could have), 5 times its usual 8 (±4) over 3 days; e.g. vowycac.com, gatyfus.com, lyryfyd.com."
 */
export function unusedExplanation(client: string, r: UnusedResult, v: UnusedVerdict, windowMinutes: number, historyMs: number): string {
  const n = r.unused.length;
  return (
    `${client} resolved ${plural(n, 'name')} in ${windowMinutes} minutes without connecting to any of ${n === 1 ? 'its' : 'their'} addresses (of ${formatCount(r.judged)} it could have), ` +
    `${times(n, v.expected.mean)}its usual ${figure(v.expected.mean)} (±${figure(v.expected.spread)}) over ${span(historyMs)}; e.g. ${r.unused.slice(0, 3).join(', ')}.`
  );
}
