import { emptyStats, observe, scoreFrom, type EwStats } from '../../baseline/decay';
import { figure, formatCount, plural } from '../format';
import { expectation, MIN_HISTORY_WINDOWS, registrableDomain, span, suffixSummary, times, zOf, type Expectation, type Prior } from './stats';

/**
 * Bursts of failed lookups (ATT&CK T1568.002, Domain Generation Algorithms). A DGA bot asks for dozens to
 * thousands of freshly generated names, each under its own registered domain, and almost all of them do not exist:
 * the Simda capture's host fails 113 lookups of 112 different `.com` domains within two minutes. Ordinary failures
 * are different: search-list completions, WPAD, retired names and reverse lookups repeat a few names under a few
 * domains, however often a client retries them (the busiest WRCCDC host fails 154 lookups of one Ubuntu name in a
 * quarter hour). So the figure that is scored is the number of distinct registered domains under which a client's
 * lookups fail (NXDOMAIN or SERVFAIL) in a window, against the client's exponentially weighted baseline; the count
 * of failed lookups is kept and reported, and on its own (many failures, few domains, with the client's history to
 * compare) gives at most an observation: a bot retrying a dead controller looks like that, but so does a broken
 * configuration.
 */

/** Zeek `rcode_name` values (ECS `dns.response_code`) that mean the name could not be resolved. */
export const FAILURE_RCODES = ['NXDOMAIN', 'SERVFAIL'] as const;

export function isFailure(rcode: string | undefined): boolean {
  return rcode === 'NXDOMAIN' || rcode === 'SERVFAIL';
}

/**
 * What a client with no history is compared with, per 15 minutes: an ordinary client fails lookups under a domain
 * or two (its search suffix, a retired name, a blocked tracker), rarely more. The spread keeps the first alert
 * for 15 or more domains beyond that. Scaled to the window length.
 */
export const FAILURE_PRIOR_PER_15_MIN: Prior = { mean: 1, spread: 2 };

/** Smallest spreads: one extra failing domain or a few extra failed lookups are never a surprise. */
const MIN_SPREAD_DOMAINS = 2;
const MIN_SPREAD_LOOKUPS = 5;
/** Excess over the expectation below which nothing is reported, whatever the z-score. */
const MIN_EXCESS_DOMAINS = 5;
const MIN_EXCESS_LOOKUPS = 50;
/** Highest score of a burst of failures under few domains: an observation, not an alert. */
const MAX_LOOKUPS_ONLY_SCORE = 50;
/** Scores below this are not reported. */
export const MIN_REPORTED_SCORE = 20;
/** Distinct failing domains kept per client and window; beyond it the count is a lower bound. */
const MAX_DOMAINS = 10_000;
const MAX_EXAMPLES = 10;

/** One row of the lookup sweep: a client's lookups of one name with one type and one response code. */
export interface LookupRow {
  name: string;
  qtype?: string;
  rcode?: string;
  /** Lookups (events) behind the row. */
  docs: number;
  /** Time of the first of them (epoch ms). */
  first: number;
}

/** A client's failed lookups in one window. */
export interface FailureSummary {
  /** Failed lookups (events). */
  lookups: number;
  /** Distinct names that failed. */
  names: number;
  /** Distinct registrable domains (see `registrableDomain`) under which lookups failed. */
  domains: number;
  /** Failed names per public suffix. */
  suffixes: Map<string, number>;
  /** The first failing domains, in the sweep's order. */
  examples: string[];
  /** Failing domains per letter shape (`domainShape`). */
  shapes: Map<string, number>;
  /** Time of the first failed lookup (epoch ms); undefined without failures. */
  first?: number;
}

/**
 * Counts a client's failed lookups from rows that arrive in the composite order (name, then type, then code), so
 * that all rows of one name are adjacent and distinct names are counted without remembering them; distinct
 * domains need a set, bounded by `MAX_DOMAINS`.
 */
export class FailureTally {
  lookups = 0;
  names = 0;
  first: number | undefined;
  private lastName: string | undefined;
  private readonly domains = new Set<string>();
  private readonly suffixes = new Map<string, number>();
  private readonly examples: string[] = [];
  private readonly shapes = new Map<string, number>();

  /** `reg` is `registrableDomain(row.name)`, passed in because the caller computes it once per name. */
  add(row: LookupRow, reg: { domain: string; suffix: string } | undefined): void {
    if (!isFailure(row.rcode)) return;
    this.lookups += row.docs;
    if (this.first === undefined || row.first < this.first) this.first = row.first;
    if (row.name === this.lastName) return;
    this.lastName = row.name;
    this.names++;
    if (!reg) return;
    this.suffixes.set(reg.suffix, (this.suffixes.get(reg.suffix) ?? 0) + 1);
    if (this.domains.has(reg.domain) || this.domains.size >= MAX_DOMAINS) return;
    this.domains.add(reg.domain);
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(reg.domain);
    const shape = domainShape(reg);
    this.shapes.set(shape, (this.shapes.get(shape) ?? 0) + 1);
  }

  summary(): FailureSummary {
    return { lookups: this.lookups, names: this.names, domains: this.domains.size, suffixes: this.suffixes, examples: this.examples, shapes: this.shapes, first: this.first };
  }
}

/**
 * The letter shape of a registered domain: its public suffix and the pattern of vowels (`a e i o u y`), other
 * letters, digits and other characters of the label before it. A generation algorithm writes its names from one
 * template (Simda's `gacyvah.com`, `vowyzuk.com`: `com|CVCVCVC`), so the names of a burst share a shape; the names
 * a person or a program uses do not.
 */
export function domainShape(reg: { domain: string; suffix: string }): string {
  const label = reg.domain.slice(0, Math.max(0, reg.domain.length - reg.suffix.length - 1)).toLowerCase();
  let pattern = '';
  for (const ch of label) pattern += /[aeiouy]/.test(ch) ? 'V' : /[a-z]/.test(ch) ? 'C' : /[0-9]/.test(ch) ? 'D' : '-';
  return `${reg.suffix}|${pattern}`;
}

/** Failing domains of one shape, from which a burst's shape is trusted. */
export const MIN_SHAPE_DOMAINS = 5;
/** Share of the failing domains that must have that shape. */
export const MIN_SHAPE_SHARE = 0.5;

/** The shape most of a burst's failing domains share, when they do (a generation algorithm's template). */
export function burstShape(s: FailureSummary): string | undefined {
  let best: [string, number] | undefined;
  for (const e of s.shapes) if (!best || e[1] > best[1]) best = e;
  if (!best || best[1] < MIN_SHAPE_DOMAINS || best[1] < MIN_SHAPE_SHARE * s.domains) return undefined;
  return best[0];
}

/** Convenience for rows whose registrable domain is not known yet. */
export function tallyRow(tally: FailureTally, row: LookupRow): void {
  tally.add(row, isFailure(row.rcode) ? registrableDomain(row.name) : undefined);
}

/** A client's baseline: failing domains and failed lookups per window in which it made lookups. */
export interface FailureState {
  domains: EwStats;
  lookups: EwStats;
}

export interface FailureVerdict {
  score: number;
  /** What drives the score: many failing domains, or many failures under few domains. */
  driver: 'domains' | 'lookups';
  domains: Expectation;
  lookups?: Expectation;
}

export function priorFor(windowMinutes: number): Prior {
  const f = windowMinutes / 15;
  return { mean: FAILURE_PRIOR_PER_15_MIN.mean * f, spread: FAILURE_PRIOR_PER_15_MIN.spread * Math.sqrt(f) };
}

/**
 * Scores a window's failures against the client's baseline as it was before the window. The failing-domain
 * figure is judged from the first window on (with the prior while the history is short, at up to 20 % less
 * score); the failed-lookup figure only against the client's own history, since how often a client retries is
 * its own habit. Undefined when there is nothing worth reporting.
 */
export function judgeFailures(s: FailureSummary, state: FailureState | undefined, at: number, halfLifeMs: number, windowMinutes: number): FailureVerdict | undefined {
  const domains = expectation(state?.domains, at, halfLifeMs, MIN_HISTORY_WINDOWS, MIN_SPREAD_DOMAINS, priorFor(windowMinutes))!;
  const lookups = expectation(state?.lookups, at, halfLifeMs, MIN_HISTORY_WINDOWS, MIN_SPREAD_LOOKUPS);
  let domainScore = 0;
  if (s.domains - domains.mean >= MIN_EXCESS_DOMAINS) {
    const confidence = domains.own ? 1 : 0.8 + (0.2 * domains.history) / MIN_HISTORY_WINDOWS;
    domainScore = scoreFrom(zOf(s.domains, domains), 6, 1.5) * confidence;
  }
  let lookupScore = 0;
  if (lookups && s.lookups - lookups.mean >= MIN_EXCESS_LOOKUPS) {
    lookupScore = Math.min(MAX_LOOKUPS_ONLY_SCORE, scoreFrom(zOf(s.lookups, lookups), 6, 1.5) / 2);
  }
  const score = Math.round(Math.max(domainScore, lookupScore) * 10) / 10;
  if (score < MIN_REPORTED_SCORE) return undefined;
  return { score, driver: domainScore >= lookupScore ? 'domains' : 'lookups', domains, lookups };
}

/** The baseline after folding in a window (every window with lookups, failures or not). */
export function learnFailures(state: FailureState | undefined, s: FailureSummary, at: number, halfLifeMs: number): FailureState {
  return {
    domains: observe(state?.domains ?? emptyStats(), s.domains, at, halfLifeMs),
    lookups: observe(state?.lookups ?? emptyStats(), s.lookups, at, halfLifeMs),
  };
}

/**
 * One sentence with the figures, e.g. "192.168.1.116 made 19 lookups of 17 names that do not exist (NXDOMAIN or
 * SERVFAIL) in 15 minutes, under 17 registered domains, where a client without history is expected to fail
 * under about 1 (±2); 17 of them under .com (gacyvah.com, gadyniw.com, gahypus.com)."
 */
export function failureExplanation(client: string, s: FailureSummary, v: FailureVerdict, windowMinutes: number, historyMs: number | undefined): string {
  const head = `${client} made ${plural(s.lookups, 'lookup')} of ${plural(s.names, 'name')} that do${s.names === 1 ? 'es' : ''} not exist (NXDOMAIN or SERVFAIL) in ${windowMinutes} minutes`;
  const { text: suffixText, covered } = suffixSummary(s.suffixes);
  const where = covered > 0 ? `; ${formatCount(covered)} of them under ${suffixText} (${s.examples.slice(0, 3).join(', ')})` : '';
  if (v.driver === 'lookups' && v.lookups) {
    return (
      `${head}, ${times(s.lookups, v.lookups.mean)}its usual ${figure(v.lookups.mean)} (±${figure(v.lookups.spread)}) over ${span(historyMs ?? 0)}, ` +
      `but under only ${plural(s.domains, 'registered domain')}${where}: a client retrying names that no longer exist, such as a dead controller's or a broken configuration's.`
    );
  }
  const usual = v.domains.own
    ? `${times(s.domains, v.domains.mean)}its usual ${figure(v.domains.mean)} (±${figure(v.domains.spread)}) over ${span(historyMs ?? 0)}`
    : `where a client ${v.domains.history >= 1 ? `with ${plural(Math.round(v.domains.history), 'window')} of history` : 'without history'} is expected to fail under about ${figure(v.domains.mean)} (±${figure(v.domains.spread)})`;
  return `${head}, under ${plural(s.domains, 'registered domain')}, ${usual}${where}.`;
}
