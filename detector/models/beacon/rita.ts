/**
 * The beacon score of RITA (Real Intelligence Threat Analytics, activecm), reproduced as a reference to measure our
 * own periodicity score against (ATT&CK T1071 application-layer C2, T1029 scheduled transfer).
 *
 * `ritaBeaconScore` follows the last RITA v4 release line, v4.6.0 to v4.8.0: `pkg/beacon/analyzer.go` of
 * activecm/rita-legacy after pull requests #742 (histogram and duration sub-scores, July 2022), #745 (full timestamp
 * list) and #773 (zero intervals left out, bimodal minimum), with the default `BeaconStaticCfg` of `config/static.go`.
 * Per unique connection (source, destination):
 *
 *   gates (dissector.go): connection count > 23 (DefaultConnectionThresh), count <= 86400 (strobe limit), and more
 *     than 3 distinct timestamps; otherwise no beacon record is written (here: `analyzed: false`, score 0).
 *   inputs: ts = connection start times truncated to whole seconds, sorted, duplicates kept;
 *     bytes = orig_ip_bytes of each connection, sorted.
 *   intervals d = sorted differences of consecutive ts; intervals of 0 are dropped for the statistics below (but
 *     kept for the interval mode). Quantiles are the order statistics at index round(q * (len - 1)), round(x) =
 *     floor(x + 0.5).
 *   Bowley skew = (Q1 + Q3 - 2 Q2) / (Q3 - Q1), taken as 0 unless Q3 - Q1 >= 10 and Q2 differs from Q1 and Q3.
 *   MADM = median of |x - Q2|.
 *   tsScore = ceil3((1 - |skew_d|) + max(0, 1 - MADM_d / Q2_d) (1 when Q2_d < 1)) / 2)
 *   dsScore = ceil3(((1 - |skew_b|) + max(0, 1 - MADM_b / Q2_b) (0 when Q2_b < 1) + max(0, 1 - mode_b / 65535)) / 3)
 *   histogram: the dataset span [min, max] cut into 24 buckets (step = floor((max - min) / 24), the last divider at
 *     max); freq = connections per bucket.
 *     cvScore = ceil3(1 - min(1, sd(freq) / mean(freq))) (population sd);
 *     bimodal (only when at least 11 buckets are non-empty): non-empty counts grouped in bins of
 *     ceil(0.05 * max(freq)), fit = (two largest bin populations) / max(nonEmpty - 1, 1), capped at 1;
 *     histScore = max(cvScore, bimodalFit).
 *   duration (only when more than 6 buckets are non-empty): max(ceil3((ts_last - ts_first) / (max - min)),
 *     ceil3(longest run of non-empty buckets, wrapping around / 12)), each capped at 1; else 0.
 *   score = ceil3(0.25 tsScore + 0.25 dsScore + 0.25 durScore + 0.25 histScore), ceil3(x) = ceil(1000 x) / 1000.
 *
 * RITA assumed a 24 hour dataset: its "hours" are 1/24 of the dataset span, whatever that span is.
 *
 * `ritaClassicBeaconScore` is the formula RITA used before v4.6 (v3 to v4.5), as documented in the package readme of
 * May 2022 and in `analyzer.go` of that era: distinct timestamps only, skew taken whenever Q3 != Q1 and Q2 differs
 * from both, and
 *   tsScore = ceil3(((1 - |skew_d|) + max(0, 1 - MADM_d / 30) + min(1, count / ((max - min) / 10))) / 3)
 *   dsScore = ceil3(((1 - |skew_b|) + max(0, 1 - MADM_b / 32) + max(0, 1 - mode_b / 65535)) / 3)
 *   score = ceil3((sum of the six sub-scores) / 6)
 * with the connection-count gate of that era (count > 20).
 */

/** A unique connection as RITA sees it. */
export interface RitaInput {
  /** Start time of every connection, epoch seconds, any order (RITA truncates to whole seconds). */
  timestamps: ArrayLike<number>;
  /** `orig_ip_bytes` of every connection, any order (a missing value counts as 0, as in RITA's importer). */
  bytes: ArrayLike<number>;
  /**
   * First and last timestamp of the whole dataset, for the histogram, duration and (classic) connection-count
   * scores. Defaults to the pair's own first and last connection.
   */
  dataset?: { start: number; end: number };
}

/** RITA's `Beacon` settings, with their defaults. */
export interface RitaConfig {
  connectionThreshold: number;
  strobeLimit: number;
  tsWeight: number;
  dsWeight: number;
  durWeight: number;
  histWeight: number;
  durMinHoursSeen: number;
  durConsistencyIdealHoursSeen: number;
  histBimodalBucketSize: number;
  histBimodalOutlierRemoval: number;
  histBimodalMinHoursSeen: number;
}

export const RITA_DEFAULTS: Readonly<RitaConfig> = {
  connectionThreshold: 23,
  strobeLimit: 86400,
  tsWeight: 0.25,
  dsWeight: 0.25,
  durWeight: 0.25,
  histWeight: 0.25,
  durMinHoursSeen: 6,
  durConsistencyIdealHoursSeen: 12,
  histBimodalBucketSize: 0.05,
  histBimodalOutlierRemoval: 1,
  histBimodalMinHoursSeen: 11,
};

/** Why RITA wrote no beacon record for a pair. */
export type RitaSkipReason = 'too-few-connections' | 'too-few-distinct-timestamps' | 'strobe';

/** Quantile statistics RITA keeps for a sorted series (intervals or data sizes). */
export interface RitaSeriesStats {
  low: number;
  mid: number;
  high: number;
  skew: number;
  /** Median absolute deviation about the median (RITA's "dispersion"). */
  madm: number;
  mode: number;
  modeCount: number;
  range: number;
}

export interface RitaBeaconResult {
  /** False when RITA would not analyse the pair; every score is then 0. */
  analyzed: boolean;
  reason?: RitaSkipReason;
  score: number;
  tsScore: number;
  dsScore: number;
  durScore: number;
  histScore: number;
  tsSkewScore: number;
  tsMadmScore: number;
  dsSkewScore: number;
  dsMadmScore: number;
  dsSmallnessScore: number;
  histCvScore: number;
  histBimodalScore: number;
  ts?: RitaSeriesStats;
  ds?: RitaSeriesStats;
  /** Connections per 1/24 of the dataset. */
  freqList?: number[];
  totalBars: number;
  longestRun: number;
  connectionCount: number;
  distinctTimestamps: number;
}

export interface RitaClassicResult {
  analyzed: boolean;
  reason?: RitaSkipReason;
  score: number;
  tsScore: number;
  dsScore: number;
  tsSkewScore: number;
  tsMadmScore: number;
  tsConnCountScore: number;
  dsSkewScore: number;
  dsMadmScore: number;
  dsSmallnessScore: number;
  ts?: RitaSeriesStats;
  ds?: RitaSeriesStats;
  connectionCount: number;
  distinctTimestamps: number;
}

/** Go's `util.Round`: floor(x + 0.5). */
const round = (x: number): number => Math.floor(x + 0.5);
/** RITA rounds every published score up to three decimals. */
const ceil3 = (x: number): number => Math.ceil(x * 1000) / 1000;
const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

function sortedWholeSeconds(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.trunc(values[i]);
  return out.sort();
}

function sortedCounts(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = Number.isFinite(v) ? Math.trunc(v) : 0;
  }
  return out.sort();
}

function distinctCount(sorted: Float64Array): number {
  let n = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) n++;
  return n;
}

/** The most frequent value of a sorted series; the smallest wins a tie (RITA scans in order, keeps strict maxima). */
function modeOf(sorted: Float64Array): { mode: number; count: number } {
  let mode = sorted[0];
  let best = 0;
  let i = 0;
  while (i < sorted.length) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    if (j - i > best) {
      best = j - i;
      mode = sorted[i];
    }
    i = j;
  }
  return { mode, count: best };
}

/**
 * Quartiles, Bowley skew and MADM of a sorted, non-empty series, as RITA computes them. `minSpread` is the least
 * Q3 - Q1 for which the skew is taken (10 since v4.6, any non-zero spread before).
 */
function seriesStats(sorted: Float64Array, modeSource: Float64Array, minSpread: number): RitaSeriesStats {
  const n = sorted.length;
  const low = sorted[round(0.25 * (n - 1))];
  const mid = sorted[round(0.5 * (n - 1))];
  const high = sorted[round(0.75 * (n - 1))];
  const den = high - low;
  const spreadOk = minSpread > 0 ? den >= minSpread : den !== 0;
  const skew = spreadOk && mid !== low && mid !== high ? (low + high - 2 * mid) / den : 0;
  const devs = new Float64Array(n);
  for (let i = 0; i < n; i++) devs[i] = Math.abs(sorted[i] - mid);
  devs.sort();
  const madm = devs[round(0.5 * (n - 1))];
  const { mode, count } = modeOf(modeSource);
  return { low, mid, high, skew, madm, mode, modeCount: count, range: sorted[n - 1] - sorted[0] };
}

function sortedIntervals(ts: Float64Array): Float64Array {
  const diff = new Float64Array(Math.max(0, ts.length - 1));
  for (let i = 0; i + 1 < ts.length; i++) diff[i] = ts[i + 1] - ts[i];
  return diff.sort();
}

function datasetBounds(ts: Float64Array, dataset: RitaInput['dataset']): { min: number; max: number } {
  if (dataset === undefined) return { min: ts[0], max: ts[ts.length - 1] };
  return { min: Math.trunc(dataset.start), max: Math.trunc(dataset.end) };
}

/**
 * Connections per bucket, the way RITA's `createHistogram` fills them: a timestamp at or past the last divider
 * stays in the bucket the scan is in.
 */
function histogram(min: number, max: number, ts: Float64Array): number[] {
  const buckets = 24;
  const step = Math.trunc((max - min) / buckets);
  const divs = new Float64Array(buckets + 1);
  for (let i = 0; i <= buckets; i++) divs[i] = min + i * step;
  divs[buckets] = max;
  const freq = new Array<number>(buckets).fill(0);
  let i = 0;
  let bound = divs[1];
  for (let k = 0; k < ts.length; k++) {
    const t = ts[k];
    if (t < bound) {
      freq[i]++;
      continue;
    }
    for (let j = i + 1; j < buckets; j++) {
      if (t < divs[j + 1]) {
        i = j;
        bound = divs[j + 1];
        break;
      }
    }
    freq[i]++;
  }
  return freq;
}

function histogramScores(
  freq: number[],
  config: RitaConfig,
): { cvScore: number; bimodalScore: number; totalBars: number; longestRun: number } {
  let totalBars = 0;
  let largest = 0;
  let total = 0;
  for (const f of freq) {
    if (f > 0) totalBars++;
    if (f > largest) largest = f;
    total += f;
  }
  // Longest run of non-empty buckets, wrapping around from the end of the dataset to its start.
  let longestRun = 0;
  let run = 0;
  for (let i = 0; i < freq.length * 2; i++) {
    if (freq[i % freq.length] > 0) run++;
    else {
      if (run > longestRun) longestRun = run;
      run = 0;
    }
  }
  if (run > longestRun) longestRun = run;
  if (longestRun > freq.length) longestRun = freq.length;

  const mean = total / freq.length;
  let sd = 0;
  for (const f of freq) sd += (f - mean) ** 2;
  sd = Math.sqrt(sd / freq.length);
  const cv = Math.min(1, sd / mean);
  const cvScore = Math.min(1, ceil3(1 - cv));

  let bimodalFit = 0;
  if (totalBars >= config.histBimodalMinHoursSeen) {
    const binSize = Math.ceil(largest * config.histBimodalBucketSize);
    const bins = new Map<number, number>();
    for (const f of freq) {
      if (f === 0) continue;
      const bin = Math.floor(f / binSize) * binSize;
      bins.set(bin, (bins.get(bin) ?? 0) + 1);
    }
    let first = 0;
    let second = 0;
    for (const count of bins.values()) {
      if (count > first) {
        second = first;
        first = count;
      } else if (count > second) second = count;
    }
    bimodalFit = (first + second) / Math.max(totalBars - config.histBimodalOutlierRemoval, 1);
  }
  const bimodalScore = Math.min(1, ceil3(bimodalFit));
  return { cvScore, bimodalScore, totalBars, longestRun };
}

function skipped(reason: RitaSkipReason, connectionCount: number, distinctTimestamps: number): RitaBeaconResult {
  return {
    analyzed: false,
    reason,
    score: 0,
    tsScore: 0,
    dsScore: 0,
    durScore: 0,
    histScore: 0,
    tsSkewScore: 0,
    tsMadmScore: 0,
    dsSkewScore: 0,
    dsMadmScore: 0,
    dsSmallnessScore: 0,
    histCvScore: 0,
    histBimodalScore: 0,
    totalBars: 0,
    longestRun: 0,
    connectionCount,
    distinctTimestamps,
  };
}

/** RITA v4.6-v4.8 beacon score of one unique connection; see the module comment for the formula. */
export function ritaBeaconScore(input: RitaInput, overrides: Partial<RitaConfig> = {}): RitaBeaconResult {
  const config: RitaConfig = { ...RITA_DEFAULTS, ...overrides };
  const count = input.timestamps.length;
  const ts = sortedWholeSeconds(input.timestamps);
  const distinct = distinctCount(ts);
  if (count <= config.connectionThreshold) return skipped('too-few-connections', count, distinct);
  if (count > config.strobeLimit) return skipped('strobe', count, distinct);
  if (distinct <= 3) return skipped('too-few-distinct-timestamps', count, distinct);

  const diffFull = sortedIntervals(ts);
  let firstNonZero = 0;
  while (diffFull[firstNonZero] === 0) firstNonZero++;
  const diff = diffFull.subarray(firstNonZero);
  const bytes = sortedCounts(input.bytes);

  const tsStats = seriesStats(diff, diffFull, 10);
  const dsStats = seriesStats(bytes, bytes, 10);

  const tsSkewScore = 1 - Math.abs(tsStats.skew);
  const dsSkewScore = 1 - Math.abs(dsStats.skew);
  const tsMadmScore = Math.max(0, tsStats.mid >= 1 ? 1 - tsStats.madm / tsStats.mid : 1);
  const dsMadmScore = Math.max(0, dsStats.mid >= 1 ? 1 - dsStats.madm / dsStats.mid : 0);
  const dsSmallnessScore = Math.max(0, 1 - dsStats.mode / 65535);
  const tsScore = ceil3((tsSkewScore + tsMadmScore) / 2);
  const dsScore = ceil3((dsSkewScore + dsMadmScore + dsSmallnessScore) / 3);

  const { min, max } = datasetBounds(ts, input.dataset);
  const freqList = histogram(min, max, ts);
  const hist = histogramScores(freqList, config);
  const histScore = Math.max(hist.cvScore, hist.bimodalScore);

  let durScore = 0;
  if (hist.totalBars > config.durMinHoursSeen) {
    const coverage = Math.min(1, ceil3((ts[ts.length - 1] - ts[0]) / (max - min)));
    const consistency = Math.min(1, ceil3(hist.longestRun / config.durConsistencyIdealHoursSeen));
    durScore = Math.max(coverage, consistency);
  }

  const score = ceil3(
    tsScore * config.tsWeight + dsScore * config.dsWeight + durScore * config.durWeight + histScore * config.histWeight,
  );
  return {
    analyzed: true,
    score,
    tsScore,
    dsScore,
    durScore,
    histScore,
    tsSkewScore,
    tsMadmScore,
    dsSkewScore,
    dsMadmScore,
    dsSmallnessScore,
    histCvScore: hist.cvScore,
    histBimodalScore: hist.bimodalScore,
    ts: tsStats,
    ds: dsStats,
    freqList,
    totalBars: hist.totalBars,
    longestRun: hist.longestRun,
    connectionCount: count,
    distinctTimestamps: distinct,
  };
}

/** RITA's beacon score before v4.6 (v3 to v4.5); see the module comment for the formula. */
export function ritaClassicBeaconScore(input: RitaInput, connectionThreshold = 20): RitaClassicResult {
  const count = input.timestamps.length;
  const all = sortedWholeSeconds(input.timestamps);
  const distinct = distinctCount(all);
  const empty = {
    score: 0,
    tsScore: 0,
    dsScore: 0,
    tsSkewScore: 0,
    tsMadmScore: 0,
    tsConnCountScore: 0,
    dsSkewScore: 0,
    dsMadmScore: 0,
    dsSmallnessScore: 0,
    connectionCount: count,
    distinctTimestamps: distinct,
  };
  if (count <= connectionThreshold) return { analyzed: false, reason: 'too-few-connections', ...empty };
  if (count > RITA_DEFAULTS.strobeLimit) return { analyzed: false, reason: 'strobe', ...empty };
  if (distinct <= 3) return { analyzed: false, reason: 'too-few-distinct-timestamps', ...empty };

  // The importer of that era kept each distinct timestamp once.
  const ts = new Float64Array(distinct);
  for (let i = 0, k = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) ts[k++] = all[i];
  const diff = sortedIntervals(ts);
  const bytes = sortedCounts(input.bytes);
  const tsStats = seriesStats(diff, diff, 0);
  const dsStats = seriesStats(bytes, bytes, 0);

  const tsSkewScore = 1 - Math.abs(tsStats.skew);
  const dsSkewScore = 1 - Math.abs(dsStats.skew);
  const tsMadmScore = Math.max(0, 1 - tsStats.madm / 30);
  const dsMadmScore = Math.max(0, 1 - dsStats.madm / 32);
  const dsSmallnessScore = Math.max(0, 1 - dsStats.mode / 65535);
  const { min, max } = datasetBounds(ts, input.dataset);
  const tsConnCountScore = clamp01(count / ((max - min) / 10));

  const tsSum = tsSkewScore + tsMadmScore + tsConnCountScore;
  const dsSum = dsSkewScore + dsMadmScore + dsSmallnessScore;
  return {
    analyzed: true,
    score: ceil3((tsSum + dsSum) / 6),
    tsScore: ceil3(tsSum / 3),
    dsScore: ceil3(dsSum / 3),
    tsSkewScore,
    tsMadmScore,
    tsConnCountScore,
    dsSkewScore,
    dsMadmScore,
    dsSmallnessScore,
    ts: tsStats,
    ds: dsStats,
    connectionCount: count,
    distinctTimestamps: distinct,
  };
}
