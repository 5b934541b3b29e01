import { TunnelAccumulator } from '../../features/domain';
import { burstShape, domainShape, FailureTally, isFailure, type FailureSummary, type LookupRow } from './failures';
import { registrableDomain } from './stats';
import { tunnelCandidate, type TunnelCandidate } from './tunnel';

/**
 * One client's lookups in one window, fed row by row from the lookup sweep (composite keyed by client, name, type
 * and response code, so a client's rows are contiguous and a name's rows adjacent). It feeds both the failure
 * tally and one `TunnelAccumulator` per registered domain, and is dropped when the client's rows end: memory holds
 * one client at a time, at most `MAX_TUNNEL_DOMAINS` accumulators of a few hundred bytes.
 */

/** Registered domains accumulated per client and window; a client querying more is judged on the first ones. */
export const MAX_TUNNEL_DOMAINS = 5000;
/** Tunnel candidates kept per client and window, highest score first. */
const MAX_CANDIDATES = 20;

export interface ClientWindow {
  client: string;
  /** All lookups (events) of the window, and the first one's time. */
  lookups: number;
  first: number;
  failures: FailureSummary;
  tunnels: TunnelCandidate[];
  /**
   * Names that resolved in the window under registered domains with the shape most of the failing ones share (a
   * generation algorithm's names that exist: its live servers, sinkholes and parked domains), at most `MAX_SIBLINGS`.
   */
  siblings: string[];
}

/** Resolved names kept per registered domain, for the siblings of a burst. */
const NAMES_PER_DOMAIN = 4;

/** Resolved names of a burst's shape kept per client and window. */
export const MAX_SIBLINGS = 1000;

interface DomainLookups {
  acc: TunnelAccumulator;
  lookups: number;
  first: number;
  suffix: string;
  /** Names under it that resolved (the first few), and whether some lookup under it failed. */
  resolved: string[];
  failed: boolean;
}

export class ClientLookups {
  private readonly failures = new FailureTally();
  private readonly domains = new Map<string, DomainLookups>();
  private lookups = 0;
  private first = Infinity;
  private lastName: string | undefined;
  private lastReg: { domain: string; suffix: string } | undefined;
  private lastQtype: string | undefined;

  constructor(readonly client: string) {}

  add(row: LookupRow): void {
    this.lookups += row.docs;
    if (row.first < this.first) this.first = row.first;
    const sameName = row.name === this.lastName;
    if (!sameName) {
      this.lastName = row.name;
      this.lastReg = registrableDomain(row.name);
      this.lastQtype = undefined;
    }
    const reg = this.lastReg;
    this.failures.add(row, reg);
    if (!reg) return;
    let d = this.domains.get(reg.domain);
    if (!d) {
      if (this.domains.size >= MAX_TUNNEL_DOMAINS) return;
      d = { acc: new TunnelAccumulator(reg.domain), lookups: 0, first: row.first, suffix: reg.suffix, resolved: [], failed: false };
      this.domains.set(reg.domain, d);
    }
    d.lookups += row.docs;
    if (row.rcode === 'NOERROR' && d.resolved.length < NAMES_PER_DOMAIN && !d.resolved.includes(row.name)) d.resolved.push(row.name);
    else if (isFailure(row.rcode)) d.failed = true;
    if (row.first < d.first) d.first = row.first;
    // One query per name and type: repeats of a name are cache refreshes, not payload, and would dilute the mean
    // information per query; rows that differ only by response code are the same question.
    if (sameName && row.qtype === this.lastQtype) return;
    this.lastQtype = row.qtype;
    d.acc.add(row.name, row.qtype);
  }

  finish(): ClientWindow {
    const tunnels: TunnelCandidate[] = [];
    for (const d of this.domains.values()) {
      const c = tunnelCandidate(d.acc, d.lookups, d.first);
      if (c) tunnels.push(c);
    }
    tunnels.sort((a, b) => b.tunneling - a.tunneling || (a.domain < b.domain ? -1 : 1));
    const failures = this.failures.summary();
    const shape = burstShape(failures);
    const siblings: string[] = [];
    if (shape !== undefined) {
      for (const [domain, d] of this.domains) {
        if (d.resolved.length === 0 || d.failed || domainShape({ domain, suffix: d.suffix }) !== shape) continue;
        siblings.push(...d.resolved.slice(0, MAX_SIBLINGS - siblings.length));
        if (siblings.length >= MAX_SIBLINGS) break;
      }
    }
    return { client: this.client, lookups: this.lookups, first: this.first, failures, tunnels: tunnels.slice(0, MAX_CANDIDATES), siblings };
  }
}
