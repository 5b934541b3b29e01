import { basename, join } from 'node:path';
import { CORPUS, LABELED_CORPUS, dataLines, readLog } from '../test/support/corpus';
import { localNetworkMatcher } from '../ingest/enrich/direction';
import { normalizeZeek } from '../ingest/normalize/zeek';
import { validateConfig } from '../common/config/load';
import { ConnReplay, connLogFiles } from './conn-replay';

const DAY = Date.UTC(2025, 5, 2);
const isLocal = localNetworkMatcher(validateConfig({}, 'test').networks.local);
const MIXED = join(LABELED_CORPUS, 'stratosphere-security-datasets', '011-zeek-mixed', 'data', 'conn.log.labeled');
const files = connLogFiles(CORPUS);
const replay = ConnReplay.load(files, { day: DAY, isLocal });
const mixed = ConnReplay.load([MIXED], { day: DAY, isLocal });

describe('connLogFiles', () => {
  it('lists the labeled captures and the test baselines, once each capture', () => {
    const names = new Set(files.map((f) => basename(f)));
    expect(names).toEqual(new Set(['conn.log', 'conn.log.labeled']));
    expect(files).toContain(MIXED);
    expect(files.some((f) => f.includes('zeek-btest-baseline'))).toBe(true);
    expect(files.some((f) => f.includes('icsnpp'))).toBe(true);
  });
});

describe('ConnReplay', () => {
  it('reads every record of a capture', () => {
    expect(mixed.recordsPerCopy).toBe(dataLines(readLog(MIXED)));
  });

  it('yields exactly the events asked for, without the capture labels', () => {
    const out = [...mixed.records(mixed.recordsPerCopy + 10)];
    expect(out).toHaveLength(mixed.recordsPerCopy + 10);
    expect(out[out.length - 1].copy).toBe(1);
    expect(out.some(({ record }) => 'label' in record.fields || 'detailedlabel' in record.fields)).toBe(false);
  });

  it('puts every event on the one day', () => {
    for (const { record } of replay.records(3 * replay.recordsPerCopy)) {
      const ms = (record.fields.ts as number) * 1000;
      expect(ms).toBeGreaterThanOrEqual(DAY);
      expect(ms).toBeLessThan(DAY + 86_400_000);
    }
  });

  it('keeps the time of day of a capture that spans a day', () => {
    const first = mixed.captures[0];
    expect(first.daylong).toBe(true);
    const original = first.times[100] % 86_400;
    expect(mixed.time(0, 100, 0) - DAY / 1000).toBeCloseTo(original, 6);
    // Another copy is a few minutes off, not hours.
    expect(Math.abs(mixed.time(0, 100, 7) - mixed.time(0, 100, 0))).toBeLessThan(600);
  });

  it('makes the devices Zeek marked local (a public university network) internal devices', () => {
    const record = mixed.captures[0].records.find((r) => r.fields.local_orig === true && !isLocal(r.fields['id.orig_h'] as string));
    expect(record).toBeDefined();
    const device = record!.fields['id.orig_h'] as string;
    expect(mixed.isDevice(device)).toBe(true);
    for (const copy of [0, 1, 500]) expect(isLocal(mixed.address(device, copy))).toBe(true);
  });

  it('gives each copy its own devices, keeping subnet neighbours together', () => {
    const addresses = replay.captures.flatMap((c) => c.records.flatMap((r) => [r.fields['id.orig_h'] as string, r.fields['id.resp_h'] as string]));
    const devices = [...new Set(addresses)].filter((a) => replay.isDevice(a) && !a.includes(':'));
    expect(devices.length).toBeGreaterThan(100);
    const copies = [0, 1, 2, 300].map((copy) => new Set(devices.map((d) => replay.address(d, copy))));
    const all = new Set(copies.flatMap((c) => [...c]));
    expect(all.size).toBe(devices.length * copies.length);
    const net = (a: string) => a.split('.').slice(0, 3).join('.');
    const a = devices.find((d) => devices.some((e) => e !== d && net(e) === net(d)))!;
    const b = devices.find((e) => e !== a && net(e) === net(a))!;
    expect(b).toBeDefined();
    expect(net(replay.address(a, 5))).toBe(net(replay.address(b, 5)));
    expect(net(replay.address(a, 5))).not.toBe(net(replay.address(a, 6)));
  });

  it('shares external destinations among copies, their variants growing as the square root of the copies', () => {
    const external = mixed.captures[0].records.map((r) => r.fields['id.resp_h'] as string).find((a) => !mixed.isDevice(a) && !a.includes(':') && Number(a.split('.')[0]) < 224)!;
    expect(mixed.address(external, 0)).toBe(external);
    expect(mixed.address(external, 1)).toBe(mixed.address(external, 3));
    expect(mixed.address(external, 4)).not.toBe(mixed.address(external, 3));
    const variants = new Set(Array.from({ length: 100 }, (_, copy) => mixed.address(external, copy)));
    expect(variants.size).toBe(10);
    for (const v of variants) {
      expect(isLocal(v)).toBe(false);
      expect(v.split('.').slice(0, 2)).toEqual(external.split('.').slice(0, 2));
    }
  });

  it('gives normalized documents the addresses and times of the replay', () => {
    const ctx = { isLocal, sensor: 'bench', fallbackTs: DAY / 1000, ingested: new Date(DAY).toISOString() };
    const [{ record }] = [...replay.records(1)];
    const doc = normalizeZeek(record, ctx) as unknown as { '@timestamp': string; source: { ip: string }; destination: { ip: string } };
    expect(doc.source.ip).toBe(record.fields['id.orig_h']);
    expect(doc.destination.ip).toBe(record.fields['id.resp_h']);
    expect(Math.abs(Date.parse(doc['@timestamp']) - (record.fields.ts as number) * 1000)).toBeLessThan(1);
  });
});
