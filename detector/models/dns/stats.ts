import { parse } from 'tldts';
import { DAY_MS, decayFactor, spreadOf, type EwStats } from '../../baseline/decay';
import { domainParts } from '../../features/domain';
import { figure, listing, plural } from '../format';

/**
 * What a client's figure is compared with: its own exponentially weighted baseline once it has `minHistory` windows
 * of it, before that the baseline shrunk towards a prior (what an ordinary client does), the prior's share falling
 * as the client's history grows. Without a prior, a client with too little history is not judged at all.
 */
export interface Expectation {
  mean: number;
  spread: number;
  /** Decayed number of windows behind the client's own figures. */
  history: number;
  /** Whether the client's own baseline alone gives the figures (false: the prior still weighs in). */
  own: boolean;
}

/** Windows of history a client needs before its own baseline alone is the measure. */
export const MIN_HISTORY_WINDOWS = 16;

export interface Prior {
  mean: number;
  spread: number;
}

export function expectation(stats: EwStats | undefined, at: number, halfLifeMs: number, minHistory: number, minSpread: number, prior?: Prior): Expectation | undefined {
  const history = stats && stats.weight > 0 ? stats.weight * decayFactor(at - stats.t, halfLifeMs) : 0;
  if (stats && history >= minHistory) return { mean: stats.mean, spread: spreadOf(stats, minSpread), history, own: true };
  if (!prior) return undefined;
  const w0 = minHistory - history;
  const ownMean = stats && history > 0 ? stats.mean : 0;
  const ownSpread = stats && history > 0 ? spreadOf(stats, minSpread) : 0;
  return {
    mean: (history * ownMean + w0 * prior.mean) / minHistory,
    spread: Math.max(minSpread, (history * ownSpread + w0 * prior.spread) / minHistory),
    history,
    own: false,
  };
}

/** (x - mean) / spread. */
export function zOf(x: number, e: Expectation): number {
  return (x - e.mean) / e.spread;
}

/**
 * The registered domain of a name when it sits under a suffix someone can register in: the ICANN section of the
 * public suffix list or its private section (dynamic-DNS and hosting platforms, which malware uses too). Names
 * under a suffix the list does not know (`.local`, `.lan`, `cluster.local`, a site's private TLD) are search-list
 * completions and internal names: nobody outside can register them, so they are neither generated domains nor a
 * tunnel's zone, and counting them would turn one broken search list into hundreds of "domains".
 */
export function registrableDomain(name: string): { domain: string; suffix: string } | undefined {
  const parts = domainParts(name);
  if (!parts) return undefined;
  const r = parse(parts.name, { allowPrivateDomains: true, extractHostname: false, validateHostname: false, detectIp: false });
  if (!r.isIcann && !r.isPrivate) return undefined;
  return { domain: parts.registeredDomain, suffix: parts.publicSuffix };
}

/** How long a history spans, for explanations: hours below a day, days above. */
export function span(ms: number): string {
  const days = ms / DAY_MS;
  if (days < 1) return plural(Math.max(1, Math.round(days * 24)), 'hour');
  return plural(Math.round(days), 'day');
}

/** `x times ` when the usual value is large enough for a ratio to mean something. */
export function times(observed: number, usual: number): string {
  if (usual < 1 || observed < 2 * usual) return '';
  return `${figure(observed / usual)} times `;
}

/** Public suffixes by count, most frequent first, as `.com and .ru` covering `n` of the names. */
export function suffixSummary(suffixes: Map<string, number>, top = 2): { text: string; covered: number } {
  const sorted = [...suffixes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, top);
  const covered = sorted.reduce((n, [, c]) => n + c, 0);
  return { text: listing(sorted.map(([s]) => `.${s}`)), covered };
}
