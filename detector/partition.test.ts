import { fnv1a, parsePartition, partition } from './partition';

describe('entity partitions', () => {
  it('gives every key to exactly one of n processes, spread evenly', () => {
    const parts = [0, 1, 2, 3].map((i) => partition(i, 4));
    const counts = [0, 0, 0, 0];
    for (let a = 0; a < 40; a++) {
      for (let b = 0; b < 250; b++) {
        const key = `10.${a}.${b}.7`;
        const owners = parts.filter((p) => p.owns(key));
        expect(owners).toHaveLength(1);
        counts[owners[0].index]++;
      }
    }
    for (const c of counts) expect(c).toBeGreaterThan(2200);
  });

  it('is stable: the FNV-1a reference value of "a"', () => {
    expect(fnv1a('a')).toBe(0xe40c292c);
  });

  it('parses --partition and rejects impossible shares', () => {
    expect(parsePartition('1/3')).toEqual({ index: 1, count: 3 });
    expect(() => parsePartition('3/3')).toThrow(/index < count/);
    expect(() => parsePartition('x')).toThrow(/index\/count/);
  });
});
