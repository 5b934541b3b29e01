/**
 * RITA's beacon score reproduced on real captures: each figure is checked against the data (counted here with plain
 * arrays, not with the code under test) or against the published formula applied to the returned parts.
 */
import { join } from 'node:path';
import { readZeekFile } from '../../../ingest/parse/zeek/read-file';
import type { ZeekRecord } from '../../../ingest/parse/zeek/record';
import { LABELED_CORPUS } from '../../../test/support/corpus';
import { RITA_DEFAULTS, ritaBeaconScore, ritaClassicBeaconScore, type RitaInput } from './rita';

const STRATOSPHERE = join(LABELED_CORPUS, 'stratosphere-security-datasets');

const ts = (r: ZeekRecord): number => r.fields.ts as number;
const ceil3 = (x: number): number => Math.ceil(x * 1000) / 1000;

function pair(records: ZeekRecord[], orig: string, resp: string): ZeekRecord[] {
  return records.filter((r) => r.fields['id.orig_h'] === orig && r.fields['id.resp_h'] === resp);
}

function input(conns: ZeekRecord[], dataset?: ZeekRecord[]): RitaInput {
  const times = (dataset ?? conns).map(ts);
  return {
    timestamps: conns.map(ts),
    bytes: conns.map((r) => Number(r.fields.orig_ip_bytes ?? 0)),
    dataset: { start: Math.min(...times), end: Math.max(...times) },
  };
}

/** Order statistic at round(q (n - 1)), RITA's quantile. */
const quantile = (sorted: number[], q: number): number => sorted[Math.floor(q * (sorted.length - 1) + 0.5)];

const records001 = readZeekFile(join(STRATOSPHERE, '001-zeek-scenario-malicious', 'labeled-conn.log'));
const c2 = pair(records001, '192.168.1.115', '41.108.179.197');
const result = ritaBeaconScore(input(c2, records001));

describe('ritaBeaconScore (RITA v4.6-v4.8) on the NjRAT C2 channel of Stratosphere 001', () => {
  it('analyses the pair and scores it high', () => {
    expect(result.analyzed).toBe(true);
    expect(result.connectionCount).toBe(237);
    expect(result.score).toBeGreaterThanOrEqual(0.9);
  });

  it('takes quartiles, Bowley skew and MADM of the whole-second intervals', () => {
    const seconds = c2.map((r) => Math.trunc(ts(r))).sort((a, b) => a - b);
    const intervals = seconds
      .slice(1)
      .map((t, i) => t - seconds[i])
      .filter((d) => d > 0)
      .sort((a, b) => a - b);
    const [low, mid, high] = [0.25, 0.5, 0.75].map((q) => quantile(intervals, q));
    const madm = quantile(
      intervals.map((d) => Math.abs(d - mid)).sort((a, b) => a - b),
      0.5,
    );
    expect(result.ts).toMatchObject({ low, mid, high, madm });
    // Attempt and retry 9 s apart, the next attempt 14 s later: Q3 - Q1 is under 10 s, so RITA takes no skew.
    expect(high - low).toBeLessThan(10);
    expect(result.ts?.skew).toBe(0);
    expect(result.ts?.mode).toBe(9);
    expect(result.tsScore).toBe(ceil3((1 + Math.max(0, 1 - madm / mid)) / 2));
  });

  it('scores the data sizes from orig_ip_bytes', () => {
    // An attempt carries two SYNs (104 bytes), its retry one (48): the median is a quartile and half the sizes
    // equal it, so skew and MADM are 0.
    expect(new Set(c2.map((r) => r.fields.orig_ip_bytes))).toEqual(new Set([48, 104]));
    expect(result.ds).toMatchObject({ skew: 0, madm: 0 });
    expect(result.dsScore).toBe(ceil3((1 + 1 + (1 - (result.ds?.mode ?? 0) / 65535)) / 3));
    expect(result.dsScore).toBe(1);
  });

  it('builds the 24-bucket histogram over the dataset span', () => {
    const all = records001.map(ts);
    const start = Math.trunc(Math.min(...all));
    const step = Math.trunc((Math.trunc(Math.max(...all)) - start) / 24);
    const firstBucket = Math.floor((Math.trunc(Math.min(...c2.map(ts))) - start) / step);
    expect(result.freqList).toHaveLength(24);
    expect(result.freqList?.reduce((a, b) => a + b, 0)).toBe(237);
    // The channel starts a few minutes into the capture and runs to its end.
    expect(firstBucket).toBe(2);
    expect(result.freqList?.slice(0, firstBucket).every((f) => f === 0)).toBe(true);
    expect(result.totalBars).toBe(24 - firstBucket);
    expect(result.longestRun).toBe(24 - firstBucket);
  });

  it('combines histogram, duration and the four sub-scores as RITA does', () => {
    const freq = result.freqList ?? [];
    const mean = freq.reduce((a, b) => a + b, 0) / freq.length;
    const sd = Math.sqrt(freq.reduce((a, b) => a + (b - mean) ** 2, 0) / freq.length);
    expect(result.histCvScore).toBe(Math.min(1, ceil3(1 - Math.min(1, sd / mean))));
    expect(result.histScore).toBe(Math.max(result.histCvScore, result.histBimodalScore));
    // More than 6 buckets seen, the longest run over 12: full duration score.
    expect(result.durScore).toBe(1);
    expect(result.score).toBe(ceil3(0.25 * (result.tsScore + result.dsScore + result.durScore + result.histScore)));
  });

  it('drops when beats are missing', () => {
    const kept = c2.filter((_, i) => i % 3 !== 2);
    const dropped = ritaBeaconScore(input(kept, records001));
    expect(dropped.analyzed).toBe(true);
    expect(dropped.score).toBeLessThan(result.score - 0.05);
  });
});

describe('ritaBeaconScore gates and edge cases', () => {
  it('writes no beacon for 23 connections or fewer', () => {
    const google = pair(records001, '192.168.1.115', '8.8.8.8');
    expect(google.length).toBeLessThanOrEqual(RITA_DEFAULTS.connectionThreshold);
    expect(ritaBeaconScore(input(google))).toMatchObject({ analyzed: false, reason: 'too-few-connections', score: 0 });
  });

  it('writes no beacon for 3 distinct timestamps or fewer (a port scan, Stratosphere 002)', () => {
    const log = readZeekFile(join(STRATOSPHERE, '002-zeek-scenario-port-scanning', 'conn.log'));
    const scan = pair(log, '172.16.1.11', '10.0.2.2');
    expect(scan.length).toBeGreaterThan(RITA_DEFAULTS.connectionThreshold);
    expect(new Set(scan.map((r) => Math.trunc(ts(r)))).size).toBeLessThanOrEqual(3);
    expect(ritaBeaconScore(input(scan))).toMatchObject({ analyzed: false, reason: 'too-few-distinct-timestamps' });
  });

  it('treats a pair over the strobe limit as a strobe', () => {
    expect(ritaBeaconScore(input(c2), { strobeLimit: 200 })).toMatchObject({ analyzed: false, reason: 'strobe' });
  });

  it('leaves zero intervals out of the interval statistics but not out of the interval mode', () => {
    // Bursts of HTTPS connections within the same second (Stratosphere 010).
    const log = readZeekFile(join(STRATOSPHERE, '010-zeek-mixed', 'data', 'conn.log.labeled'));
    const bursts = pair(log, '147.32.83.234', '147.32.3.96');
    const seconds = bursts.map((r) => Math.trunc(ts(r))).sort((a, b) => a - b);
    const zeros = seconds.slice(1).filter((t, i) => t === seconds[i]).length;
    expect(zeros).toBeGreaterThan(bursts.length / 2);
    const r = ritaBeaconScore(input(bursts));
    expect(r.analyzed).toBe(true);
    expect(r.ts?.mode).toBe(0);
    expect(r.ts?.modeCount).toBe(zeros);
    expect(r.ts?.low).toBeGreaterThan(0);
  });
});

describe('ritaClassicBeaconScore (RITA before v4.6)', () => {
  const classic = ritaClassicBeaconScore(input(c2, records001));

  it('scores the NjRAT channel high, with the connection-count score of that era', () => {
    expect(classic.analyzed).toBe(true);
    expect(classic.score).toBeGreaterThanOrEqual(0.9);
    const all = records001.map(ts);
    const span = Math.trunc(Math.max(...all)) - Math.trunc(Math.min(...all));
    // One connection per 10 s of the dataset would be full marks.
    expect(classic.tsConnCountScore).toBeCloseTo(Math.min(1, 237 / (span / 10)), 12);
    expect(classic.tsScore).toBe(ceil3((classic.tsSkewScore + classic.tsMadmScore + classic.tsConnCountScore) / 3));
    expect(classic.tsMadmScore).toBe(Math.max(0, 1 - (classic.ts?.madm ?? 0) / 30));
    const sum =
      classic.tsSkewScore +
      classic.tsMadmScore +
      classic.tsConnCountScore +
      classic.dsSkewScore +
      classic.dsMadmScore +
      classic.dsSmallnessScore;
    expect(classic.score).toBe(ceil3(sum / 6));
  });

  it('gates on more than 20 connections', () => {
    expect(ritaClassicBeaconScore(input(pair(records001, '192.168.1.115', '8.8.8.8')))).toMatchObject({
      analyzed: false,
      reason: 'too-few-connections',
    });
  });
});
