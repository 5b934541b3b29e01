import { localNetworkMatcher } from '../../../ingest/enrich/direction';
import { emptyStats, observe } from '../../baseline/decay';
import { OtModel } from '.';
import { FakeEs, normalize, readZeekLog, rewrite, runWindows, SCANNER, SCANS, SCAN_ZONES, testConfig } from './ot.fixture';
import { judgeReach, MIN_SCAN_DEVICES, NEW_SOURCE_SCAN_DEVICES } from './scan';

const config = testConfig({ zones: SCAN_ZONES });
const WINDOW = 900;
const records = readZeekLog(SCANS);

/** Distinct destinations of the scanner in the OT zones (levels 1 and 2), per window start (s), from the records. */
function otReachPerWindow(): Map<number, number> {
  const ot = localNetworkMatcher(['172.16.1.0/24', '192.168.1.0/24']);
  const sets = new Map<number, Set<string>>();
  for (const r of records) {
    const dst = String(r.fields['id.resp_h']);
    if (r.fields['id.orig_h'] !== SCANNER || dst === SCANNER || !ot(dst)) continue;
    const w = Math.floor((r.fields.ts as number) / WINDOW) * WINDOW;
    sets.set(w, (sets.get(w) ?? new Set()).add(dst));
  }
  return new Map([...sets].map(([w, s]) => [w, s.size]));
}

describe('scans of OT address space', () => {
  const reach = otReachPerWindow();
  const scanWindows = [...reach].filter(([, n]) => n >= NEW_SOURCE_SCAN_DEVICES);

  it('reports the nmap sweep of the control and field zones by a source without history', async () => {
    // The capture holds one sweep of the two OT zones large enough for a source nobody knows.
    expect(scanWindows).toHaveLength(1);
    const [start, devices] = scanWindows[0];
    const es = new FakeEs(normalize(records, config));
    const found = await runWindows({ es, models: [new OtModel()], config });
    const scans = found.filter((a) => a.kind === 'ot_scan');
    expect(scans.map((a) => [a.entity.id, a.window.start / 1000])).toEqual([[SCANNER, start]]);
    expect(scans[0].figures.observed).toBe(devices);
    expect(scans[0].score).toBeGreaterThanOrEqual(80);
    expect(scans[0].techniques).toEqual([{ id: 'T0846', name: 'Remote System Discovery', framework: 'MITRE ATT&CK for ICS' }]);
    expect(scans[0].explanation).toMatch(new RegExp(`^172\\.16\\.1\\.11 reached ${devices} OT devices in 15 minutes \\(${devices} in OT zones control and field\\); it had`));
  });

  it('judges a source with history against its own mean: the quiet tail of the capture, replayed on six earlier days', async () => {
    const [start, devices] = scanWindows[0];
    // After the sweeps the scanner reaches one field device per window: that is its history.
    const tail = records.filter((r) => (r.fields.ts as number) >= start + WINDOW);
    expect(tail.length).toBeGreaterThan(0);
    const history = [6, 5, 4, 3, 2, 1].flatMap((d) => tail.map((r) => rewrite(r, { ts: (r.fields.ts as number) - d * 86_400 })));
    const es = new FakeEs(normalize([...history, ...records], config));
    const found = await runWindows({ es, models: [new OtModel()], config });
    const scans = found.filter((a) => a.kind === 'ot_scan');
    expect(scans.map((a) => a.window.start / 1000)).toEqual([start]);
    expect(scans[0].explanation).toContain(`reached ${devices} OT devices`);
    expect(scans[0].explanation).toMatch(/it usually reaches about 1(\.\d)? per active window \(over 6 days\)/);
    expect((scans[0].figures.details as { z: number }).z).toBeGreaterThan(10);
  });

  it('does not count destinations outside OT zones nor on other ports without zones', async () => {
    // Without zones, none of nmap's ports is an industrial one: no OT device is reached.
    const plain = testConfig();
    const es = new FakeEs(normalize(records, plain));
    expect((await runWindows({ es, models: [new OtModel()], config: plain })).filter((a) => a.kind === 'ot_scan')).toEqual([]);
  });

  it('scores by distance from the mean once there is history, by size without', () => {
    let stats = emptyStats();
    for (let i = 0; i < 10; i++) stats = observe(stats, 5 + (i % 3), i * 900_000, 14 * 86_400_000);
    expect(judgeReach(stats, 7).scan).toBe(false);
    expect(judgeReach(stats, MIN_SCAN_DEVICES - 1).scan).toBe(false);
    const big = judgeReach(stats, 40);
    expect(big.scan).toBe(true);
    expect(big.score).toBeGreaterThan(judgeReach(stats, 25).score);
    expect(judgeReach(undefined, NEW_SOURCE_SCAN_DEVICES - 1).scan).toBe(false);
    expect(judgeReach(undefined, NEW_SOURCE_SCAN_DEVICES).scan).toBe(true);
  });
});
