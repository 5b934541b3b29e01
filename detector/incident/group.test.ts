import { incidentScore, incidentSummary, type IncidentEntry } from './group';

const entry = (over: Partial<IncidentEntry>): IncidentEntry => ({
  time: Date.UTC(2026, 10, 24, 10),
  anomaly: 'a',
  model: 'email',
  kind: 'new_recipient',
  domain: 'email',
  entity: 'bob@example.org',
  score: 60,
  explanation: 'A sender wrote to bob@example.org for the first time.',
  techniques: [],
  ...over,
});

describe('incidents', () => {
  it('score a chain across domains above its strongest link', () => {
    const one = [entry({ score: 70 })];
    const chain = [entry({ score: 70 }), entry({ model: 'beacon', domain: 'network', score: 65 }), entry({ model: 'ot', domain: 'ot', score: 50 })];
    expect(incidentScore(one)).toBe(70);
    expect(incidentScore(chain)).toBeGreaterThan(80);
    expect(incidentScore(chain)).toBeLessThanOrEqual(100);
  });

  it('tell the story in time order from the facts of the anomalies', () => {
    const t0 = Date.UTC(2026, 10, 24, 10);
    const { title, summary } = incidentSummary({
      id: 'inc-1',
      start: t0,
      end: t0 + 2 * 3_600_000,
      score: 90,
      entities: ['bob@example.org', '10.0.0.5', '10.1.5.20'],
      relatedIp: [],
      observations: [],
      observationCount: 0,
      timeline: [
        entry({ time: t0 }),
        entry({ time: t0 + 3_600_000, model: 'beacon', domain: 'network', kind: 'beacon', entity: '10.0.0.5', score: 80, explanation: '10.0.0.5 beacons to 203.0.113.9:443 every 60 s.' }),
        entry({ time: t0 + 2 * 3_600_000, model: 'ot', domain: 'ot', kind: 'modbus_write', entity: '10.0.0.5', score: 90, explanation: '10.0.0.5 wrote Modbus function 6 to 10.1.5.20 unit 1 for the first time.' }),
      ],
    });
    expect(title).toBe('10.0.0.5: modbus write and 2 more anomalies');
    expect(summary).toMatch(/^3 anomalies from 3 models \(email, beacon, ot\) over 2\.0 h/);
    expect(summary.indexOf('sender wrote')).toBeLessThan(summary.indexOf('beacons'));
    expect(summary.indexOf('beacons')).toBeLessThan(summary.indexOf('wrote Modbus'));
  });
});
