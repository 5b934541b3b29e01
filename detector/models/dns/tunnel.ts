import { scoreFrom } from '../../baseline/decay';
import { TUNNELING_ALERT_SCORE, tunnelingScore, type TunnelAccumulator, type TunnelStats } from '../../features/domain';
import { figure, formatCount, round } from '../format';
import { plural } from '../format';

/**
 * DNS tunnels (ATT&CK T1071.004 application layer protocol: DNS, T1048 exfiltration over an alternative
 * protocol): a client sends many unique, high-information names under one registered domain whose name server the
 * attacker runs. Each window the lookups of a client are accumulated per registered domain (`TunnelAccumulator`)
 * and scored by `tunnelingScore`; at or above `TUNNELING_ALERT_SCORE` the pair is a candidate.
 *
 * Some domains always look like this: CDN, telemetry and anti-malware services encode hashes in their names
 * (`<32 hex>.clo.footprintdns.com`, reputation lookups). What is learned is therefore per registered domain and
 * organisation-wide: on how many days and for how many clients the domain looked like a tunnel. A domain that did
 * on `NORMAL_AFTER_DAYS` earlier days, or for `NORMAL_AFTER_CLIENTS` other clients, is normal and stops alerting,
 * unless a triage decision tainted it; before that, each earlier day or other client lowers the score a little.
 * A tunnel is one client's, and new; a service's names are everyone's, every day.
 */

export const NORMAL_AFTER_DAYS = 3;
export const NORMAL_AFTER_CLIENTS = 3;
const MAX_CLIENTS = 32;
const MAX_DAYS = 30;

/** What the organisation learned of one registered domain (per detector partition; see `mergeTunnelStates`). */
export interface TunnelDomainState {
  /** Epoch day numbers on which the domain looked like a tunnel, last `MAX_DAYS`. */
  days: number[];
  /** Clients for which it did, first `MAX_CLIENTS`. */
  clients: string[];
  /** Windows (client and window pairs) in which it did. */
  windows: number;
  /** Highest tunneling score seen (0-1). */
  peak: number;
}

/** A client's lookups under one registered domain that look like a tunnel in one window. */
export interface TunnelCandidate {
  domain: string;
  stats: TunnelStats;
  /** `tunnelingScore` (0-1). */
  tunneling: number;
  /** Lookups (events) under the domain, and the first one's time. */
  lookups: number;
  first: number;
}

/** The candidate of one accumulated domain, or undefined below the alert level. */
export function tunnelCandidate(acc: TunnelAccumulator, lookups: number, first: number): TunnelCandidate | undefined {
  if (acc.queries < 2) return undefined;
  const stats = acc.stats();
  const tunneling = tunnelingScore(stats);
  if (tunneling < TUNNELING_ALERT_SCORE) return undefined;
  return { domain: acc.registeredDomain, stats, tunneling, lookups, first };
}

/** Union of what several partitions learned of the same domain. */
export function mergeTunnelStates(states: Iterable<TunnelDomainState | undefined>): TunnelDomainState | undefined {
  let out: TunnelDomainState | undefined;
  for (const s of states) {
    if (!s) continue;
    if (!out) {
      out = { days: [...s.days], clients: [...s.clients], windows: s.windows, peak: s.peak };
      continue;
    }
    for (const d of s.days) if (!out.days.includes(d)) out.days.push(d);
    for (const c of s.clients) if (!out.clients.includes(c)) out.clients.push(c);
    out.windows += s.windows;
    out.peak = Math.max(out.peak, s.peak);
  }
  return out;
}

export interface Familiarity {
  /** Earlier days on which the domain looked like a tunnel. */
  earlierDays: number;
  /** Other clients for which it did. */
  otherClients: number;
  /** Learned normal (or accepted), and not tainted. */
  normal: boolean;
}

export function familiarity(state: TunnelDomainState | undefined, day: number, client: string, flags: { accepted: boolean; tainted: boolean }): Familiarity {
  const earlierDays = state ? state.days.filter((d) => d < day).length : 0;
  const otherClients = state ? state.clients.filter((c) => c !== client).length : 0;
  const learned = earlierDays >= NORMAL_AFTER_DAYS || otherClients >= NORMAL_AFTER_CLIENTS;
  return { earlierDays, otherClients, normal: !flags.tainted && (flags.accepted || learned) };
}

/** Whether the domain is normal for any further client on any later day (for the baseline's status). */
export function learnedNormal(state: TunnelDomainState): boolean {
  return state.days.length >= NORMAL_AFTER_DAYS || state.clients.length > NORMAL_AFTER_CLIENTS;
}

/** The domain's state after a window in which it looked like a tunnel for `client`. */
export function learnTunnel(state: TunnelDomainState | undefined, day: number, client: string, tunneling: number): TunnelDomainState {
  const days = state?.days.includes(day) ? state.days : [...(state?.days ?? []), day].sort((a, b) => a - b).slice(-MAX_DAYS);
  const clients = state?.clients.includes(client) || (state?.clients.length ?? 0) >= MAX_CLIENTS ? (state?.clients ?? []) : [...(state?.clients ?? []), client];
  return { days, clients, windows: (state?.windows ?? 0) + 1, peak: Math.max(state?.peak ?? 0, tunneling) };
}

/**
 * 0-100 from the tunneling score: the alert level 0.5 gives 60 (the default alert score), 0.7 about 89, full
 * content and volume 99. Each earlier day or other client brings the domain nearer to normal and takes up to a
 * quarter off.
 */
export function tunnelAnomalyScore(tunneling: number, f: Familiarity): number {
  if (f.normal) return 0;
  const known = Math.min(1, Math.max(f.earlierDays / NORMAL_AFTER_DAYS, f.otherClients / NORMAL_AFTER_CLIENTS));
  return Math.round(scoreFrom(tunneling, 0.45, 0.12) * (1 - 0.25 * known) * 10) / 10;
}

/**
 * E.g. "10.1.2.3 looked up 412 distinct names under example.com in 15 minutes (530 lookups), 142 bits of
 * information per name on average, labels up to 52 characters, 38 % TXT or NULL: tunneling score 0.91; no client
 * made this domain look like this before."
 */
export function tunnelExplanation(client: string, c: TunnelCandidate, f: Familiarity, windowMinutes: number, others: string[]): string {
  const s = c.stats;
  const payload = s.queries > 0 ? s.payloadTypeQueries / s.queries : 0;
  const shape =
    `${figure(s.informationSum / Math.max(1, s.queries))} bits of information per name on average, labels up to ${s.longestLabel} characters` +
    (payload >= 0.05 ? `, ${Math.round(payload * 100)} % TXT or NULL` : '');
  const history =
    f.earlierDays === 0 && f.otherClients === 0
      ? 'no client made this domain look like this before'
      : `it looked like this on ${plural(f.earlierDays, 'earlier day')} and for ${plural(f.otherClients, 'other client')} (${NORMAL_AFTER_DAYS} days or ${NORMAL_AFTER_CLIENTS} clients make it normal)`;
  const also = others.length > 0 ? `; also ${others.slice(0, 3).join(', ')}${others.length > 3 ? ` and ${formatCount(others.length - 3)} more` : ''}` : '';
  return `${client} looked up ${plural(s.uniqueSubdomains, 'distinct name')} under ${c.domain} in ${windowMinutes} minutes (${plural(c.lookups, 'lookup')}), ${shape}: tunneling score ${round(c.tunneling)}; ${history}${also}.`;
}
