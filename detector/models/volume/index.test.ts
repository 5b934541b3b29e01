import * as ipaddr from 'ipaddr.js';
import { localNetworkMatcher } from '../../../ingest/enrich/direction';
import { readZeekLog } from '../../../ingest/normalize/zeek/corpus.fixture';
import type { AnomalyDraft } from '../../anomaly/anomaly';
import { emptyStats } from '../../baseline/decay';
import { NO_FEEDBACK } from '../../feedback/evaluations';
import { CorpusEs, STRATOSPHERE, corpusRecords, documents, replay, shifted } from './corpus-es.fixture';
import { VolumeModel, deviceVolume, ipOrderKey, judgeSeries, learnValue, mergeByDevice, type MetricStats, type VolumeState } from '.';

const LOCAL = ['147.32.0.0/16'];
const isLocal = localNetworkMatcher(LOCAL);
/** A day of a Windows computer of the university network (its README), with a 437 MB Teams call at 15:03. */
const DAY = `${STRATOSPHERE}/011-zeek-mixed/data/conn.log.labeled`;
const DEVICE = '147.32.83.165';
const NJRAT = `${STRATOSPHERE}/001-zeek-scenario-malicious/labeled-conn.log`;
const WINDOW_MS = 15 * 60_000;

const windowOf = (tsSeconds: number) => Math.floor((tsSeconds * 1000) / WINDOW_MS) * WINDOW_MS;
const num = (v: unknown) => (typeof v === 'number' ? v : 0);

describe('VolumeModel over a real day of traffic', () => {
  const records = readZeekLog(DAY);
  const es = new CorpusEs(documents(corpusRecords([DAY]), LOCAL));
  let drafts: AnomalyDraft[];

  beforeAll(async () => {
    drafts = await replay(new VolumeModel(), es, { local: LOCAL });
  });

  it('reports the window of the largest upload with the bytes the device sent to external hosts, both roles counted', () => {
    const uploads = records.filter((r) => r.fields['id.orig_h'] === DEVICE && !isLocal(String(r.fields['id.resp_h'])));
    const largest = uploads.reduce((a, b) => (num(b.fields.orig_bytes) > num(a.fields.orig_bytes) ? b : a));
    expect(num(largest.fields.orig_bytes)).toBeGreaterThan(100e6);
    const start = windowOf(largest.fields.ts as number);
    // What the device sent to external hosts in that window, counted from the records: its payload as the
    // originator plus its payload as the responder.
    let sent = 0;
    for (const r of records) {
      if (windowOf(r.fields.ts as number) !== start) continue;
      if (r.fields['id.orig_h'] === DEVICE && !isLocal(String(r.fields['id.resp_h']))) sent += num(r.fields.orig_bytes);
      if (r.fields['id.resp_h'] === DEVICE && !isLocal(String(r.fields['id.orig_h']))) sent += num(r.fields.resp_bytes);
    }
    const found = drafts.find((d) => d.entity.id === DEVICE && d.key === 'outbound' && windowOf(d.time / 1000) === start);
    expect(found).toBeDefined();
    expect((found!.figures.details as { metric: string }).metric).toBe('bytes');
    expect(found!.figures.observed).toBe(sent);
    expect(found!.figures.observed).toBeGreaterThan(20 * found!.figures.expected!);
    expect(found!.explanation).toMatch(
      /^147\.32\.83\.165 sent \d+ MB to external hosts between 15:00 and 15:15 UTC on 2022-06-13, [\d,]+ times its usual [\d.]+ [kM]?B \(±[\d.]+ [kM]?B\) per 15-minute window over \d+ hours \(too little history for this hour of the week yet\)\.$/,
    );
    expect(found!.techniques).toEqual([{ id: 'T1048', name: 'Exfiltration Over Alternative Protocol' }]);
    expect(found!.events.query).toBeDefined();
  });

  it('judges a device only once it has the minimum history, and only upward', () => {
    expect(drafts.length).toBeGreaterThan(0);
    for (const d of drafts) {
      expect(d.figures.history_windows).toBeGreaterThanOrEqual(24);
      expect(d.figures.observed).toBeGreaterThan(d.figures.expected!);
      expect(d.score).toBeGreaterThan(0);
      expect(d.score).toBeLessThanOrEqual(100);
    }
  });

  it('writes at most one anomaly per device, direction and window', () => {
    const keys = drafts.map((d) => `${d.entity.id}|${d.key}|${windowOf(d.time / 1000)}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('keeps an all-hours baseline per device and one per hour-of-week slot', () => {
    const devices = es.baselinesOf<VolumeState>('volume', 'device');
    const slots = es.baselinesOf<VolumeState>('volume', 'slot');
    const own = devices.get(DEVICE)!;
    expect(own).toBeDefined();
    const windows = new Set(
      records
        .filter((r) => r.fields['id.orig_h'] === DEVICE || r.fields['id.resp_h'] === DEVICE)
        .map((r) => windowOf(r.fields.ts as number)),
    );
    // One observation per window in which the device had traffic.
    expect(own.observations).toBe(windows.size);
    const mine = [...slots.values()].filter((s) => s.entity.id === DEVICE);
    expect(mine.reduce((n, s) => n + s.observations, 0)).toBe(windows.size);
    // A day covers at most 24 or 25 hours of the week.
    expect(mine.length).toBeLessThanOrEqual(25);
    expect(mine.every((s) => /^147\.32\.83\.165@\d+$/.test(s.key))).toBe(true);
  });

  it('scores nothing while the history is shorter than minHistoryWindows', async () => {
    const again = new CorpusEs(documents(corpusRecords([DAY]), LOCAL));
    const none = await replay(new VolumeModel(), again, { local: LOCAL, detector: { models: { volume: { minHistoryWindows: 1000 } } } });
    expect(none).toEqual([]);
    expect(again.baselinesOf('volume', 'device').size).toBeGreaterThan(0);
  });

  it('learns nothing of a device whose activity was evaluated as malicious', async () => {
    const again = new CorpusEs(documents(corpusRecords([DAY]), LOCAL));
    const tainted = { ...NO_FEEDBACK, isTainted: (model: string, entity: string) => model === 'volume' && entity === DEVICE };
    await replay(new VolumeModel(), again, { local: LOCAL, feedback: tainted });
    expect(again.baselinesOf('volume', 'device').has(DEVICE)).toBe(false);
    expect(again.baselinesOf('volume', 'device').size).toBeGreaterThan(0);
  });
});

describe('VolumeModel with weeks of history', () => {
  // The day replayed four weeks in a row (moved by whole weeks, nothing else changed); in the first three the
  // Teams call is left out (its relay's records dropped), so that the fourth week's call meets a Monday afternoon
  // known for three weeks.
  const RELAY = '52.113.203.32';
  const WEEK = 7 * 86_400;
  const records = [
    ...[0, 1, 2].flatMap((w) => corpusRecords([DAY], shifted(w * WEEK)).filter((r) => r.fields['id.resp_h'] !== RELAY)),
    ...corpusRecords([DAY], shifted(3 * WEEK)),
  ];
  let drafts: AnomalyDraft[];

  beforeAll(async () => {
    expect(records.some((r) => r.fields['id.resp_h'] === RELAY)).toBe(true);
    drafts = await replay(new VolumeModel(), new CorpusEs(documents(records, LOCAL)), { local: LOCAL });
  });

  it('compares the call with the same hour of the earlier weeks and scores it high', () => {
    const call = drafts.filter((d) => new Date(d.time).toISOString().startsWith('2022-07-04T15:0'));
    expect(call.map((d) => d.key).sort()).toEqual(['inbound', 'outbound']);
    const sent = call.find((d) => d.key === 'outbound')!;
    expect(sent.score).toBeGreaterThanOrEqual(60);
    expect((sent.figures.details as { baseline: string }).baseline).toBe('hour_of_week');
    expect(sent.explanation).toMatch(/^147\.32\.83\.165 sent 4\d\d MB to external hosts between 15:00 and 15:15 UTC on 2022-07-04, [\d,]+ times its usual [\d.]+ kB \(±[\d.]+ MB\) for this hour over 21 days\.$/);
    expect(call.find((d) => d.key === 'inbound')!.explanation).toMatch(/^147\.32\.83\.165 received \d+ MB from external hosts /);
  });

  it('is quiet in the weeks that repeat what was seen before', () => {
    const weeks = drafts.map((d) => Math.floor((d.time - Date.parse('2022-06-12T21:00:00Z')) / (WEEK * 1000)));
    expect(weeks.filter((w) => w === 1 || w === 2)).toEqual([]);
  });
});

describe('volume scoring', () => {
  /** Statistics learned from a series of per-window values (unclipped, a window apart). */
  function learned(values: number[]): MetricStats {
    let s: MetricStats = { raw: emptyStats(), log: emptyStats() };
    values.forEach((v, i) => (s = learnValue(s, s, 'bytes', v, i * WINDOW_MS, 14 * 86_400_000, false)));
    return s;
  }

  // Bytes the 011 computer sent to external hosts per window, counted from its records.
  const records = readZeekLog(DAY);
  const perWindow = new Map<number, number>();
  for (const r of records) {
    if (r.fields['id.orig_h'] === DEVICE && !isLocal(String(r.fields['id.resp_h']))) {
      const w = windowOf(r.fields.ts as number);
      perWindow.set(w, (perWindow.get(w) ?? 0) + num(r.fields.orig_bytes));
    }
  }
  const series = [...perWindow.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);

  it('gives nothing to a value below the usual', () => {
    const stats = learned(series);
    expect(judgeSeries('bytes', stats, 0, 1).score).toBe(0);
    expect(judgeSeries('bytes', stats, stats.raw.mean / 2, 1).score).toBe(0);
  });

  it('is less surprised by a jump of a device whose volume varies widely than of one whose volume is steady', () => {
    const varied = learned(series);
    // The same number of windows at a steady 30 MB, and the jump of the brief's example: 1.2 GB.
    const steady = learned(series.map(() => 30e6));
    const jump = 1.2e9;
    expect(judgeSeries('bytes', steady, jump, 1).score).toBeGreaterThanOrEqual(60);
    expect(judgeSeries('bytes', varied, jump, 1).score).toBeLessThan(judgeSeries('bytes', steady, jump, 1).score);
  });

  it('keeps a thousandfold jump of a few kilobytes small: below the spread floor nothing matters', () => {
    const tiny = learned(series.map(() => 2_000));
    expect(judgeSeries('bytes', tiny, 2_000_000, 1).score).toBeLessThan(20);
    expect(judgeSeries('bytes', tiny, 200_000_000, 1).score).toBeGreaterThan(60);
  });

  it('learns a burst clipped, so that the next burst is still surprising', () => {
    const before = learned(series.map(() => 30e6));
    const burst = 1.2e9;
    const t = series.length * WINDOW_MS;
    const clipped = learnValue(before, before, 'bytes', burst, t, 14 * 86_400_000, true);
    const raw = learnValue(before, before, 'bytes', burst, t, 14 * 86_400_000, false);
    expect(clipped.raw.mean).toBeLessThan(raw.raw.mean);
    expect(clipped.log.mad).toBeLessThan(raw.log.mad);
    expect(judgeSeries('bytes', clipped, burst, 1).score).toBeGreaterThan(judgeSeries('bytes', raw, burst, 1).score);
  });
});

describe('the two sweeps of a window, merged by device', () => {
  const njrat = readZeekLog(NJRAT);
  const addresses = [...new Set(njrat.flatMap((r) => [String(r.fields['id.orig_h']), String(r.fields['id.resp_h'])]))];

  it('orders addresses as Elasticsearch orders ip values: IPv4 (mapped) before IPv6, then byte by byte', () => {
    const sorted = [...addresses].sort((a, b) => (ipOrderKey(a) < ipOrderKey(b) ? -1 : 1));
    const firstV6 = sorted.findIndex((a) => a.includes(':') && !a.startsWith('::ffff:') && a !== '::');
    const lastV4 = sorted.map((a) => !a.includes(':')).lastIndexOf(true);
    expect(lastV4).toBeLessThan(firstV6);
    expect(sorted.indexOf('8.8.8.8')).toBeLessThan(sorted.indexOf('41.108.179.197'));
    expect(sorted.indexOf('41.108.179.197')).toBeLessThan(sorted.indexOf('192.168.1.115'));
    expect(sorted.indexOf('fd2d:ab8c:225::1')).toBeLessThan(sorted.indexOf('fe80::5dd3:6bb3:7720:1e83'));
  });

  it('keys every address by its 16-byte form, IPv4 mapped into IPv6, as ipaddr.js reads it', () => {
    const bytes = (a: string): string => {
      const parsed = ipaddr.parse(a);
      return Buffer.from((parsed.kind() === 'ipv4' ? (parsed as ipaddr.IPv4).toIPv4MappedAddress() : (parsed as ipaddr.IPv6)).toByteArray()).toString('hex');
    };
    const v4 = addresses.filter((a) => !a.includes(':'));
    expect(v4.length).toBeGreaterThan(10);
    for (const a of [...addresses, ...v4.map((a) => `::ffff:${a}`)]) expect([a, ipOrderKey(a)]).toEqual([a, bytes(a)]);
    // Forms Elasticsearch does not write still get the key of the address they name.
    expect(ipOrderKey('fe80::5dd3:6bb3:7720:1e83%4')).toBe(bytes('fe80::5dd3:6bb3:7720:1e83'));
  });

  it('pairs the rows of each device and keeps the others alone', async () => {
    const sorted = [...addresses].sort((a, b) => (ipOrderKey(a) < ipOrderKey(b) ? -1 : 1));
    const originators = sorted.filter((a) => njrat.some((r) => r.fields['id.orig_h'] === a));
    const responders = sorted.filter((a) => njrat.some((r) => r.fields['id.resp_h'] === a));
    async function* rows(list: string[], tag: string) {
      for (const device of list) yield { device, row: tag };
    }
    const merged: Array<{ device: string; opened?: string; accepted?: string }> = [];
    for await (const m of mergeByDevice(rows(originators, 'o'), rows(responders, 'a'))) merged.push(m);
    expect(merged.map((m) => m.device)).toEqual(sorted.filter((a) => originators.includes(a) || responders.includes(a)));
    for (const m of merged) {
      expect(m.opened === 'o').toBe(originators.includes(m.device));
      expect(m.accepted === 'a').toBe(responders.includes(m.device));
    }
  });

  it('counts bytes by direction whichever side opened the connection', () => {
    const opened = { external: { connections: 3, sent: 100, received: 1000, peers: 2 }, internal: { connections: 1, sent: 5, received: 7, peers: 1 } };
    const accepted = { external: { connections: 2, sent: 30, received: 40, peers: 2 }, internal: { connections: 4, sent: 11, received: 13, peers: 3 } };
    const v = deviceVolume(opened, accepted);
    expect(v.outbound).toEqual({ bytes: 130, connections: 3, peers: 2 });
    expect(v.inbound).toEqual({ bytes: 1040, connections: 2, peers: 2 });
    expect(v.internal_out).toEqual({ bytes: 16, connections: 1, peers: 1 });
    expect(v.internal_in).toEqual({ bytes: 20, connections: 4, peers: 3 });
    expect(deviceVolume(undefined, accepted).outbound.connections).toBe(0);
  });
});
