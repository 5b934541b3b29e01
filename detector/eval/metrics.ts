/**
 * Scores a detector's alerts against a scenario's ground truth (`truth.ts`). Entities are IP addresses: an alert
 * names its `entity` and every address in `related`; it detects a malicious entity when it names it.
 *
 * By default only the actors count (`SCORED_ROLES`: attacker, scanner, infected, c2). The victim of
 * External-Attack-to-Device is the monitored device itself, an endpoint of nearly every record of its capture: an
 * alert about its ordinary traffic would count as a hit and its own recall would be free. Pass `ALL_ROLES` (or any
 * set) to score other roles; `summarise` reports the recall of every role apart.
 *
 * Alerts are ranked by score (highest first), then time, then id, so ranks and top-k are reproducible.
 */
import { MIN_DAYS, type Role, type ScenarioTruth } from './truth';

export interface Alert {
  id: string;
  score: number;
  /** Epoch seconds. */
  time: number;
  entity: string;
  /** IPs the alert names besides its entity: peers, related hosts. */
  related: string[];
  model: string;
  incident?: string;
}

export const ALL_ROLES: ReadonlySet<Role> = new Set<Role>(['attacker', 'scanner', 'infected', 'c2', 'victim']);
export const SCORED_ROLES: ReadonlySet<Role> = new Set<Role>(['attacker', 'scanner', 'infected', 'c2']);

/** Highest score first; ties by earlier time, then id. */
export function rankAlerts(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort((a, b) => b.score - a.score || a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function names(alert: Alert, ip: string): boolean {
  return alert.entity === ip || alert.related.includes(ip);
}

/** The malicious addresses of the given roles. */
export function targets(truth: ScenarioTruth, roles: ReadonlySet<Role> = SCORED_ROLES): Set<string> {
  const out = new Set<string>();
  for (const [ip, entity] of truth.malicious) if (roles.has(entity.role)) out.add(ip);
  return out;
}

/** The malicious addresses of the given roles that at least one alert names. */
export function namedTargets(truth: ScenarioTruth, alerts: readonly Alert[], roles: ReadonlySet<Role> = SCORED_ROLES): Set<string> {
  const wanted = targets(truth, roles);
  const out = new Set<string>();
  for (const alert of alerts) {
    if (wanted.has(alert.entity)) out.add(alert.entity);
    for (const ip of alert.related) if (wanted.has(ip)) out.add(ip);
  }
  return out;
}

function hits(alert: Alert, wanted: ReadonlySet<string>): boolean {
  return wanted.has(alert.entity) || alert.related.some((ip) => wanted.has(ip));
}

/** Fraction of the malicious entities (of `roles`) named by at least one alert; NaN when there are none. */
export function recall(truth: ScenarioTruth, alerts: readonly Alert[], roles: ReadonlySet<Role> = SCORED_ROLES): number {
  const total = targets(truth, roles).size;
  return total === 0 ? NaN : namedTargets(truth, alerts, roles).size / total;
}

/**
 * Among the top `k` alerts, the fraction that names a malicious entity (of `roles`). When fewer than `k` alerts
 * exist, the fraction of those there are; NaN when there is none.
 */
export function precisionAtK(
  truth: ScenarioTruth,
  alerts: readonly Alert[],
  k: number,
  roles: ReadonlySet<Role> = SCORED_ROLES,
): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, not ${k}`);
  const top = rankAlerts(alerts).slice(0, k);
  if (top.length === 0) return NaN;
  const wanted = targets(truth, roles);
  return top.filter((a) => hits(a, wanted)).length / top.length;
}

export interface AlertRate {
  /** Raw number of alerts. */
  count: number;
  /** Days the rate is taken over: the capture's span, at least `MIN_DAYS`. */
  days: number;
  perDay: number;
}

export function alertsPerDay(alerts: readonly Alert[], days: number): AlertRate {
  const span = Number.isFinite(days) ? Math.max(days, MIN_DAYS) : MIN_DAYS;
  return { count: alerts.length, days: span, perDay: alerts.length / span };
}

/** 1-based rank of the first alert naming `ip`, undefined when none does. */
export function rankOf(_truth: ScenarioTruth, alerts: readonly Alert[], ip: string): number | undefined {
  const index = rankAlerts(alerts).findIndex((a) => names(a, ip));
  return index < 0 ? undefined : index + 1;
}

/** How many alerts an analyst budget of `maxPerDay` allows over `days`: at least one. */
export function alertBudget(days: number, maxPerDay: number): number {
  if (!(maxPerDay > 0)) throw new RangeError(`maxPerDay must be positive, not ${maxPerDay}`);
  const span = Number.isFinite(days) ? Math.max(days, MIN_DAYS) : MIN_DAYS;
  return Math.max(1, Math.floor(maxPerDay * span));
}

/** Recall when only the top `maxPerDay * days` alerts (at least one) are kept. */
export function budgetedRecall(
  truth: ScenarioTruth,
  alerts: readonly Alert[],
  maxPerDay: number,
  roles: ReadonlySet<Role> = SCORED_ROLES,
): number {
  return recall(truth, rankAlerts(alerts).slice(0, alertBudget(truth.days, maxPerDay)), roles);
}

// ---------------------------------------------------------------------------------------------------------------
// Summary over scenarios.
// ---------------------------------------------------------------------------------------------------------------

export interface SummaryOptions {
  /** Top-k for precision. */
  k: number;
  /** Analyst budget for budgeted recall, alerts per day. */
  maxPerDay: number;
  roles?: ReadonlySet<Role>;
}

/** One scenario. Metrics are null where undefined: excluded scenario, no entity to find, no alert to judge. */
export interface ScenarioRow {
  scenario: string;
  source: ScenarioTruth['source'];
  excluded?: string;
  days: number;
  alerts: number;
  alertsPerDay: number;
  /** Malicious entities per role, all roles. */
  entities: Partial<Record<Role, number>>;
  /** Entities of the scored roles, and how many of them an alert names. */
  targets: number;
  named: number;
  recall: number | null;
  /** Recall of each role present, scored or not. */
  recallByRole: Partial<Record<Role, number>>;
  /** Alerts among the top k, and how many of them name a scored entity. */
  consideredAtK: number;
  hitsAtK: number;
  precisionAtK: number | null;
  budget: number;
  budgetNamed: number;
  budgetedRecall: number | null;
  /** Rank of the first alert naming a scored entity. */
  firstHitRank: number | null;
}

export interface OverallRow {
  kind: 'micro' | 'macro';
  /** What the average is over. */
  definition: string;
  /** Scenarios scored (not excluded) and excluded. */
  scenarios: number;
  excluded: number;
  days: number;
  alerts: number;
  alertsPerDay: number;
  recall: number | null;
  precisionAtK: number | null;
  budgetedRecall: number | null;
}

export interface Summary {
  k: number;
  maxPerDay: number;
  roles: Role[];
  scenarios: ScenarioRow[];
  micro: OverallRow;
  macro: OverallRow;
}

const defined = (x: number): number | null => (Number.isFinite(x) ? x : null);

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

function mean(values: Array<number | null>): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length;
}

export function scenarioRow(truth: ScenarioTruth, alerts: readonly Alert[], options: SummaryOptions): ScenarioRow {
  const roles = options.roles ?? SCORED_ROLES;
  const rate = alertsPerDay(alerts, truth.days);
  const entities: Partial<Record<Role, number>> = {};
  for (const { role } of truth.malicious.values()) entities[role] = (entities[role] ?? 0) + 1;
  const budget = alertBudget(truth.days, options.maxPerDay);
  const row: ScenarioRow = {
    scenario: truth.scenario,
    source: truth.source,
    days: rate.days,
    alerts: rate.count,
    alertsPerDay: rate.perDay,
    entities,
    targets: 0,
    named: 0,
    recall: null,
    recallByRole: {},
    consideredAtK: 0,
    hitsAtK: 0,
    precisionAtK: null,
    budget,
    budgetNamed: 0,
    budgetedRecall: null,
    firstHitRank: null,
  };
  if (truth.excluded !== undefined) {
    row.excluded = truth.excluded;
    return row;
  }
  const ranked = rankAlerts(alerts);
  const wanted = targets(truth, roles);
  row.targets = wanted.size;
  row.named = namedTargets(truth, ranked, roles).size;
  row.recall = ratio(row.named, row.targets);
  for (const role of ALL_ROLES) {
    if (entities[role] === undefined) continue;
    row.recallByRole[role] = recall(truth, ranked, new Set([role]));
  }
  const top = ranked.slice(0, options.k);
  row.consideredAtK = top.length;
  row.hitsAtK = top.filter((a) => hits(a, wanted)).length;
  row.precisionAtK = defined(precisionAtK(truth, ranked, options.k, roles));
  row.budgetNamed = namedTargets(truth, ranked.slice(0, budget), roles).size;
  row.budgetedRecall = ratio(row.budgetNamed, row.targets);
  const first = ranked.findIndex((a) => hits(a, wanted));
  row.firstHitRank = first < 0 ? null : first + 1;
  return row;
}

/**
 * A row per scenario and two overall rows over the scenarios that are not excluded:
 * - micro: pooled counts, so every malicious entity (recall) and every top-k alert (precision) weighs the same and
 *   large scenarios (thousands of attackers in 008-012) dominate; alerts per day is all alerts over all days;
 * - macro: the plain mean of the per-scenario figures, so every scenario weighs the same; a scenario whose figure is
 *   undefined (no alert for precision) is left out of that mean.
 */
export function summarise(runs: ReadonlyArray<{ truth: ScenarioTruth; alerts: readonly Alert[] }>, options: SummaryOptions): Summary {
  if (!Number.isInteger(options.k) || options.k < 1) throw new RangeError(`k must be a positive integer, not ${options.k}`);
  const roles = options.roles ?? SCORED_ROLES;
  const rows = runs.map((run) => scenarioRow(run.truth, run.alerts, options));
  const scored = rows.filter((r) => r.excluded === undefined);
  const sum = (pick: (r: ScenarioRow) => number): number => scored.reduce((total, r) => total + pick(r), 0);
  const days = sum((r) => r.days);
  const alerts = sum((r) => r.alerts);
  const common = { scenarios: scored.length, excluded: rows.length - scored.length, days, alerts };
  return {
    k: options.k,
    maxPerDay: options.maxPerDay,
    roles: [...roles],
    scenarios: rows,
    micro: {
      kind: 'micro',
      definition: 'pooled over scenarios: named entities / all entities, hits / alerts in the top k, alerts / days',
      ...common,
      alertsPerDay: alerts / Math.max(days, MIN_DAYS),
      recall: ratio(sum((r) => r.named), sum((r) => r.targets)),
      precisionAtK: ratio(sum((r) => r.hitsAtK), sum((r) => r.consideredAtK)),
      budgetedRecall: ratio(sum((r) => r.budgetNamed), sum((r) => r.targets)),
    },
    macro: {
      kind: 'macro',
      definition: 'mean of the per-scenario figures, each scenario weighing the same',
      ...common,
      alertsPerDay: mean(scored.map((r) => r.alertsPerDay)) ?? 0,
      recall: mean(scored.map((r) => r.recall)),
      precisionAtK: mean(scored.map((r) => r.precisionAtK)),
      budgetedRecall: mean(scored.map((r) => r.budgetedRecall)),
    },
  };
}
