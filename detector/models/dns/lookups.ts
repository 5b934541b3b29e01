import { TunnelAccumulator } from '../../features/domain';
import { FailureTally, type FailureSummary, type LookupRow } from './failures';
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
}

interface DomainLookups {
  acc: TunnelAccumulator;
  lookups: number;
  first: number;
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
      d = { acc: new TunnelAccumulator(reg.domain), lookups: 0, first: row.first };
      this.domains.set(reg.domain, d);
    }
    d.lookups += row.docs;
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
    return { client: this.client, lookups: this.lookups, first: this.first, failures: this.failures.summary(), tunnels: tunnels.slice(0, MAX_CANDIDATES) };
  }
}
