import { decayFactor, emptyStats, hourOfWeek, observe, robustZ, scoreFrom } from './decay';

describe('baseline decay', () => {
  it('halves a remembered quantity every half-life', () => {
    expect(decayFactor(0, 1000)).toBe(1);
    expect(decayFactor(1000, 1000)).toBeCloseTo(0.5);
    expect(decayFactor(3000, 1000)).toBeCloseTo(0.125);
  });

  it('numbers the hours of the week from Monday 00:00 UTC', () => {
    expect(hourOfWeek(Date.UTC(2026, 10, 23, 0, 30))).toBe(0); // a Monday
    expect(hourOfWeek(Date.UTC(2026, 10, 24, 22, 0))).toBe(46); // Tuesday 22:00
    expect(hourOfWeek(Date.UTC(2026, 10, 29, 23, 59))).toBe(167); // Sunday
  });

  it('follows a level shift and forgets the old level', () => {
    const halfLife = 10;
    let s = emptyStats();
    for (let t = 0; t < 100; t++) s = observe(s, 100, t, halfLife);
    expect(s.mean).toBeCloseTo(100);
    expect(s.mad).toBeCloseTo(0);
    for (let t = 100; t < 200; t++) s = observe(s, 200, t, halfLife);
    expect(s.mean).toBeGreaterThan(195);
    // The decayed weight stays bounded near halfLife / ln 2 + 1 instead of growing with the number of windows.
    expect(s.weight).toBeLessThan(16);
  });

  it('scores a jump far above a noisy series and not a usual value', () => {
    let s = emptyStats();
    const values = [90, 110, 95, 105, 100, 98, 102, 93, 107, 100];
    values.forEach((v, t) => (s = observe(s, v, t, 1000)));
    expect(Math.abs(robustZ(s, 104, 1))).toBeLessThan(1);
    expect(robustZ(s, 400, 1)).toBeGreaterThan(10);
  });

  it('maps surprise to 0-100 monotonically, 50 at the midpoint', () => {
    expect(scoreFrom(3, 3, 1)).toBe(50);
    expect(scoreFrom(10, 3, 1)).toBeGreaterThan(99);
    expect(scoreFrom(-10, 3, 1)).toBeLessThan(1);
    expect(scoreFrom(4, 3, 1)).toBeGreaterThan(scoreFrom(3.5, 3, 1));
  });
});
