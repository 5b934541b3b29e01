import { readZeekLog } from '../../../ingest/normalize/zeek/corpus.fixture';
import { countTail, poissonTail } from '.';

/** For each 15-minute window in which the device opened a connection, how many edges it opened that it never used before. */
function newEdgesPerWindow(relative: string, device: string): number[] {
  const known = new Set<string>();
  const byWindow = new Map<number, Set<string>>();
  for (const r of readZeekLog(relative)) {
    const f = r.fields as Record<string, unknown>;
    if (f['id.orig_h'] !== device) continue;
    const w = Math.floor(Number(f.ts) / 900);
    if (!byWindow.has(w)) byWindow.set(w, new Set());
    byWindow.get(w)!.add(`${f['id.resp_h']}|${f['id.resp_p']}/${f.proto}`);
  }
  const counts: number[] = [];
  for (const [, edges] of [...byWindow].sort((a, b) => a[0] - b[0])) {
    counts.push([...edges].filter((e) => !known.has(e)).length);
    for (const e of edges) known.add(e);
  }
  return counts;
}

describe('countTail', () => {
  it('is the Poisson tail for a device whose new edges come at an even rate', () => {
    for (const [k, mean] of [[1, 0.05], [3, 0.5], [12, 4]]) expect(countTail(k, mean, mean)).toBeCloseTo(poissonTail(k, mean), 12);
    expect(countTail(0, 2, 10)).toBe(1);
  });

  it('is the negative binomial tail when the counts spread wider than their mean, and grows with the spread', () => {
    // Mean 2, variance 6: p = 1/3, r = 1; P(X = x) = (1/3)(2/3)^x, so P(X >= k) = (2/3)^k.
    for (const k of [1, 3, 10]) expect(countTail(k, 2, 6)).toBeCloseTo((2 / 3) ** k, 10);
    const tails = [2, 4, 20, 200].map((variance) => countTail(15, 2, variance));
    for (let i = 1; i < tails.length; i++) expect(tails[i]).toBeGreaterThan(tails[i - 1]);
  });

  it('finds the morning burst of an ordinary computer far less surprising than an even rate would', () => {
    // The computer of the CTU mixed day (labels.config: dstIP=147.32.83.234): idle at night, browsing by day.
    const counts = newEdgesPerWindow('labeled/stratosphere-security-datasets/010-zeek-mixed/data/conn.log.labeled', '147.32.83.234');
    expect(counts.length).toBeGreaterThan(50);
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    const variance = counts.reduce((a, b) => a + (b - mean) ** 2, 0) / counts.length;
    expect(variance).toBeGreaterThan(5 * mean);
    const burst = Math.max(...counts);
    const surprise = (tail: number) => -Math.log10(Math.max(tail, 1e-12));
    // An even rate calls the biggest burst all but impossible; its own spread calls it merely uncommon.
    expect(surprise(poissonTail(burst, mean))).toBeGreaterThan(10);
    expect(surprise(countTail(burst, mean, variance))).toBeLessThan(3);
  });
});
