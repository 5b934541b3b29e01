/**
 * How baselines forget: every remembered quantity decays exponentially with the configured half-life, so behaviour
 * that stopped weeks ago fades and the baseline follows a network that changes. All times are epoch milliseconds.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_HOURS = 168;

/** The factor a quantity keeps after `elapsedMs` with half-life `halfLifeMs` (1 when no time passed). */
export function decayFactor(elapsedMs: number, halfLifeMs: number): number {
  if (elapsedMs <= 0) return 1;
  return Math.pow(0.5, elapsedMs / halfLifeMs);
}

/** Hour of the week, 0 = Monday 00:00-01:00 UTC, of an epoch-millisecond time. */
export function hourOfWeek(t: number): number {
  const d = new Date(t);
  return ((d.getUTCDay() + 6) % 7) * 24 + d.getUTCHours();
}

/**
 * Exponentially weighted location and spread of one series (one hour-of-week slot, or all slots together): the
 * mean and the mean absolute deviation, both weighted by recency. The mean absolute deviation times 1.2533 estimates
 * the standard deviation of a normal series, and unlike the variance a single huge value does not blow it up for
 * weeks. `weight` is the decayed number of observations behind the figures.
 */
export interface EwStats {
  mean: number;
  mad: number;
  weight: number;
  /** Time of the last update (epoch ms). */
  t: number;
}

export function emptyStats(): EwStats {
  return { mean: 0, mad: 0, weight: 0, t: 0 };
}

/**
 * Folds one observation in. The first observation sets the mean; later ones move it by their share of the decayed
 * weight. The deviation is measured against the mean before the update, which makes a jump count as a deviation.
 */
export function observe(stats: EwStats, value: number, t: number, halfLifeMs: number): EwStats {
  const keep = stats.weight > 0 ? decayFactor(t - stats.t, halfLifeMs) : 0;
  const weight = stats.weight * keep + 1;
  if (stats.weight === 0) return { mean: value, mad: 0, weight: 1, t };
  const share = 1 / weight;
  const deviation = Math.abs(value - stats.mean);
  return {
    mean: stats.mean + share * (value - stats.mean),
    mad: stats.mad + share * (deviation - stats.mad),
    weight,
    t: Math.max(t, stats.t),
  };
}

/**
 * How unusual `value` is against `stats`, as a robust z-score: (value - mean) / spread, where the spread has a
 * floor (`minSpread`, and a fraction of the mean) so that a perfectly regular series does not make every small
 * change infinitely surprising.
 */
export function robustZ(stats: EwStats, value: number, minSpread: number): number {
  const spread = Math.max(stats.mad * 1.2533, Math.abs(stats.mean) * 0.1, minSpread);
  return (value - stats.mean) / spread;
}

/** The spread robustZ divides by, for explanations. */
export function spreadOf(stats: EwStats, minSpread: number): number {
  return Math.max(stats.mad * 1.2533, Math.abs(stats.mean) * 0.1, minSpread);
}

/** Maps a positive surprise (z-score, ratio...) to 0-100 with a logistic curve: `mid` gives 50, `mid + width` ~73. */
export function scoreFrom(x: number, mid: number, width: number): number {
  const s = 100 / (1 + Math.exp(-(x - mid) / width));
  return Math.round(Math.max(0, Math.min(100, s)) * 10) / 10;
}
