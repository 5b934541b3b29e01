import { binomialTail, confidence, listSome, poissonTail, surprise } from './score';

/** P(X >= k) for Binomial(n, p) by enumerating every outcome of n trials: slow, but independent of the recurrence. */
function enumerate(k: number, n: number, p: number): number {
  let total = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let ones = 0;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) ones++;
    if (ones >= k) total += Math.pow(p, ones) * Math.pow(1 - p, n - ones);
  }
  return total;
}

describe('tail probabilities', () => {
  it('computes the binomial tail as enumeration of all outcomes does', () => {
    for (const n of [1, 3, 7, 12]) {
      for (const p of [0.001, 0.05, 0.3, 0.9]) {
        for (let k = 0; k <= n + 1; k++) expect(binomialTail(k, n, p)).toBeCloseTo(enumerate(k, n, p), 10);
      }
    }
  });

  it('falls back to Poisson where (1-p)^n underflows, which is then a tail of nearly 1 for small k', () => {
    const t = binomialTail(3, 200_000, 0.01);
    expect(t).toBeGreaterThan(0.999);
    expect(t).toBeLessThanOrEqual(1);
  });

  it('turns tails into surprises between 0 and 12', () => {
    expect(surprise(1)).toBe(0);
    expect(surprise(0.001)).toBeCloseTo(3, 10);
    expect(surprise(0)).toBe(12);
    // The Poisson tail of the reference model: a device that never meets anyone new meeting ten is near the floor.
    expect(surprise(poissonTail(10, 0.02))).toBeGreaterThan(11);
  });

  it('trusts a rate more as its history grows, from half to full', () => {
    expect(confidence(0, 24)).toBe(0.5);
    expect(confidence(12, 24)).toBe(0.75);
    expect(confidence(100, 24)).toBe(1);
  });

  it('lists a few items and counts the rest', () => {
    expect(listSome(['a'])).toBe('a');
    expect(listSome(['a', 'b'])).toBe('a and b');
    expect(listSome(['a', 'b', 'c'])).toBe('a, b and c');
    expect(listSome(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c and 2 more');
  });
});
