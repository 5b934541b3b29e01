/**
 * Verdicts of `npm run eval` from alert lists built here, scored against the real truth of the NjRAT scenario (one
 * bot, five command-and-control servers) and of 003 (one phone and its controller).
 */
import { join } from 'node:path';
import { LABELED_CORPUS } from '../test/support/corpus';
import type { Alert } from '../detector/eval/metrics';
import { scenarioTruth, type ScenarioTruth } from '../detector/eval/truth';
import { buildReport, c2Hosts, formatReport, NJRAT, type ScenarioResult } from './eval-report';
import type { ScenarioOutcome } from './eval-scenario';
import { RITA_SCORE_THRESHOLD } from './eval-rita';

const SETS = join(LABELED_CORPUS, 'stratosphere-security-datasets');
const njrat = scenarioTruth(join(SETS, NJRAT));
const rat = scenarioTruth(join(SETS, '003-zeek-scenario-malicious'));
const servers = c2Hosts(njrat);
const [bot] = [...njrat.malicious].filter(([, e]) => e.role === 'infected').map(([ip]) => ip);
const [benign] = [...njrat.benign];

let next = 0;
const alert = (score: number, entity: string, related: string[] = []): Alert => ({ id: `a${++next}`, score, time: 1000 + next, entity, related, model: 'test' });

function outcome(alerts: Alert[], incidents: Alert[], rita: Alert[]): ScenarioOutcome {
  return {
    localNetworks: [],
    ingest: { linesRead: 0, documentsIndexed: 0, duplicates: 0, deadLettered: 0, filesRead: 0 },
    detector: { passes: 1, windows: 0, events: 0, anomalies: alerts.length, alerts: alerts.length, incidents: { created: 0, updated: 0 }, byModel: {}, anomaliesStored: alerts.length },
    alerts,
    incidents,
    rita: { threshold: RITA_SCORE_THRESHOLD, dataset: null, pairs: 0, analyzed: 0, strobes: 0, alerts: rita, top: [] },
    seconds: { reset: 0, ingest: 0, detect: 0, read: 0, rita: 0 },
  };
}

const ok = (truth: ScenarioTruth, o: ScenarioOutcome): ScenarioResult => ({ scenario: truth.scenario, status: 'ok', seconds: 1, truth, outcome: o });
const verdict = (results: ScenarioResult[], detector: string, target: string) =>
  buildReport(results).verdicts.find((v) => v.detector === detector && v.target.startsWith(target))!;

it('uses a scenario with several controllers, so that one alert cannot name them all by accident', () => {
  expect(servers.length).toBeGreaterThan(3);
  expect(bot).toBeDefined();
  expect(benign).toBeDefined();
});

it('T1 is met when alerts in the top 3 name every controller, and missed when one is ranked 4th', () => {
  const top = [alert(90, bot, servers.slice(0, 3)), alert(80, bot, servers.slice(3))];
  const met = [ok(njrat, outcome(top, [], []))];
  expect(verdict(met, 'anomalies', 'T1').met).toBe(true);
  const late = [alert(99, benign), alert(98, benign), alert(97, bot, servers.slice(0, 4)), alert(10, bot, servers.slice(4))];
  const missed = verdict([ok(njrat, outcome(late, [], []))], 'anomalies', 'T1');
  expect(missed.met).toBe(false);
  expect(missed.detail).toContain(`${servers[4]} #4`);
});

it('T1 and T3 are missed, with the reason, when the NjRAT scenario failed', () => {
  const results: ScenarioResult[] = [{ scenario: NJRAT, status: 'failed', error: 'ingest exited with 1', seconds: 1 }, ok(rat, outcome([], [], []))];
  expect(verdict(results, 'anomalies', 'T1')).toMatchObject({ met: false, detail: 'scenario 001 failed: ingest exited with 1' });
  expect(verdict(results, 'incidents', 'T3').met).toBe(false);
  const text = formatReport(results, buildReport(results));
  expect(text).toContain('FAILED');
  expect(text).toContain('ingest exited with 1');
});

it('T2 takes the recall of the top 10 alerts a day, micro and macro', () => {
  const [phone] = [...rat.malicious].filter(([, e]) => e.role === 'infected').map(([ip]) => ip);
  const [controller] = c2Hosts(rat);
  // Each capture lasts less than a day: a budget of one alert. Every malicious entity is named, but in 001 only by
  // the second alert, outside the budget.
  const results = [
    ok(njrat, outcome([alert(99, benign), alert(50, bot, servers)], [], [])),
    ok(rat, outcome([alert(70, phone, [controller])], [], [])),
  ];
  const report = buildReport(results);
  const anomalies = report.detectors.find((d) => d.id === 'anomalies')!;
  expect(anomalies.micro.recall).toBe(1);
  expect(anomalies.macro.budgetedRecall).toBeCloseTo(0.5);
  expect(verdict(results, 'anomalies', 'T2').met).toBe(false);
  const fixed = [ok(njrat, outcome([alert(99, bot, servers)], [], [])), results[1]];
  expect(verdict(fixed, 'anomalies', 'T2').met).toBe(true);
});

it('T3 needs the detector strictly better than RITA on both targets: a tie is not better', () => {
  const same = [alert(90, bot, servers)];
  const tie = [ok(njrat, outcome(same, same, same))];
  expect(verdict(tie, 'anomalies', 'T3').met).toBe(false);
  const ahead = [ok(njrat, outcome(same, [], [alert(0.9, benign), alert(0.8, benign), alert(0.7, benign), alert(0.6, bot, servers)]))];
  expect(verdict(ahead, 'anomalies', 'T3').met).toBe(true);
  // The incidents of the same run are empty: worse than RITA, which names the controllers at rank 4.
  expect(verdict(ahead, 'incidents', 'T3').met).toBe(false);
});
