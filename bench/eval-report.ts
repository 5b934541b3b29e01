/**
 * Figures and verdicts of `npm run eval`, from the scenario runs: the same metrics (`detector/eval/metrics.ts`) for
 * the detector's alerts (anomalies with status `alert`), its incidents and the RITA baseline, per scenario and over
 * all scored scenarios (micro and macro), the rank of every command-and-control host of the NjRAT scenario, and a
 * verdict per target of the issue, computed from those figures.
 */
import { rankAlerts, rankOf, summarise, type Alert, type OverallRow, type ScenarioRow, type Summary } from '../detector/eval/metrics';
import type { Role, ScenarioTruth } from '../detector/eval/truth';
import type { ScenarioOutcome } from './eval-scenario';

export const NJRAT = '001-zeek-scenario-malicious';
/** Analyst budget of the targets: alerts per day. */
export const BUDGET_PER_DAY = 10;
/** Recall the issue asks for within that budget. */
export const RECALL_TARGET = 0.8;
/** Every NjRAT controller within this many top alerts. */
export const C2_TOP = 3;

export type DetectorId = 'anomalies' | 'incidents' | 'rita';

export const DETECTORS: ReadonlyArray<{ id: DetectorId; label: string }> = [
  { id: 'anomalies', label: 'Vigil anomalies (vigil-anomalies, vigil.anomaly.status: alert; score 0-100)' },
  { id: 'incidents', label: 'Vigil incidents (vigil-incidents, ranked by incident.score; related.ip and incident.entities)' },
  { id: 'rita', label: 'RITA beacon score (v4.6-v4.8 formula) per (source.ip, destination.ip, destination.port), score >= 0.5 (score 0-1)' },
];

export interface ScenarioResult {
  scenario: string;
  status: 'ok' | 'failed';
  error?: string;
  /** Wall-clock seconds of the whole scenario, truth included. */
  seconds: number;
  truth?: ScenarioTruth;
  outcome?: ScenarioOutcome;
}

export interface Row {
  scenario: string;
  excluded?: string;
  targets: number;
  named: number;
  alerts: number;
  days: number;
  alertsPerDay: number;
  recall: number | null;
  budgetedRecall: number | null;
  budget: number;
  precisionAt3: number | null;
  precisionAt10: number | null;
  firstHitRank: number | null;
  recallByRole: Partial<Record<Role, number>>;
}

export interface Overall {
  kind: 'micro' | 'macro';
  definition: string;
  scenarios: number;
  excluded: number;
  alerts: number;
  days: number;
  alertsPerDay: number;
  recall: number | null;
  budgetedRecall: number | null;
  precisionAt3: number | null;
  precisionAt10: number | null;
}

export interface DetectorReport {
  id: DetectorId;
  label: string;
  rows: Row[];
  micro: Overall;
  macro: Overall;
  /** Rank of the first alert naming each NjRAT controller; null when none does or 001 did not run. */
  c2Ranks: Array<{ ip: string; rank: number | null }>;
}

export interface Verdict {
  target: string;
  detector: DetectorId;
  met: boolean;
  detail: string;
}

export interface Report {
  budgetPerDay: number;
  failed: Array<{ scenario: string; error: string }>;
  detectors: DetectorReport[];
  verdicts: Verdict[];
}

function alertsOf(outcome: ScenarioOutcome, id: DetectorId): Alert[] {
  return id === 'anomalies' ? outcome.alerts : id === 'incidents' ? outcome.incidents : outcome.rita.alerts;
}

function row(at3: ScenarioRow, at10: ScenarioRow): Row {
  return {
    scenario: at3.scenario,
    ...(at3.excluded !== undefined ? { excluded: at3.excluded } : {}),
    targets: at3.targets,
    named: at3.named,
    alerts: at3.alerts,
    days: at3.days,
    alertsPerDay: at3.alertsPerDay,
    recall: at3.recall,
    budgetedRecall: at3.budgetedRecall,
    budget: at3.budget,
    precisionAt3: at3.precisionAtK,
    precisionAt10: at10.precisionAtK,
    firstHitRank: at3.firstHitRank,
    recallByRole: at3.recallByRole,
  };
}

function overall(at3: OverallRow, at10: OverallRow): Overall {
  return {
    kind: at3.kind,
    definition: at3.definition,
    scenarios: at3.scenarios,
    excluded: at3.excluded,
    alerts: at3.alerts,
    days: at3.days,
    alertsPerDay: at3.alertsPerDay,
    recall: at3.recall,
    budgetedRecall: at3.budgetedRecall,
    precisionAt3: at3.precisionAtK,
    precisionAt10: at10.precisionAtK,
  };
}

export function c2Hosts(truth: ScenarioTruth): string[] {
  return [...truth.malicious].filter(([, e]) => e.role === 'c2').map(([ip]) => ip).sort();
}

/** Everything the note quotes, from the scenario runs that finished; failed runs are listed apart. */
export function buildReport(results: readonly ScenarioResult[]): Report {
  const ok = results.filter((r): r is ScenarioResult & { truth: ScenarioTruth; outcome: ScenarioOutcome } => r.status === 'ok' && !!r.truth && !!r.outcome);
  const failed = results.filter((r) => r.status === 'failed').map((r) => ({ scenario: r.scenario, error: r.error ?? 'unknown error' }));
  const njrat = ok.find((r) => r.scenario === NJRAT);
  const detectors = DETECTORS.map(({ id, label }): DetectorReport => {
    const runs = ok.map((r) => ({ truth: r.truth, alerts: alertsOf(r.outcome, id) }));
    const s3: Summary = summarise(runs, { k: 3, maxPerDay: BUDGET_PER_DAY });
    const s10: Summary = summarise(runs, { k: 10, maxPerDay: BUDGET_PER_DAY });
    const c2Ranks = njrat
      ? c2Hosts(njrat.truth).map((ip) => ({ ip, rank: rankOf(njrat.truth, alertsOf(njrat.outcome, id), ip) ?? null }))
      : [];
    return {
      id,
      label,
      rows: s3.scenarios.map((r, i) => row(r, s10.scenarios[i])),
      micro: overall(s3.micro, s10.micro),
      macro: overall(s3.macro, s10.macro),
      c2Ranks,
    };
  });
  return { budgetPerDay: BUDGET_PER_DAY, failed, detectors, verdicts: verdicts(detectors, results) };
}

const f3 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

/** NjRAT controllers in the top `C2_TOP`, then the worst rank (missing: infinite), for comparing two detectors. */
function c2Standing(d: DetectorReport): { inTop: number; worst: number; all: boolean } {
  const ranks = d.c2Ranks.map((c) => c.rank ?? Infinity);
  const inTop = ranks.filter((r) => r <= C2_TOP).length;
  return { inTop, worst: ranks.length ? Math.max(...ranks) : Infinity, all: ranks.length > 0 && inTop === ranks.length };
}

const rankText = (rank: number) => (Number.isFinite(rank) ? `#${rank}` : 'none');

function ranksText(d: DetectorReport): string {
  return d.c2Ranks.map((c) => `${c.ip} ${c.rank === null ? 'not named' : `#${c.rank}`}`).join(', ');
}

/** The issue's targets for the detector's anomalies and its incidents, each against the RITA baseline. */
export function verdicts(detectors: readonly DetectorReport[], results: readonly ScenarioResult[]): Verdict[] {
  const rita = detectors.find((d) => d.id === 'rita')!;
  const njratRun = results.find((r) => r.scenario === NJRAT);
  const njratProblem =
    njratRun === undefined ? 'scenario 001 was not run' : njratRun.status === 'failed' ? `scenario 001 failed: ${njratRun.error}` : undefined;
  const anyFailed = results.some((r) => r.status === 'failed');
  const out: Verdict[] = [];
  for (const d of detectors) {
    if (d.id === 'rita') continue;
    const c2 = c2Standing(d);
    out.push({
      target: `T1 every NjRAT (001) command-and-control host in the top ${C2_TOP}`,
      detector: d.id,
      met: njratProblem === undefined && c2.all,
      detail: njratProblem ?? `${c2.inTop} of ${d.c2Ranks.length} in the top ${C2_TOP} (${ranksText(d)})`,
    });
    const t2 = (o: Overall) => o.budgetedRecall !== null && o.budgetedRecall >= RECALL_TARGET;
    out.push({
      target: `T2 overall recall >= ${RECALL_TARGET} within ${BUDGET_PER_DAY} alerts/day (recall of the top ${BUDGET_PER_DAY}/day alerts, micro and macro)`,
      detector: d.id,
      met: !anyFailed && t2(d.micro) && t2(d.macro),
      detail:
        `micro ${f3(d.micro.budgetedRecall)}, macro ${f3(d.macro.budgetedRecall)}; ` +
        `without the budget: recall micro ${f3(d.micro.recall)} at ${d.micro.alertsPerDay.toFixed(1)} alerts/day, macro ${f3(d.macro.recall)} at ${d.macro.alertsPerDay.toFixed(1)}/day` +
        (anyFailed ? '; some scenarios failed, so the overall figures are incomplete' : ''),
    });
    const r = c2Standing(rita);
    const betterT1 = c2.inTop > r.inTop || (c2.inTop === r.inTop && c2.worst < r.worst);
    const better = (a: number | null, b: number | null) => a !== null && (b === null || a > b);
    const betterT2 = better(d.micro.budgetedRecall, rita.micro.budgetedRecall) && better(d.macro.budgetedRecall, rita.macro.budgetedRecall);
    out.push({
      target: 'T3 better than the RITA baseline on T1 and on T2',
      detector: d.id,
      met: njratProblem === undefined && !anyFailed && betterT1 && betterT2,
      detail:
        `T1 ${betterT1 ? 'better' : 'not better'} (${c2.inTop} vs RITA ${r.inTop} in the top ${C2_TOP}, worst rank ${rankText(c2.worst)} vs ${rankText(r.worst)}); ` +
        `T2 ${betterT2 ? 'better' : 'not better'} (micro ${f3(d.micro.budgetedRecall)} vs ${f3(rita.micro.budgetedRecall)}, macro ${f3(d.macro.budgetedRecall)} vs ${f3(rita.macro.budgetedRecall)})`,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Text.
// ---------------------------------------------------------------------------------------------------------------

const num = (x: number | null, digits = 3) => (x === null ? '-' : x.toFixed(digits));
const pad = (s: string | number, n: number) => String(s).padStart(n);
const left = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s.padEnd(n));

export function formatRuns(results: readonly ScenarioResult[]): string[] {
  const lines = ['Scenario runs', `  ${left('scenario', 32)} ${left('status', 8)}${pad('days', 6)}${pad('docs', 8)}${pad('windows', 8)}${pad('anomalies', 10)}${pad('alerts', 7)}${pad('incid.', 7)}${pad('RITA pairs', 11)}${pad('analysed', 9)}   seconds (total: reset/ingest/detect/read/rita)`];
  for (const r of results) {
    if (r.status === 'failed' || !r.outcome || !r.truth) {
      lines.push(`  ${left(r.scenario, 32)} ${left('FAILED', 8)} after ${r.seconds.toFixed(1)} s: ${left((r.error ?? '').split('\n')[0], 120)}`);
      continue;
    }
    const o = r.outcome;
    const s = o.seconds;
    lines.push(
      `  ${left(r.scenario, 32)} ${left('ok', 8)}${pad(r.truth.days.toFixed(2), 6)}${pad(o.ingest.documentsIndexed, 8)}${pad(o.detector.windows, 8)}${pad(o.detector.anomaliesStored, 10)}${pad(o.alerts.length, 7)}${pad(o.incidents.length, 7)}${pad(o.rita.pairs, 11)}${pad(o.rita.analyzed, 9)}   ${r.seconds.toFixed(1)}: ${s.reset}/${s.ingest}/${s.detect}/${s.read}/${s.rita}`,
    );
  }
  return lines;
}

export function formatDetector(d: DetectorReport): string[] {
  const header = `  ${left('scenario', 32)}${pad('targets', 8)}${pad('alerts', 8)}${pad('per day', 9)}${pad('recall', 8)}${pad(`recall@${BUDGET_PER_DAY}/d`, 12)}${pad('P@3', 6)}${pad('P@10', 6)}${pad('1st hit', 8)}`;
  const lines = [d.label, header];
  for (const r of d.rows) {
    if (r.excluded !== undefined) {
      lines.push(`  ${left(r.scenario, 32)}${pad('-', 8)}${pad(r.alerts, 8)}${pad(r.alertsPerDay.toFixed(1), 9)}   not scored: ${left(r.excluded, 90)}`);
      continue;
    }
    lines.push(
      `  ${left(r.scenario, 32)}${pad(r.targets, 8)}${pad(r.alerts, 8)}${pad(r.alertsPerDay.toFixed(1), 9)}${pad(num(r.recall), 8)}${pad(num(r.budgetedRecall), 12)}${pad(num(r.precisionAt3), 6)}${pad(num(r.precisionAt10), 6)}${pad(r.firstHitRank ?? '-', 8)}`,
    );
  }
  for (const o of [d.micro, d.macro]) {
    lines.push(
      `  ${left(`overall ${o.kind} (${o.scenarios} scored)`, 32)}${pad('', 8)}${pad(o.alerts, 8)}${pad(o.alertsPerDay.toFixed(1), 9)}${pad(num(o.recall), 8)}${pad(num(o.budgetedRecall), 12)}${pad(num(o.precisionAt3), 6)}${pad(num(o.precisionAt10), 6)}`,
    );
  }
  return lines;
}

export function formatC2(detectors: readonly DetectorReport[]): string[] {
  const hosts = detectors[0]?.c2Ranks.map((c) => c.ip) ?? [];
  if (hosts.length === 0) return ['NjRAT (001) command-and-control hosts: not available (scenario 001 did not run)'];
  const lines = [
    `NjRAT (001) command-and-control hosts: rank of the first alert naming each (target: all in the top ${C2_TOP})`,
    `  ${left('c2 host', 18)}${detectors.map((d) => pad(d.id, 11)).join('')}`,
  ];
  for (const ip of hosts) {
    const cells = detectors.map((d) => {
      const rank = d.c2Ranks.find((c) => c.ip === ip)?.rank ?? null;
      return pad(rank === null ? 'none' : `#${rank}`, 11);
    });
    lines.push(`  ${left(ip, 18)}${cells.join('')}`);
  }
  return lines;
}

export function formatVerdicts(report: Report): string[] {
  const lines = ['Targets (computed from the figures above)'];
  for (const v of report.verdicts) lines.push(`  ${v.met ? 'met   ' : 'MISSED'}  ${left(v.detector, 10)} ${v.target}: ${v.detail}`);
  return lines;
}

export function formatReport(results: readonly ScenarioResult[], report: Report): string {
  const parts: string[][] = [formatRuns(results)];
  for (const d of report.detectors) parts.push(formatDetector(d));
  parts.push(formatC2(report.detectors));
  parts.push(formatVerdicts(report));
  if (report.failed.length > 0) {
    parts.push(['Failed scenarios (left out of every figure above)', ...report.failed.map((f) => `  ${f.scenario}: ${f.error}`)]);
  }
  return parts.map((p) => p.join('\n')).join('\n\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------------------
// JSON.
// ---------------------------------------------------------------------------------------------------------------

const TOP_ALERTS = 20;

/** A JSON-safe record of the runs and the report; alert lists are cut to their top entries. */
export function reportJson(results: readonly ScenarioResult[], report: Report, meta: Record<string, unknown>): Record<string, unknown> {
  return {
    ...meta,
    report,
    scenarios: results.map((r) => ({
      scenario: r.scenario,
      status: r.status,
      ...(r.error !== undefined ? { error: r.error } : {}),
      seconds: r.seconds,
      truth: r.truth && {
        source: r.truth.source,
        excluded: r.truth.excluded,
        start: r.truth.start,
        end: r.truth.end,
        days: r.truth.days,
        files: r.truth.files.map((f) => f.slice(f.indexOf(r.scenario))),
        malicious: Object.fromEntries([...r.truth.malicious].map(([ip, e]) => [ip, { role: e.role, flows: e.flows }])),
        benign: r.truth.benign.size,
      },
      outcome: r.outcome && {
        localNetworks: r.outcome.localNetworks,
        ingest: r.outcome.ingest,
        detector: r.outcome.detector,
        seconds: r.outcome.seconds,
        alerts: { count: r.outcome.alerts.length, top: rankAlerts(r.outcome.alerts).slice(0, TOP_ALERTS) },
        incidents: { count: r.outcome.incidents.length, top: rankAlerts(r.outcome.incidents).slice(0, TOP_ALERTS) },
        rita: {
          threshold: r.outcome.rita.threshold,
          dataset: r.outcome.rita.dataset,
          pairs: r.outcome.rita.pairs,
          analyzed: r.outcome.rita.analyzed,
          strobes: r.outcome.rita.strobes,
          alerts: { count: r.outcome.rita.alerts.length, top: r.outcome.rita.alerts.slice(0, TOP_ALERTS) },
          topPairs: r.outcome.rita.top,
        },
      },
    })),
  };
}
