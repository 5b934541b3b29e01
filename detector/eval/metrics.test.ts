/**
 * The metrics on small alert lists built here, scored against the real truth of scenarios 001 (NjRAT: one bot, five
 * command-and-control servers, 50 minutes), 003 (AndroidTester: one phone, one controller), 004 (excluded) and 008
 * (External-Attack-to-Device: many attackers, one victim, a little more than a day).
 */
import { join } from 'node:path';
import { LABELED_CORPUS } from '../../test/support/corpus';
import {
  ALL_ROLES,
  alertBudget,
  alertsPerDay,
  budgetedRecall,
  precisionAtK,
  rankOf,
  recall,
  summarise,
  type Alert,
} from './metrics';
import { MIN_DAYS, scenarioTruth, type Role, type ScenarioTruth } from './truth';

const SETS = join(LABELED_CORPUS, 'stratosphere-security-datasets');
const njrat = scenarioTruth(join(SETS, '001-zeek-scenario-malicious'));
const rat = scenarioTruth(join(SETS, '003-zeek-scenario-malicious'));
const ssh = scenarioTruth(join(SETS, '004-zeek-scenario-ssh'));
const mixed = scenarioTruth(join(SETS, '008-zeek-mixed'));

const withRole = (t: ScenarioTruth, role: Role): string[] =>
  [...t.malicious].filter(([, e]) => e.role === role).map(([ip]) => ip).sort();
const [bot] = withRole(njrat, 'infected');
const servers = withRole(njrat, 'c2');
const [device] = withRole(mixed, 'victim');
const attackers = withRole(mixed, 'attacker');
const [benign] = [...njrat.benign];

let next = 0;
function alert(score: number, entity: string, related: string[] = [], time = 1000): Alert {
  return { id: `a${++next}`, score, time, entity, related, model: 'test' };
}

it('uses scenarios with the entities the tests rely on', () => {
  expect(servers.length).toBeGreaterThanOrEqual(3);
  expect(attackers.length).toBeGreaterThanOrEqual(3);
  expect(bot).toBeDefined();
  expect(device).toBeDefined();
  expect(benign).toBeDefined();
  expect(njrat.malicious.has(benign)).toBe(false);
});

describe('recall', () => {
  const targets = 1 + servers.length;

  it('counts each malicious entity named as entity or related once', () => {
    expect(recall(njrat, [])).toBe(0);
    expect(recall(njrat, [alert(1, bot)])).toBeCloseTo(1 / targets);
    expect(recall(njrat, [alert(1, benign, [bot, servers[0]]), alert(2, bot)])).toBeCloseTo(2 / targets);
    expect(recall(njrat, [alert(1, bot, servers)])).toBe(1);
  });

  it('leaves the victim out unless asked', () => {
    expect(recall(mixed, [alert(1, device)])).toBe(0);
    expect(recall(mixed, [alert(1, device)], ALL_ROLES)).toBeCloseTo(1 / (attackers.length + 1));
    expect(recall(mixed, [alert(1, device)], new Set<Role>(['victim']))).toBe(1);
  });

  it('is undefined where there is nothing to find', () => {
    expect(recall(ssh, [alert(1, bot)])).toBeNaN();
  });
});

describe('precisionAtK', () => {
  const ranked = [alert(0.9, bot), alert(0.8, benign), alert(0.7, benign, [servers[1]]), alert(0.1, servers[2])];

  it('judges the top k alerts by score, whatever their order in the list', () => {
    const shuffled = [ranked[3], ranked[1], ranked[0], ranked[2]];
    expect(precisionAtK(njrat, shuffled, 1)).toBe(1);
    expect(precisionAtK(njrat, shuffled, 2)).toBe(0.5);
    expect(precisionAtK(njrat, shuffled, 3)).toBeCloseTo(2 / 3);
    // Fewer alerts than k: the fraction of those there are.
    expect(precisionAtK(njrat, shuffled, 10)).toBe(0.75);
  });

  it('ranks ties by time, earliest first', () => {
    const tie = [alert(0.5, benign, [], 2000), alert(0.5, bot, [], 1000)];
    expect(precisionAtK(njrat, tie, 1)).toBe(1);
    expect(precisionAtK(njrat, [alert(0.5, benign, [], 1000), alert(0.5, bot, [], 2000)], 1)).toBe(0);
  });

  it('does not take an alert about the victim alone for a hit, but one naming its attacker', () => {
    expect(precisionAtK(mixed, [alert(1, device, [benign])], 1)).toBe(0);
    expect(precisionAtK(mixed, [alert(1, device, [attackers[0]])], 1)).toBe(1);
  });

  it('is undefined without alerts and refuses a k that is no positive integer', () => {
    expect(precisionAtK(njrat, [], 5)).toBeNaN();
    expect(() => precisionAtK(njrat, ranked, 0)).toThrow(RangeError);
    expect(() => precisionAtK(njrat, ranked, 1.5)).toThrow(RangeError);
  });
});

describe('alertsPerDay', () => {
  const seven = Array.from({ length: 7 }, (_, i) => alert(i, benign));

  it('gives the raw count and the rate over the capture, a 50-minute one counting as its fraction of a day', () => {
    const rate = alertsPerDay(seven, njrat.days);
    expect(rate.count).toBe(7);
    expect(rate.days).toBe(njrat.days);
    expect(rate.perDay).toBeCloseTo(7 / njrat.days);
    expect(rate.perDay).toBeGreaterThan(7 * 24);
    expect(alertsPerDay(seven, 2).perDay).toBe(3.5);
  });

  it('floors the days', () => {
    expect(alertsPerDay(seven, 0).days).toBe(MIN_DAYS);
    expect(alertsPerDay(seven, 1e-9).perDay).toBeCloseTo(7 / MIN_DAYS);
  });
});

describe('rankOf', () => {
  it('gives the 1-based rank of the first alert naming the address', () => {
    const alerts = [alert(0.2, bot), alert(0.9, benign), alert(0.5, benign, [bot]), alert(0.7, servers[0])];
    expect(rankOf(njrat, alerts, benign)).toBe(1);
    expect(rankOf(njrat, alerts, servers[0])).toBe(2);
    expect(rankOf(njrat, alerts, bot)).toBe(3);
    expect(rankOf(njrat, alerts, servers[1])).toBeUndefined();
  });
});

describe('budgetedRecall', () => {
  const alerts = [alert(0.9, attackers[0]), alert(0.8, device, [attackers[1]]), alert(0.7, attackers[2]), alert(0.6, benign)];

  it('keeps only the top maxPerDay * days alerts', () => {
    expect(mixed.days).toBeGreaterThan(1);
    expect(mixed.days).toBeLessThan(1.5);
    expect(alertBudget(mixed.days, 1)).toBe(1);
    expect(budgetedRecall(mixed, alerts, 1)).toBeCloseTo(1 / attackers.length);
    expect(budgetedRecall(mixed, alerts, 2)).toBeCloseTo(2 / attackers.length);
    expect(budgetedRecall(mixed, alerts, 100)).toBeCloseTo(recall(mixed, alerts));
  });

  it('keeps at least one alert when the capture is short', () => {
    // 10 alerts a day over 50 minutes allow less than one.
    expect(10 * njrat.days).toBeLessThan(1);
    expect(alertBudget(njrat.days, 10)).toBe(1);
    expect(budgetedRecall(njrat, [alert(0.2, benign), alert(0.9, bot)], 10)).toBeCloseTo(1 / (1 + servers.length));
    expect(budgetedRecall(njrat, [alert(0.9, benign), alert(0.2, bot)], 10)).toBe(0);
  });
});

describe('summarise', () => {
  // 001: 3 of its entities named, 1 of the top 2 alerts a hit. 003: both named by its only alert. 004: excluded.
  const [phone] = withRole(rat, 'infected');
  const [controller] = withRole(rat, 'c2');
  const runs = [
    { truth: njrat, alerts: [alert(0.9, benign), alert(0.8, bot, [servers[0]]), alert(0.1, servers[1])] },
    { truth: rat, alerts: [alert(0.5, phone, [controller])] },
    { truth: ssh, alerts: [alert(0.5, '10.0.83.193'), alert(0.4, '10.0.83.180')] },
  ];
  const summary = summarise(runs, { k: 2, maxPerDay: 1000 });
  const targets = 1 + servers.length;

  it('gives a row per scenario', () => {
    const [first, second, third] = summary.scenarios;
    expect(first).toMatchObject({ scenario: njrat.scenario, source: 'labels', alerts: 3, targets, named: 3, hitsAtK: 1, consideredAtK: 2 });
    expect(first.entities).toEqual({ infected: 1, c2: servers.length });
    expect(first.recall).toBeCloseTo(3 / targets);
    expect(first.recallByRole).toEqual({ infected: 1, c2: 2 / servers.length });
    expect(first.precisionAtK).toBe(0.5);
    expect(first.firstHitRank).toBe(2);
    expect(first.alertsPerDay).toBeCloseTo(3 / njrat.days);
    expect(second).toMatchObject({ source: 'readme', targets: 2, named: 2, recall: 1, precisionAtK: 1, firstHitRank: 1 });
    // The excluded scenario keeps its alert volume but has no score.
    expect(third).toMatchObject({ excluded: ssh.excluded, alerts: 2, recall: null, precisionAtK: null, budgetedRecall: null });
    expect(third.alertsPerDay).toBeCloseTo(2 / ssh.days);
  });

  it('pools counts in the micro row and averages scenarios in the macro row, both without the excluded one', () => {
    expect(summary.micro).toMatchObject({ kind: 'micro', scenarios: 2, excluded: 1, alerts: 4 });
    expect(summary.micro.recall).toBeCloseTo(5 / (targets + 2));
    expect(summary.micro.precisionAtK).toBeCloseTo(2 / 3);
    expect(summary.micro.alertsPerDay).toBeCloseTo(4 / (njrat.days + rat.days));
    expect(summary.macro).toMatchObject({ kind: 'macro', scenarios: 2, excluded: 1 });
    expect(summary.macro.recall).toBeCloseTo((3 / targets + 1) / 2);
    expect(summary.macro.precisionAtK).toBeCloseTo(0.75);
    expect(summary.macro.alertsPerDay).toBeCloseTo((3 / njrat.days + 1 / rat.days) / 2);
    expect(summary.micro.definition).toMatch(/pooled/);
    expect(summary.macro.definition).toMatch(/mean/);
  });

  it('applies the alert budget per scenario', () => {
    const tight = summarise(runs, { k: 2, maxPerDay: 1 });
    // Under one day each, so one alert kept: 001's top alert names no entity, 003's names both.
    expect(tight.scenarios[0]).toMatchObject({ budget: 1, budgetNamed: 0, budgetedRecall: 0 });
    expect(tight.scenarios[1]).toMatchObject({ budget: 1, budgetNamed: 2, budgetedRecall: 1 });
    expect(tight.micro.budgetedRecall).toBeCloseTo(2 / (targets + 2));
    expect(tight.macro.budgetedRecall).toBeCloseTo(0.5);
  });
});
