import { join } from 'node:path';
import { LABELED_CORPUS } from '../test/support/corpus';
import { readZeekFile } from '../ingest/parse/zeek/read-file';
import { ritaBeaconScore } from '../detector/models/beacon/rita';
import type { CompositeBucket } from '../detector/query/composite';
import { ritaFromBuckets, RITA_SCORE_THRESHOLD } from './eval-rita';

const DATASETS = join(LABELED_CORPUS, 'stratosphere-security-datasets');
// The NjRAT capture (an infected host polling its controller, plus background traffic) and a day of a monitored
// computer attacked from the Internet.
const CAPTURES = [join(DATASETS, '001-zeek-scenario-malicious', 'labeled-conn.log'), join(DATASETS, '011-zeek-mixed', 'data', 'conn.log.labeled')];

interface Conn {
  src: string;
  dst: string;
  port: number | null;
  ts: number;
  bytes: number;
}

function conns(file: string): Conn[] {
  return readZeekFile(file).map((r) => {
    const f = r.fields;
    return {
      src: String(f['id.orig_h']),
      dst: String(f['id.resp_h']),
      port: typeof f['id.resp_p'] === 'number' ? f['id.resp_p'] : null,
      ts: f.ts as number,
      bytes: typeof f.orig_ip_bytes === 'number' ? f.orig_ip_bytes : 0,
    };
  });
}

/** The buckets Elasticsearch's composite aggregation returns for these connections: one per distinct key, in key order. */
function buckets(list: Conn[]): CompositeBucket[] {
  const byKey = new Map<string, CompositeBucket>();
  for (const c of list) {
    const key = { src: c.src, dst: c.dst, port: c.port, ts: Math.floor(c.ts) * 1000, bytes: c.bytes };
    const id = JSON.stringify(key);
    const b = byKey.get(id);
    if (b) b.doc_count++;
    else byKey.set(id, { key, doc_count: 1 });
  }
  const cmp = (a: string | number | null, b: string | number | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
  return [...byKey.values()].sort(
    (a, b) =>
      cmp(a.key.src, b.key.src) || cmp(a.key.dst, b.key.dst) || cmp(a.key.port, b.key.port) || cmp(a.key.ts, b.key.ts) || cmp(a.key.bytes, b.key.bytes),
  );
}

async function* pagesOf(list: CompositeBucket[], size: number): AsyncGenerator<CompositeBucket[]> {
  for (let i = 0; i < list.length; i += size) yield list.slice(i, i + size);
}

describe.each(CAPTURES)('RITA baseline over composite buckets of %s', (file) => {
  const all = conns(file);
  let start = Infinity;
  let end = -Infinity;
  for (const c of all) {
    start = Math.min(start, c.ts);
    end = Math.max(end, c.ts);
  }
  const span = { start, end };

  it('scores each (source, destination, port) pair as ritaBeaconScore does on its raw connections', async () => {
    const got = await ritaFromBuckets(pagesOf(buckets(all), 5000), span);
    // Independent grouping of the raw records, without the bucket keys.
    const groups = new Map<string, Conn[]>();
    for (const c of all) {
      const k = `${c.src}>${c.dst}:${c.port ?? '-'}`;
      groups.set(k, [...(groups.get(k) ?? []), c]);
    }
    const expected = new Map<string, number>();
    let analyzed = 0;
    for (const [k, list] of groups) {
      const r = ritaBeaconScore({ timestamps: list.map((c) => c.ts), bytes: list.map((c) => c.bytes), dataset: span });
      if (r.analyzed) analyzed++;
      if (r.analyzed && r.score >= RITA_SCORE_THRESHOLD) expected.set(`rita:${k}`, r.score);
    }
    expect(got.pairs).toBe(groups.size);
    expect(got.analyzed).toBe(analyzed);
    expect(new Map(got.alerts.map((a) => [a.id, a.score]))).toEqual(expected);
    expect(got.alerts.length).toBeGreaterThan(0);
  });

  it('gives the same result whatever the page size, a pair spanning several pages included', async () => {
    const list = buckets(all);
    const whole = await ritaFromBuckets(pagesOf(list, list.length), span);
    const paged = await ritaFromBuckets(pagesOf(list, 7), span);
    expect(paged).toEqual(whole);
  });

  it('ranks alerts by score and names the source as entity and both ends as related', async () => {
    const got = await ritaFromBuckets(pagesOf(buckets(all), 5000), span);
    for (let i = 1; i < got.alerts.length; i++) expect(got.alerts[i - 1].score).toBeGreaterThanOrEqual(got.alerts[i].score);
    for (const a of got.alerts) {
      const [src, rest] = a.id.slice('rita:'.length).split('>');
      expect(a.entity).toBe(src);
      expect(a.related).toEqual([src, rest.slice(0, rest.lastIndexOf(':'))]);
    }
  });
});

it('the threshold cuts: a capture has analyzed pairs below it', async () => {
  const all = conns(CAPTURES[1]);
  const got = await ritaFromBuckets(pagesOf(buckets(all), 5000), null, RITA_SCORE_THRESHOLD, Infinity);
  expect(got.top.length).toBe(got.analyzed);
  expect(got.top.filter((p) => p.score >= RITA_SCORE_THRESHOLD).length).toBe(got.alerts.length);
  expect(got.top.some((p) => p.score < RITA_SCORE_THRESHOLD)).toBe(true);
});
