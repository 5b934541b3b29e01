/**
 * Our periodicity score against real captures: the NjRAT command-and-control channel of Stratosphere scenario 001
 * (as captured, with beats removed, with jitter added), real Modbus polling, a real benign keepalive that misses
 * beats, and real bursty user traffic. RITA's score (`rita.ts`) is computed beside it on the same series.
 */
import * as ipaddr from 'ipaddr.js';
import { join } from 'node:path';
import { readZeekFile } from '../../../ingest/parse/zeek/read-file';
import type { ZeekRecord } from '../../../ingest/parse/zeek/record';
import { LABELED_CORPUS, ZEEK_CORPUS } from '../../../test/support/corpus';
import { ritaBeaconScore, type RitaInput } from './rita';
import { beaconScore, hasEnoughData, type ConnectionAt } from './score';

const STRATOSPHERE = join(LABELED_CORPUS, 'stratosphere-security-datasets');
const NJRAT = join(STRATOSPHERE, '001-zeek-scenario-malicious', 'labeled-conn.log');
const MIXED = (day: string): string => join(STRATOSPHERE, `${day}-zeek-mixed`, 'data', 'conn.log.labeled');
const MODBUS = join(ZEEK_CORPUS, 'zed-sample-data', 'zeek-default', 'modbus.log.gz');

const ts = (r: ZeekRecord): number => r.fields.ts as number;
const byTime = (a: ZeekRecord, b: ZeekRecord): number => ts(a) - ts(b);

function pair(records: ZeekRecord[], orig: string, resp: string, port?: number): ZeekRecord[] {
  return records
    .filter((r) => r.fields['id.orig_h'] === orig && r.fields['id.resp_h'] === resp)
    .filter((r) => port === undefined || r.fields['id.resp_p'] === port)
    .sort(byTime);
}

/** RITA's input for a series: orig_ip_bytes per connection, and the whole log's time span as the dataset. */
function ritaInput(records: ZeekRecord[], times: number[], dataset: ZeekRecord[]): RitaInput {
  let start = Infinity;
  let end = -Infinity;
  for (const r of dataset) {
    start = Math.min(start, ts(r));
    end = Math.max(end, ts(r));
  }
  return { timestamps: times, bytes: records.map((r) => Number(r.fields.orig_ip_bytes ?? 0)), dataset: { start, end } };
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so that every run drops and shifts the same beats. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const records001 = readZeekFile(NJRAT);
// The command-and-control channel (labelled "Malicious CC"): every ~23 s a connection attempt to port 1177 that
// fails; its SYN retry 9 s later, on the same source port, is logged by Zeek as a second connection.
const c2 = pair(records001, '192.168.1.115', '41.108.179.197', 1177);
const c2Times = c2.map(ts);
const ours = beaconScore(c2Times);
const rita = ritaBeaconScore(ritaInput(c2, c2Times, records001));

describe('the NjRAT command-and-control channel (Stratosphere 001)', () => {
  it('is what the labels say', () => {
    expect(c2.length).toBe(237);
    expect(new Set(c2.map((r) => r.fields.detailedlabel))).toEqual(new Set(['CC']));
  });

  it('scores high with ours and with RITA', () => {
    expect(hasEnoughData(c2Times).enough).toBe(true);
    expect(ours.score).toBeGreaterThanOrEqual(0.9);
    expect(rita.score).toBeGreaterThanOrEqual(0.9);
    expect(ours.score).toBeGreaterThan(rita.score);
  });

  it('finds the 23 s cycle and the retry 9 s into it', () => {
    // The cycle is visible in the log: each source port appears twice, 9 s apart, and a new port ~23 s later.
    const firstByPort = new Map<unknown, number>();
    for (const r of c2) if (!firstByPort.has(r.fields['id.orig_p'])) firstByPort.set(r.fields['id.orig_p'], ts(r));
    const starts = [...firstByPort.values()];
    const cycle = (starts[starts.length - 1] - starts[0]) / (starts.length - 1);
    expect(Math.abs(ours.period - cycle)).toBeLessThan(0.5);
    expect(ours.companionOffsets).toHaveLength(1);
    expect(Math.abs(ours.companionOffsets[0] - 9)).toBeLessThan(0.5);
    expect(ours.coverage).toBeGreaterThan(0.9);
    expect(ours.jitter).toBeLessThan(0.2);
  });

  it('does not depend on order, duplicates or 1-second rollups of the same connections', () => {
    const shuffled = [...c2Times, ...c2Times.slice(0, 50)];
    const random = seeded(5);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    expect(beaconScore(shuffled).score).toBe(ours.score);

    const perSecond = new Map<number, number>();
    for (const t of c2Times) perSecond.set(Math.floor(t), (perSecond.get(Math.floor(t)) ?? 0) + 1);
    const rollup: ConnectionAt[] = [...perSecond].map(([t, n]) => ({ t, n }));
    const rolled = beaconScore(rollup);
    expect(rolled.connections).toBe(c2.length);
    expect(rolled.score).toBeGreaterThanOrEqual(0.85);
    expect(Math.abs(rolled.period - ours.period)).toBeLessThan(0.5);
  });
});

describe('ordinary pairs of the same capture', () => {
  // Pairs RITA would analyse (its default filter drops multicast, link-local, unspecified and loopback addresses).
  const analysable = (a: unknown): boolean =>
    !['multicast', 'linkLocal', 'unspecified', 'loopback', 'broadcast'].includes(ipaddr.parse(String(a)).range());
  const pairs = new Map<string, ZeekRecord[]>();
  for (const r of records001) {
    const f = r.fields;
    if (!analysable(f['id.orig_h']) || !analysable(f['id.resp_h'])) continue;
    const key = `${f['id.orig_h']} ${f['id.resp_h']}:${f['id.resp_p']}`;
    pairs.set(key, [...(pairs.get(key) ?? []), r]);
  }

  it('all score lower than the C2 channel with ours', () => {
    expect(pairs.size).toBeGreaterThan(20);
    for (const [key, rs] of pairs) {
      if (key === '192.168.1.115 41.108.179.197:1177') continue;
      expect([key, beaconScore(rs.map(ts)).score < ours.score]).toEqual([key, true]);
    }
  });

  it('the Benign DNS to 8.8.8.8 has too little data to be judged', () => {
    const google = pair(records001, '192.168.1.115', '8.8.8.8', 53);
    expect(new Set(google.map((r) => r.fields.label))).toEqual(new Set(['Benign']));
    expect(hasEnoughData(google.map(ts))).toMatchObject({ enough: false, reason: 'too-few-events' });
    expect(beaconScore(google.map(ts)).score).toBeLessThan(0.1);
  });

  it('DNS to the resolver ranks below the C2 with ours, above it with RITA', () => {
    // The host's own lookups: a browsing burst, then the lookups NjRAT makes before each attempt (every 23 s).
    const dns = pair(records001, 'fd2d:ab8c:225:0:81d3:fd3e:7f62:aec8', 'fd2d:ab8c:225::1', 53);
    const times = dns.map(ts);
    const oursDns = beaconScore(times);
    const ritaDns = ritaBeaconScore(ritaInput(dns, times, records001));
    expect(oursDns.score).toBeLessThan(ours.score - 0.05);
    expect(ritaDns.score).toBeGreaterThan(rita.score);
  });
});

describe('missed beats: the NjRAT series with connections removed', () => {
  it('every third connection dropped: ours stays high, RITA drops', () => {
    const kept = c2.filter((_, i) => i % 3 !== 2);
    const times = kept.map(ts);
    const o = beaconScore(times);
    const r = ritaBeaconScore(ritaInput(kept, times, records001));
    expect(o.score).toBeGreaterThanOrEqual(0.85);
    expect(o.score).toBeGreaterThan(ours.score - 0.05);
    expect(r.score).toBeLessThan(rita.score - 0.05);
    expect(o.score).toBeGreaterThan(r.score);
    expect(Math.abs(o.period - ours.period)).toBeLessThan(0.5);
    // Connections alternate attempt / retry, so one attempt in three is gone.
    expect(o.coverage).toBeGreaterThan(0.55);
    expect(o.coverage).toBeLessThan(0.8);
  });

  it.each([1, 2, 3])('a random 30 %% dropped (seed %i): ours stays high, RITA drops', (seed) => {
    const random = seeded(seed);
    const kept = c2.filter(() => random() >= 0.3);
    const times = kept.map(ts);
    const o = beaconScore(times);
    const r = ritaBeaconScore(ritaInput(kept, times, records001));
    expect(o.score).toBeGreaterThanOrEqual(0.85);
    expect(r.score).toBeLessThan(rita.score - 0.05);
    expect(o.score).toBeGreaterThan(r.score);
    expect(Math.abs(o.period - ours.period)).toBeLessThan(0.5);
  });
});

describe('jitter: the NjRAT series with its beats moved', () => {
  // A beat is an attempt and its retry (one source port); both move together, as a retry follows its attempt.
  const port = (r: ZeekRecord): unknown => r.fields['id.orig_p'];
  const ports = [...new Set(c2.map(port))];

  it('sleep jitter of up to 20 % (Cobalt Strike style, accumulating): ours stays high', () => {
    const random = seeded(42);
    const shift = new Map<unknown, number>();
    let total = 0;
    for (const p of ports) {
      total -= random() * 0.2 * 23;
      shift.set(p, total);
    }
    const times = c2.map((r) => ts(r) + (shift.get(port(r)) ?? 0));
    const o = beaconScore(times);
    expect(o.score).toBeGreaterThanOrEqual(0.9);
    // Each sleep is shortened by 10 % on average.
    expect(Math.abs(o.period - 0.9 * ours.period)).toBeLessThan(0.5);
    expect(o.jitter).toBeGreaterThan(ours.jitter);
    expect(ritaBeaconScore(ritaInput(c2, times, records001)).analyzed).toBe(true);
  });

  it('schedule jitter of +-10 % of the period: ours stays high', () => {
    const random = seeded(42);
    const shift = new Map<unknown, number>();
    for (const p of ports) shift.set(p, (random() * 2 - 1) * 0.1 * 23);
    const times = c2.map((r) => ts(r) + (shift.get(port(r)) ?? 0));
    const o = beaconScore(times);
    expect(o.score).toBeGreaterThanOrEqual(0.9);
    expect(Math.abs(o.period - ours.period)).toBeLessThan(0.5);
    // Uniform +-2.3 s has a standard deviation of 1.3 s.
    expect(o.jitter).toBeGreaterThan(0.5);
    expect(o.jitter).toBeLessThan(4);
  });
});

describe('real periodic traffic', () => {
  it('Modbus polling, the busiest pair of the WRCCDC modbus.log', () => {
    const records = readZeekFile(MODBUS);
    const counts = new Map<string, number>();
    for (const r of records) {
      const key = `${r.fields['id.orig_h']} ${r.fields['id.resp_h']}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const [busiest] = [...counts].sort((a, b) => b[1] - a[1])[0];
    const [orig, resp] = busiest.split(' ');
    // One request per TCP connection: the requests are the polls.
    const polls = pair(records, orig, resp).filter((r) => r.fields.pdu_type === 'REQ');
    const times = polls.map(ts);
    const o = beaconScore(times);
    const r = ritaBeaconScore({ timestamps: times, bytes: times.map(() => 0) });
    expect(o.score).toBeGreaterThanOrEqual(0.9);
    // The poller runs every ~20.6 s, then every ~22 s, and misses a few polls.
    expect(o.period).toBeGreaterThan(20.5);
    expect(o.period).toBeLessThan(22.2);
    expect(r.analyzed).toBe(true);
    expect(r.tsScore).toBeGreaterThanOrEqual(0.9);
  });

  it('a benign keepalive that misses beats (ESET push service, Stratosphere 008)', () => {
    const keepalive = pair(readZeekFile(MIXED('008')), '147.32.81.167', '91.228.167.171', 8883);
    const times = keepalive.map(ts);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // The log shows it: mostly 301 s, with gaps of two, three or four periods.
    expect(gaps.filter((g) => g > 1.5 * 301).length).toBeGreaterThan(10);
    const o = beaconScore(times);
    expect(o.score).toBeGreaterThanOrEqual(0.85);
    expect(Math.abs(o.period - 301.5)).toBeLessThan(2);
    expect(o.coverage).toBeLessThan(0.95);
  });
});

describe('every pair of a day of a real computer (008) with enough data to be judged', () => {
  const records = readZeekFile(MIXED('008'));
  const byPair = new Map<string, number[]>();
  for (const r of records) {
    const key = `${r.fields['id.orig_h']} ${r.fields['id.resp_h']}:${r.fields['id.resp_p']}`;
    byPair.set(key, [...(byPair.get(key) ?? []), ts(r)]);
  }
  const judged = [...byPair].filter(([, times]) => hasEnoughData(times).enough);

  it('gets every figure as a finite number, the jitter of the winning grid included', () => {
    let fitted = 0;
    for (const [key, times] of judged) {
      const r = beaconScore(times);
      if (r.period > 0) fitted++;
      const figures = Object.entries(r).filter(([, v]) => typeof v === 'number');
      expect([key, figures.filter(([, v]) => !Number.isFinite(v))]).toEqual([key, []]);
    }
    // Grids were fitted, not only left at their defaults.
    expect(fitted).toBeGreaterThan(20);
  });
});

describe('bursty, non-periodic traffic', () => {
  // Benign and Background pairs of the mixed captures whose inter-arrival times are bursty by the usual measure,
  // B = (sd - mean) / (sd + mean) > 0.3 (Goh and Barabasi, 2008): web browsing and DNS.
  const cases: Array<[string, string, string, number]> = [
    ['010', '147.32.83.234', '147.32.3.96', 443],
    ['010', '147.32.83.234', '90.182.9.57', 443],
    ['011', '147.32.83.165', '8.8.8.8', 53],
    ['011', '147.32.83.165', '185.181.176.53', 443],
    ['012', '147.32.83.161', '1.1.1.2', 853],
  ];
  const days = new Map<string, ZeekRecord[]>();
  const recordsOf = (day: string): ZeekRecord[] => {
    if (!days.has(day)) days.set(day, readZeekFile(MIXED(day)));
    return days.get(day) ?? [];
  };

  it.each(cases)('%s %s -> %s:%i scores low with ours, lower than with RITA', (day, orig, resp, port) => {
    const records = recordsOf(day);
    const conns = pair(records, orig, resp, port);
    expect(conns.every((r) => r.fields.label === 'Benign' || r.fields.label === 'Background')).toBe(true);
    const times = conns.map(ts);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
    expect((sd - mean) / (sd + mean)).toBeGreaterThan(0.3);
    expect(hasEnoughData(times).enough).toBe(true);

    const o = beaconScore(times);
    const r = ritaBeaconScore(ritaInput(conns, times, records));
    expect(o.score).toBeLessThan(0.2);
    expect(o.score).toBeLessThan(r.score);
  });
});

describe('starts rounded to whole seconds, as the model reads them', () => {
  // A client of the WRCCDC capture checking in with its identity server over TLS every 30.11 s: rounded to the
  // second, its intervals read 30, 30, ..., 31 (one in nine).
  const SSL = join(ZEEK_CORPUS, 'zed-sample-data', 'zeek-default', 'ssl.log.gz');
  const checkIns = readZeekFile(SSL)
    .filter((r) => r.fields['id.orig_h'] === '10.47.6.160' && r.fields.server_name === 'ise.wrccdc.org')
    .sort(byTime);

  it('finds the clock between the whole seconds, and every beat on it', () => {
    expect(checkIns.length).toBeGreaterThanOrEqual(40);
    const exact = checkIns.map(ts);
    const mean = (exact[exact.length - 1] - exact[0]) / (exact.length - 1);
    expect(mean).toBeGreaterThan(30.05);
    expect(mean).toBeLessThan(30.2);
    const whole = exact.map(Math.floor);
    const gaps = new Set(whole.slice(1).map((t, i) => t - whole[i]));
    expect(gaps).toEqual(new Set([30, 31]));
    // The first 14 minutes, as a pass saw them, and the whole series.
    for (const starts of [whole.slice(0, 29), whole]) {
      const fit = beaconScore(starts);
      expect(Math.abs(fit.period - mean)).toBeLessThan(0.1);
      expect(fit.beats).toBe(starts.length);
      expect(fit.expectedBeats).toBe(starts.length);
      expect(fit.score).toBeGreaterThan(0.9);
      // As measured, unrounded: the same clock.
      expect(Math.abs(beaconScore(exact.slice(0, starts.length)).period - fit.period)).toBeLessThan(0.1);
    }
  });

  it('keeps the NjRAT channel, whose sleep runs late now and then, at full coverage', () => {
    const whole = c2.map(ts).map(Math.floor);
    const fit = beaconScore(whole);
    expect(fit.score).toBeGreaterThanOrEqual(ours.score);
    expect(fit.coverage).toBeGreaterThan(0.95);
    expect(Math.abs(fit.period - ours.period)).toBeLessThan(0.5);
  });
});

describe('hasEnoughData', () => {
  it('wants enough events over enough time', () => {
    // A scanner's 35 connections within half a minute (Stratosphere 008).
    const scan = readZeekFile(MIXED('008')).filter((r) => r.fields['id.orig_h'] === '104.152.52.193');
    expect(scan.length).toBe(35);
    const verdict = hasEnoughData(scan.map(ts));
    expect(verdict).toMatchObject({ enough: false, reason: 'too-short', connections: 35 });
    expect(verdict.span).toBeLessThan(120);
    expect(hasEnoughData(scan.map(ts), { minSpan: 10 }).enough).toBe(true);
  });
});
