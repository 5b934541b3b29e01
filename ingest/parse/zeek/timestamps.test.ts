import { join } from 'node:path';
import { LABELED_CORPUS, ZEEK_CORPUS, filesBelow, readLog } from '../../../test/support/corpus';
import { jsonTimeToEpochSeconds, parseIsoTimestamp, parseOpenTimestamp } from './timestamps';

const ZED = join(ZEEK_CORPUS, 'zed-sample-data');
const LOGGING = join(ZEEK_CORPUS, 'zeek-btest-baseline/testing/btest/Baseline/scripts.base.frameworks.logging');

/** Column `name` of the data lines of a TSV log, as text. */
function tsvColumn(file: string, name: string, limit: number): string[] {
  const lines = readLog(file).toString('utf8').split('\n');
  const fields = (lines.find((l) => l.startsWith('#fields')) as string).split('\t').slice(1);
  const at = fields.indexOf(name);
  return lines
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .slice(0, limit)
    .map((l) => l.split('\t')[at]);
}

describe('parseOpenTimestamp', () => {
  it('reads the #open of every real log as UTC, and a masked one as undefined', () => {
    const opens = filesBelow(join(LABELED_CORPUS, 'stratosphere-security-datasets'))
      .filter((f) => f.endsWith('.labeled'))
      .map((f) => readLog(f).toString('utf8').split('\n').find((l) => l.startsWith('#open')) as string)
      .map((l) => l.split('\t')[1]);
    expect(opens.length).toBeGreaterThan(40);
    for (const text of opens) {
      const [y, mo, d, h, mi, s] = text.split('-').map(Number);
      expect(parseOpenTimestamp(text)).toBe(Date.UTC(y, mo - 1, d, h, mi, s) / 1000);
    }
    expect(parseOpenTimestamp('XXXX-XX-XX-XX-XX-XX')).toBeUndefined();
  });
});

describe('parseIsoTimestamp', () => {
  it('keeps the microseconds: the JSON ISO ts of zed-sample-data equals the TSV epoch ts of the same events', () => {
    const tsv = tsvColumn(join(ZED, 'zeek-default/dns.log.gz'), 'ts', 2000);
    const json = readLog(join(ZED, 'zeek-json/dns.json.gz'))
      .toString('utf8')
      .split('\n')
      .slice(0, 2000)
      .map((l) => (JSON.parse(l) as { ts: string }).ts);
    json.forEach((iso, i) => {
      expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(Math.abs((parseIsoTimestamp(iso) as number) - Number(tsv[i]))).toBeLessThan(1e-6);
    });
  });

  it('reads times before 1970 and rejects text that is not a time', () => {
    const times = readLog(`${LOGGING}.ascii-json-iso-timestamps/ssh.log`)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => (JSON.parse(l) as { t: string }).t);
    const seconds = times.map((t) => parseIsoTimestamp(t) as number);
    expect(seconds[0]).toBeCloseTo(1215620010.005432, 6);
    expect(seconds.slice(2, 5).map((s) => Math.round(s * 10) / 10)).toEqual([-0.4, -0.5, -0.6]);
    expect(parseIsoTimestamp('XXXXXXXXXX.XXXXXX')).toBeUndefined();
  });
});

describe('jsonTimeToEpochSeconds', () => {
  it('tells milliseconds from seconds by magnitude', () => {
    const [seconds] = tsvColumn(join(ZED, 'zeek-default/dns.log.gz'), 'ts', 1).map(Number);
    expect(jsonTimeToEpochSeconds(seconds)).toBe(seconds);
    expect(jsonTimeToEpochSeconds(Math.round(seconds * 1000))).toBeCloseTo(seconds, 3);
    expect(jsonTimeToEpochSeconds('not a time')).toBeUndefined();
  });
});
