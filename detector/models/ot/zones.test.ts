import { localNetworkMatcher } from '../../../ingest/enrich/direction';
import { OtModel } from '.';
import { FakeEs, normalize, readZeekLog, rewrite, runWindows, SCANNER, SCANS, SCAN_ZONES, testConfig } from './ot.fixture';
import { allowsAll, MAX_PORT_ANOMALIES, pairsToCheck, zoneScore } from './zones';

const WINDOW = 900;
const records = readZeekLog(SCANS);

/** Ports (`443/tcp`, `icmp`) of the scanner's flows into a network, per window start (s), from the records. */
function portsPerWindow(network: string): Map<number, Set<string>> {
  const inside = localNetworkMatcher([network]);
  const out = new Map<number, Set<string>>();
  for (const r of records) {
    if (r.fields['id.orig_h'] !== SCANNER || !inside(String(r.fields['id.resp_h']))) continue;
    const w = Math.floor((r.fields.ts as number) / WINDOW) * WINDOW;
    const port = r.fields.proto === 'icmp' ? 'icmp' : `${r.fields['id.resp_p']}/${r.fields.proto}`;
    out.set(w, (out.get(w) ?? new Set()).add(port));
  }
  return out;
}

describe('flows between zones that no conduit allows', () => {
  const toField = portsPerWindow('192.168.1.0/24');
  const toOffice = portsPerWindow('10.0.2.0/24');
  const fieldWindows = [...toField.keys()].sort();
  // The first sweep of the field zone uses a few ports; one of them is allowed by the conduit below.
  const firstPorts = [...toField.get(fieldWindows[0])!].sort();
  const allowed = firstPorts.find((p) => p.endsWith('/tcp'))!;
  const conduits = [{ from: 'control', to: 'field', ports: [Number(allowed.split('/')[0])] }];
  const config = testConfig({ zones: SCAN_ZONES, conduits });

  it('reports each violating port once, many ports as one, and nothing the conduit allows', async () => {
    expect(firstPorts.length).toBeLessThanOrEqual(MAX_PORT_ANOMALIES);
    expect(toField.get(fieldWindows[1])!.size).toBeGreaterThan(MAX_PORT_ANOMALIES);
    const es = new FakeEs(normalize(records, config));
    const found = (await runWindows({ es, models: [new OtModel()], config })).filter((a) => a.kind === 'ot_zone_violation');
    // In time order of windows; within a window, in the order of ports' names.
    const keys = found.map((a) => [a.window.start / 1000, a.key]).sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1])));
    const officeWindows = [...toOffice.keys()].sort();
    expect(keys).toEqual([
      // The first sweep: one anomaly per port but the allowed one.
      ...firstPorts.filter((p) => p !== allowed).map((p) => [fieldWindows[0], `control>field|${p}`]).sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      // The second: more ports than a handful, one anomaly each zone pair; the office zone's last flows, that day,
      // belong to the same pair and are not reported again.
      [fieldWindows[1], 'control>field|*'],
      [officeWindows[0], 'control>office|*'],
    ]);
    expect(officeWindows.length).toBe(2);
    for (const a of found) expect(a.entity.id).toBe(SCANNER);
    const icmp = found.find((a) => a.key === 'control>field|icmp')!;
    // Field devices the scanner pinged in that window, counted from the records.
    const inField = localNetworkMatcher(['192.168.1.0/24']);
    const pinged = new Set(
      records
        .filter((r) => r.fields.proto === 'icmp' && inField(String(r.fields['id.resp_h'])) && Math.floor((r.fields.ts as number) / WINDOW) * WINDOW === fieldWindows[0])
        .map((r) => r.fields['id.resp_h']),
    );
    expect(icmp.figures.peers).toBe(pinged.size);
    expect(icmp.explanation).toContain(` and ${pinged.size - 1} other devices (zone field`);
    expect(icmp.explanation).toMatch(/^172\.16\.1\.11 \(zone control, level 2\) connected to 192\.168\.1\.\d+ and \d+ other devices \(zone field, level 1\) on icmp, \d+ connections; the conduits from control to field allow only ports \d+\.$/);
    const office = found.find((a) => a.key === 'control>office|*')!;
    expect(office.explanation).toContain(`on ${toOffice.get(officeWindows[0])!.size} ports (`);
    expect(office.explanation).toContain('no conduit allows flows from control to office');
    expect(icmp.score).toBe(zoneScore(2, 1, false));
  });

  it('reports again on another day, not later the same day', async () => {
    const sweep = records.filter((r) => Math.floor((r.fields.ts as number) / WINDOW) * WINDOW === fieldWindows[0] && r.fields['id.orig_h'] === SCANNER);
    const es = new FakeEs(normalize(records, config));
    await runWindows({ es, models: [new OtModel()], config });
    const end = Math.max(...records.map((r) => r.fields.ts as number));
    // The capture ends at 15:47 UTC: an hour later is the same day, a day later is not.
    const sameDay = sweep.map((r) => rewrite(r, { ts: (r.fields.ts as number) + 2 * 3600 }));
    es.add(normalize(sameDay, config));
    const later = await runWindows({ es, models: [new OtModel()], config, from: Math.floor(end / WINDOW) * WINDOW * 1000 + WINDOW * 1000 });
    expect(later.filter((a) => a.kind === 'ot_zone_violation')).toEqual([]);
    const nextDay = sweep.map((r) => rewrite(r, { ts: (r.fields.ts as number) + 86_400 }));
    es.add(normalize(nextDay, config));
    const again = await runWindows({ es, models: [new OtModel()], config, from: (fieldWindows[0] + 86_400) * 1000 });
    expect(again.filter((a) => a.kind === 'ot_zone_violation').map((a) => a.key).sort()).toEqual(firstPorts.filter((p) => p !== allowed).map((p) => `control>field|${p}`));
  });

  it('reads only zone pairs a conduit does not allow entirely, and scores flows into OT zones higher', () => {
    expect(allowsAll([{ from: 'control', to: '*' }], 'control', 'field')).toBe(true);
    expect(allowsAll([{ from: 'control', to: 'field', ports: [502] }], 'control', 'field')).toBe(false);
    const pairs = pairsToCheck(SCAN_ZONES, [{ from: '*', to: 'office' }]).map(([a, b]) => `${a.name}>${b.name}`);
    expect(pairs).toEqual(['control>field', 'field>control', 'office>control', 'office>field']);
    expect(zoneScore(4, 1, true)).toBeGreaterThan(zoneScore(2, 1, false));
    expect(zoneScore(2, 1, false)).toBeGreaterThan(zoneScore(2, 4, false));
    expect(zoneScore(5, 0, true)).toBeLessThanOrEqual(95);
  });

  it('reports nothing without zones', async () => {
    const plain = testConfig();
    const es = new FakeEs(normalize(records, plain));
    expect((await runWindows({ es, models: [new OtModel()], config: plain })).filter((a) => a.kind === 'ot_zone_violation')).toEqual([]);
  });
});
