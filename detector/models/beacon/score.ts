/**
 * Periodicity score of the connections of one pair (source -> destination[:port]): how well their start times are
 * explained by a fixed period, for command-and-control beaconing (ATT&CK T1071 application-layer protocol, T1029
 * scheduled transfer).
 *
 * RITA (`rita.ts`) scores the spread of the intervals between consecutive connections, so every missed beat is a
 * 2P interval that counts against the beacon, and a second connection per beat halves the intervals. Here the
 * period is the interval that best explains the start times as integer multiples of it:
 *  - missed beats (a sleeping host, a dropped check-in, a sampled capture) are beats k > 1 periods after the last
 *    one; they lower `coverage`, which costs nothing down to half of the beats;
 *  - the grid follows the beats it finds (half-way between prediction and observation), so both the jitter of a
 *    schedule and the sleep jitter of an implant (which accumulates) are tolerated; a late beat that the next beats
 *    follow, or a new phase after missed beats, moves the grid (`slips`);
 *  - extra connections at a fixed offset after each beat (a TCP retry that Zeek logs as a second connection, a
 *    check-in followed by a task fetch) are companions of the beat, at most two offsets;
 *  - anything else is an outlier: it lowers the explained share and does not move the grid.
 *
 * Method, for an input of n events (connections less than `burstWindow` after the first of a burst are one event):
 *  1. Candidate periods: the densest windows (10 % wide) of the intervals between consecutive events, between
 *     events two and three apart (beats with companions), and a half and a third of the densest.
 *  2. Per candidate, a first walk with a wide grid (tolerance 20 % of P) finds the beats, refines P (median beat
 *     interval per period) and measures the jitter; the final grid's tolerance is 3 jitters, between `minTolerance`
 *     and 20 % of P. A walk starts at the first event confirmed by another one or two periods later and goes both
 *     ways; an event k = round(d / P) >= 1 periods after the grid's last beat, within tol * min(2, sqrt(k)) of it,
 *     is a beat.
 *  3. chance = (2 tol + 2 tol_c * companion offsets) / P is the share of random times the grid and the companion
 *     windows cover (tol_c = 3 % of P, at least `minTolerance`, at most tol). explained = (beats + companions -
 *     beats in a new phase) / n, taken at the lower end of its Wilson interval (z = 1) so that few events prove
 *     little.
 *  4. The candidate with the most evidence per event wins: the Kullback-Leibler divergence of explained from
 *     chance, times min(1, coverage / 0.5). A tight grid explaining 96 % of the events thus beats a loose one
 *     explaining all of them, and P beats P/2 (same events, twice the chance).
 *  5. score = (explained - chance) / (1 - chance) * min(1, coverage / 0.5) * min(1, 2 (1 - chance)): the share of
 *     the events beyond chance on the grid, discounted when half the beats are missing or when the grid covers more
 *     than half of the time (a loose grid is filled by a handful of random events).
 *
 * Cost: sorts of the times, of the intervals at three lags and of the off-grid phases; the rest is O(n) per
 * candidate (at most ten, three walks each). Typed arrays of n entries are allocated once per call.
 *
 * Byte counts, when given, only produce explanation figures: real C2 answers vary in size with tasking, while its
 * timing does not, so they do not move the score.
 */

/** A connection start (epoch seconds), optionally standing for `n` connections at that time (1-second rollups). */
export interface ConnectionAt {
  t: number;
  n?: number;
}

/** Connection start times: plain epoch seconds or `{ t, n }`, in any order, duplicates allowed. */
export type ConnectionStarts = ReadonlyArray<number | ConnectionAt>;

export interface BeaconOptions {
  /** Connections starting less than this many seconds after the first of a burst are one event. Default 1. */
  burstWindow?: number;
  /** Shortest period considered, seconds. Default 2. */
  minPeriod?: number;
  /**
   * Least tolerance of a beat, seconds. Default 1 when every time is a whole second (1-second resolution: an
   * interval is then off by up to 1 s), else 0.25 (scheduling and network noise).
   */
  minTolerance?: number;
  /** Bytes per entry of `starts` (same order), for the size figures only. */
  bytes?: ArrayLike<number>;
}

export interface BeaconScore {
  /** 0 (not periodic) to 1 (every event on a tight grid). */
  score: number;
  /** Estimated period, seconds (0 when none was found). */
  period: number;
  /** Robust standard deviation of the beats about the grid, seconds. */
  jitter: number;
  /** Beats observed / beats expected between the first and last beat. */
  coverage: number;
  /** Events on the beat grid. */
  beats: number;
  /** Beats expected between the first and last beat (inclusive). */
  expectedBeats: number;
  /** Beats off the grid by more than the tolerance that the next beats follow: the grid moved to them. */
  slips: number;
  /** Connections given (sum of `n`). */
  connections: number;
  /** Events after merging bursts. */
  events: number;
  /** Events at a companion offset after a beat. */
  companions: number;
  /** Offsets after the beat of the companion clusters, seconds. */
  companionOffsets: number[];
  /** Events neither beats nor companions. */
  outliers: number;
  /** (beats + companions - beats in a new phase) / events. */
  explained: number;
  /** Share of events random times would place on the grid or a companion offset. */
  chance: number;
  /** Tolerance used, seconds. */
  tolerance: number;
  /** Seconds from the first to the last event. */
  span: number;
  /** Median bytes and the share of entries within max(16 bytes, 10 %) of it, when bytes were given. */
  bytesMedian?: number;
  bytesRegularity?: number;
}

export interface EnoughDataOptions {
  /** Least events (bursts merged). Default 8. */
  minEvents?: number;
  /** Least seconds from the first to the last event. Default 120. */
  minSpan?: number;
  burstWindow?: number;
}

export interface EnoughData {
  enough: boolean;
  connections: number;
  events: number;
  span: number;
  reason?: 'too-few-events' | 'too-short';
}

const DEFAULT_BURST_WINDOW = 1;
const DEFAULT_MIN_PERIOD = 2;
/** Tolerance of the first, wide grid: a share of the period. */
const WIDE_TOLERANCE = 0.2;
/** Share of a beat's residual by which the grid moves towards it. */
const GRID_GAIN = 0.5;
/** Widest tolerance (share of the period) at which slips are looked for. */
const TIGHT_TOLERANCE = 0.1;
/** Tolerance of a companion offset (share of the period, never below the least tolerance nor above the beat's). */
const COMPANION_TOLERANCE = 0.03;
/** Tolerance of the final grid, in jitters (robust standard deviations) of the wide grid's beats. */
const JITTER_SPAN = 3;
const MAX_COMPANION_OFFSETS = 2;
/** Coverage at and above which missed beats cost nothing. */
const FULL_COVERAGE = 0.5;
/** Normal-consistent scale of the median absolute deviation. */
const MAD_SCALE = 1.4826;

interface Events {
  times: Float64Array;
  connections: number;
  wholeSeconds: boolean;
}

/** Below this length an insertion sort beats the built-in sort, whose call costs more than the sorting. */
const SMALL_SORT = 64;

/** Sorts finite numbers ascending, in place. */
function sortNumbers(values: Float64Array): Float64Array {
  const n = values.length;
  if (n > SMALL_SORT) return values.sort();
  for (let i = 1; i < n; i++) {
    const v = values[i];
    let j = i - 1;
    while (j >= 0 && values[j] > v) {
      values[j + 1] = values[j];
      j--;
    }
    values[j + 1] = v;
  }
  return values;
}

/** Sorted event times, bursts merged. */
function toEvents(starts: ConnectionStarts, burstWindow: number): Events {
  const n = starts.length;
  const t = new Float64Array(n);
  let connections = 0;
  let wholeSeconds = true;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const s = starts[i];
    const time = typeof s === 'number' ? s : s.t;
    const count = typeof s === 'number' ? 1 : (s.n ?? 1);
    if (!Number.isFinite(time) || !(count > 0)) continue;
    t[k++] = time;
    connections += count;
    if (time !== Math.floor(time)) wholeSeconds = false;
  }
  const sorted = sortNumbers(t.subarray(0, k));
  // Merge in place: an event is the first connection of a burst.
  let m = 0;
  let burstStart = -Infinity;
  for (let i = 0; i < k; i++) {
    if (sorted[i] - burstStart >= burstWindow) {
      burstStart = sorted[i];
      sorted[m++] = burstStart;
    }
  }
  return { times: sorted.subarray(0, m), connections, wholeSeconds };
}

/** Whether a pair has enough connections over a long enough time for its periodicity to mean anything. */
export function hasEnoughData(starts: ConnectionStarts, options: EnoughDataOptions = {}): EnoughData {
  const minEvents = options.minEvents ?? 8;
  const minSpan = options.minSpan ?? 120;
  const { times, connections } = toEvents(starts, options.burstWindow ?? DEFAULT_BURST_WINDOW);
  const events = times.length;
  const span = events > 0 ? times[events - 1] - times[0] : 0;
  if (events < minEvents) return { enough: false, connections, events, span, reason: 'too-few-events' };
  if (span < minSpan) return { enough: false, connections, events, span, reason: 'too-short' };
  return { enough: true, connections, events, span };
}

/** k-th smallest of values[0..n) (reorders them): Hoare's selection, O(n) on average. */
function select(values: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const x = values[i];
        values[i] = values[j];
        values[j] = x;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k];
}

function median(values: Float64Array, n: number): number {
  if (n === 0) return 0;
  const upper = select(values, n, n >>> 1);
  if (n % 2 === 1) return upper;
  // The lower middle is the largest value left of the upper one after selection.
  let lower = values[0];
  for (let i = 1; i < n >>> 1; i++) if (values[i] > lower) lower = values[i];
  return (lower + upper) / 2;
}

/** Median absolute deviation about the median of values[0..n) (overwrites them). */
function madm(values: Float64Array, n: number): number {
  if (n < 2) return 0;
  const center = median(values, n);
  for (let i = 0; i < n; i++) values[i] = Math.abs(values[i] - center);
  return median(values, n);
}

/** Whether [i, j) overlaps one of the windows taken. */
function overlapsAny(taken: ReadonlyArray<[number, number]>, i: number, j: number): boolean {
  for (const [a, b] of taken) if (i < b && j > a) return true;
  return false;
}

/**
 * Up to `count` representative values of the densest, non-overlapping windows of a sorted series; a window starting
 * at x spans max(2 minTol, 0.1 x).
 */
function modes(sorted: Float64Array, minTol: number, count: number, out: number[]): void {
  const n = sorted.length;
  const taken: Array<[number, number]> = [];
  for (let round = 0; round < count; round++) {
    let bestI = -1;
    let bestJ = -1;
    let j = 0;
    for (let i = 0; i < n; i++) {
      if (j < i) j = i;
      const end = sorted[i] + Math.max(2 * minTol, 0.1 * sorted[i]);
      while (j < n && sorted[j] <= end) j++;
      if (j - i <= bestJ - bestI) continue;
      if (overlapsAny(taken, i, j)) continue;
      bestI = i;
      bestJ = j;
    }
    if (bestI < 0 || bestJ - bestI < 2) return;
    taken.push([bestI, bestJ]);
    out.push(sorted[(bestI + bestJ - 1) >>> 1]);
  }
}

function lagIntervals(times: Float64Array, lag: number, scratch: Float64Array): Float64Array {
  const n = Math.max(0, times.length - lag);
  for (let i = 0; i < n; i++) scratch[i] = times[i + lag] - times[i];
  return sortNumbers(scratch.subarray(0, n));
}

function periodCandidates(
  times: Float64Array,
  minPeriod: number,
  maxPeriod: number,
  minTol: number,
  scratch: Float64Array,
): number[] {
  const raw: number[] = [];
  const lag1: number[] = [];
  modes(lagIntervals(times, 1, scratch), minTol, 5, lag1);
  raw.push(...lag1);
  if (lag1.length > 0) raw.push(lag1[0] / 2, lag1[0] / 3);
  modes(lagIntervals(times, 2, scratch), minTol, 2, raw);
  modes(lagIntervals(times, 3, scratch), minTol, 1, raw);
  const out: number[] = [];
  for (const p of raw) {
    if (!(p >= minPeriod && p <= maxPeriod)) continue;
    if (out.some((q) => Math.abs(q - p) <= 0.01 * q)) continue;
    out.push(p);
  }
  return out;
}

interface Scratch {
  residuals: Float64Array;
  ratios: Float64Array;
  phases: Float64Array;
  /** Starts are whole seconds: the period is then taken from the slope of the beats (see `evaluate`). */
  wholeSeconds: boolean;
  /** The beats of a grid: their times and their numbers (periods from the anchor, negative before it). */
  beatTimes: Float64Array;
  beatNumbers: Float64Array;
  slopes: Float64Array;
}

interface Fit {
  score: number;
  evidence: number;
  period: number;
  refined: number;
  tolerance: number;
  jitter: number;
  coverage: number;
  beats: number;
  expectedBeats: number;
  slips: number;
  companions: number;
  companionOffsets: number[];
  explained: number;
  chance: number;
}

/** First event confirmed by another one or two periods later (within the next few events), or -1. */
function anchorOf(times: Float64Array, period: number, tol: number): number {
  const n = times.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n && j <= i + 6; j++) {
      const d = times[j] - times[i];
      if (d > 2 * period + tol) break;
      const k = Math.round(d / period);
      if (k >= 1 && Math.abs(d - k * period) <= tol) return i;
    }
  }
  return -1;
}

/** Whether `times[i]`, off the grid whose last beat is at `grid`, is a beat the grid should move to. */
function slips(times: Float64Array, i: number, direction: number, grid: number, period: number, tol: number): boolean {
  for (let step = 1; step <= 6; step++) {
    const j = i + step * direction;
    if (j < 0 || j >= times.length) return false;
    const fromSlip = direction * (times[j] - times[i]);
    if (fromSlip > 2 * period + tol) return false;
    const fromGrid = direction * (times[j] - grid);
    const kGrid = Math.round(fromGrid / period);
    // The old grid goes on: times[i] was an outlier.
    if (kGrid >= 1 && Math.abs(fromGrid - kGrid * period) <= tol * Math.min(2, Math.sqrt(kGrid))) return false;
    const k = Math.round(fromSlip / period);
    if (k >= 1 && Math.abs(fromSlip - k * period) <= tol) return true;
  }
  return false;
}

interface Companions {
  companions: number;
  offsets: number[];
}

/** Up to two companion clusters of width 2 tol in sorted phases (reordered), each of at least `needed` events. */
function companionsOf(sorted: Float64Array, period: number, tol: number, needed: number): Companions {
  let live = sorted.length;
  let companions = 0;
  const offsets: number[] = [];
  for (let c = 0; c < MAX_COMPANION_OFFSETS && live > 0; c++) {
    const { start, count } = densestPhase(sorted, live, period, 2 * tol);
    if (count < needed) break;
    let sum = 0;
    for (let q = start; q < start + count; q++) sum += q < live ? sorted[q] : sorted[q - live] + period;
    const offset = (sum / count) % period;
    // Companions at a half or a third of the period are beats of a shorter period, which is tried on its own.
    if (isHarmonic(offset, period, tol)) break;
    offsets.push(offset);
    companions += count;
    // Drop the cluster, keeping the rest sorted.
    let w = 0;
    for (let q = 0; q < live; q++) {
      const inside = (q >= start && q < start + count) || q < start + count - live;
      if (!inside) sorted[w++] = sorted[q];
    }
    live = w;
  }
  return { companions, offsets };
}

function chanceOf(tol: number, companionTol: number, offsets: number, period: number): number {
  return Math.min(1, (2 * tol + 2 * companionTol * offsets) / period);
}

/** Whether a phase lies within `tol` of a half or a third of the period. */
function isHarmonic(offset: number, period: number, tol: number): boolean {
  for (const fraction of [1 / 2, 1 / 3, 2 / 3]) if (Math.abs(offset - fraction * period) <= tol) return true;
  return false;
}

/** Densest circular window of width `width` in sorted phases[0..n) of a cycle of length `cycle`. */
function densestPhase(
  phases: Float64Array,
  n: number,
  cycle: number,
  width: number,
): { start: number; count: number } {
  let best = { start: 0, count: 0 };
  let j = 0;
  for (let i = 0; i < n; i++) {
    if (j < i) j = i;
    const end = phases[i] + width;
    while (j < i + n) {
      const v = j < n ? phases[j] : phases[j - n] + cycle;
      if (v > end) break;
      j++;
    }
    if (j - i > best.count) best = { start: i, count: j - i };
  }
  return best;
}

/** Beats needed for a slope: fewer are left to the median interval. */
const MIN_SLOPE_BEATS = 6;

/**
 * Period from beats of one phase: the median of the slopes between each beat and the one half the beats further
 * on, in beat number. Every slope spans half the series, so starts rounded to the second move it by less than a
 * second over that many periods; the median keeps a few loose beats from pulling it. Undefined when there are too
 * few beats.
 */
function beatSlope(times: Float64Array, numbers: Float64Array, count: number, forward: number, slopes: Float64Array): number | undefined {
  if (count < MIN_SLOPE_BEATS) return undefined;
  // Beats were kept as walked: the anchor, the `forward` ones after it, then those before it, latest first. The
  // p-th in number order is the last ones reversed, then the first ones.
  const before = count - 1 - forward;
  const at = (p: number): number => (p < before ? count - 1 - p : p - before);
  const half = Math.floor(count / 2);
  let m = 0;
  for (let p = 0; p + half < count; p++) {
    const a = at(p);
    const b = at(p + half);
    const periods = numbers[b] - numbers[a];
    if (periods > 0) slopes[m++] = (times[b] - times[a]) / periods;
  }
  return m > 0 ? median(slopes, m) : undefined;
}

/** Kullback-Leibler divergence (nats) of a share p from the chance share c, 0 when p <= c. */
function information(p: number, c: number): number {
  if (!(p > c) || c <= 0) return 0;
  const hit = p * Math.log(p / c);
  return p >= 1 ? hit : hit + (1 - p) * Math.log((1 - p) / (1 - c));
}

/** Lower end of the Wilson score interval (z = 1) of a proportion p observed over n trials. */
function wilsonLower(p: number, n: number): number {
  const z2 = 1;
  const center = p + z2 / (2 * n);
  const margin = Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return (center - margin) / (1 + z2 / n);
}

/** What a walk of the grid found: its beats (their residuals in `scratch.residuals`) and the off-grid phases. */
interface Walk {
  beats: number;
  slipped: number;
  resynced: number;
  /** Beats on the grid with a residual, and off-grid events with a phase (`scratch.phases`). */
  residualCount: number;
  phaseCount: number;
  expectedBeats: number;
  coverage: number;
  /** The period the beats point to. */
  refined: number;
}

/**
 * Walks a grid of `period` and tolerance `tol` over the times, from the anchor both ways (see the module comment).
 * `findOnly`: the wide grid that only looks for the beats, which may slip at any tolerance and needs no phases.
 */
function walk(times: Float64Array, period: number, tol: number, scratch: Scratch, findOnly: boolean): Walk | undefined {
  const n = times.length;
  const anchor = anchorOf(times, period, tol);
  if (anchor < 0) return undefined;
  const { residuals, ratios, phases, beatTimes, beatNumbers } = scratch;
  // Slips add freedom that only a tight grid can afford, or the wide grid that only looks for the beats.
  const slipsAllowed = findOnly || tol <= TIGHT_TOLERANCE * period;
  let beats = 1;
  let slipped = 0;
  let resynced = 0;
  let r = 0;
  let m = 0;
  let firstBeat = 0;
  let lastBeat = 0;
  beatTimes[0] = times[anchor];
  beatNumbers[0] = 0;
  let numbered = 1;
  let forward = 0;
  for (const direction of [1, -1]) {
    // `grid` is where the last beat should have been: half-way between the prediction and the observation, so that
    // both jitter of the schedule (cron-like) and jitter of the sleep (implant-like, accumulating) are followed.
    let grid = times[anchor];
    let last = grid;
    let index = 0;
    for (let i = anchor + direction; i >= 0 && i < n; i += direction) {
      const d = direction * (times[i] - grid);
      const k = Math.round(d / period);
      if (k >= 1) {
        const residual = d - k * period;
        if (Math.abs(residual) <= tol * Math.min(2, Math.sqrt(k))) {
          beats++;
          ratios[r] = (direction * (times[i] - last)) / k;
          residuals[r++] = residual;
          index += k;
          beatTimes[numbered] = times[i];
          beatNumbers[numbered++] = direction * index;
          grid += direction * (k * period + GRID_GAIN * residual);
          last = times[i];
          continue;
        }
        // A late or early beat that the next beats follow (the implant sleeps from its last check-in), or after
        // missed beats a new phase (the implant restarted): the grid moves to it.
        const near = Math.abs(residual) <= WIDE_TOLERANCE * period * Math.min(2, Math.sqrt(k));
        if (slipsAllowed && (near || k >= 2) && slips(times, i, direction, grid, period, tol)) {
          beats++;
          slipped++;
          if (!near) resynced++;
          index += k;
          grid = last = times[i];
          continue;
        }
      }
      if (findOnly) continue;
      // Phases after the last beat as observed: a companion follows its own beat.
      const since = direction * (times[i] - last);
      const phase = since - Math.floor(since / period) * period;
      phases[m++] = direction > 0 ? phase : (period - phase) % period;
    }
    if (direction > 0) {
      lastBeat = index;
      forward = numbered - 1;
    } else firstBeat = -index;
  }
  const expectedBeats = lastBeat - firstBeat + 1;
  const coverage = beats / expectedBeats;
  // The median beat interval per period: robust to phase jumps, to a sleep that runs late now and then, and to the
  // loose matches of a wide grid. But starts rounded to whole seconds round the intervals too: a clock of 30.11 s
  // shows 30, 30, 31, 30, ... and the median says 30, off by a second every nine beats. Then, while the beats keep
  // one phase (no slip), the period is the slope of their times over their numbers, if it lies within the second
  // that rounding can take from the median; further off, loose matches moved it, and the median stays.
  const middle = r > 0 ? median(ratios, r) : period;
  const slope = scratch.wholeSeconds && slipped === 0 ? beatSlope(beatTimes, beatNumbers, numbered, forward, scratch.slopes) : undefined;
  const refined = slope !== undefined && Math.abs(slope - middle) < 1 ? slope : middle;
  return { beats, slipped, resynced, residualCount: r, phaseCount: m, expectedBeats, coverage, refined };
}

/** The wide grid's beats: the period they point to, and their jitter (robust standard deviation about the grid). */
function findBeats(times: Float64Array, period: number, tol: number, scratch: Scratch): { refined: number; jitter: number } | undefined {
  const w = walk(times, period, tol, scratch, true);
  return w && { refined: w.refined, jitter: MAD_SCALE * madm(scratch.residuals, w.residualCount) };
}

/**
 * The fit of a grid. Its jitter is measured only when its evidence exceeds `jitterAbove` (the best so far): a fit
 * that cannot win is not reported, and its jitter is NaN.
 */
function evaluate(times: Float64Array, period: number, tol: number, minTol: number, scratch: Scratch, jitterAbove: number): Fit | undefined {
  const n = times.length;
  const w = walk(times, period, tol, scratch, false);
  if (w === undefined) return undefined;
  const { beats, resynced, coverage } = w;

  // Companion offsets: the densest phase clusters of the remaining events. A companion follows its own beat (a
  // retransmission, a second request), so its window stays narrow even when the beats jitter.
  const companionTol = Math.min(tol, Math.max(minTol, COMPANION_TOLERANCE * period));
  const needed = Math.max(2, Math.ceil(beats / 4));
  // Fewer phases than a cluster needs make no cluster: they are not sorted.
  const { companions, offsets: companionOffsets } =
    w.phaseCount < needed ? { companions: 0, offsets: [] } : companionsOf(sortNumbers(scratch.phases.subarray(0, w.phaseCount)), period, companionTol, needed);

  // A new phase was not where the grid said: it counts as a beat seen, not as a beat predicted.
  const explained = (beats - resynced + companions) / n;
  const chance = chanceOf(tol, companionTol, companionOffsets.length, period);
  const lower = wilsonLower(explained, n);
  const excess = chance < 1 ? Math.max(0, (lower - chance) / (1 - chance)) : 0;
  const coverageFactor = Math.min(1, coverage / FULL_COVERAGE);
  // A grid that leaves little room for chance (under half of the time) is fully credited; looser ones much less,
  // since a handful of random events fills them.
  const score = excess * coverageFactor * Math.min(1, 2 * (1 - chance));
  // Evidence per event (nats) that the events follow this grid rather than chance: a tight grid explaining 96 % of
  // the events beats a loose one explaining all of them. Simpler fits (fewer companion offsets) win near-ties.
  const evidence = information(lower, chance) * coverageFactor * (1 - 0.02 * companionOffsets.length);
  const jitter = evidence > jitterAbove ? MAD_SCALE * madm(scratch.residuals, w.residualCount) : Number.NaN;
  return {
    score,
    evidence,
    period,
    refined: w.refined,
    tolerance: tol,
    jitter,
    coverage,
    beats,
    expectedBeats: w.expectedBeats,
    slips: w.slipped,
    companions,
    companionOffsets,
    explained,
    chance,
  };
}

function bytesFigures(bytes: ArrayLike<number>): { bytesMedian: number; bytesRegularity: number } | undefined {
  const values = new Float64Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (Number.isFinite(bytes[i])) values[n++] = bytes[i];
  if (n === 0) return undefined;
  const center = median(values, n);
  const band = Math.max(16, 0.1 * center);
  let near = 0;
  for (let i = 0; i < bytes.length; i++) if (Math.abs(bytes[i] - center) <= band) near++;
  return { bytesMedian: center, bytesRegularity: near / n };
}

/** Periodicity of a pair's connection starts; see the module comment for the method. */
export function beaconScore(starts: ConnectionStarts, options: BeaconOptions = {}): BeaconScore {
  const burstWindow = options.burstWindow ?? DEFAULT_BURST_WINDOW;
  const minPeriod = Math.max(options.minPeriod ?? DEFAULT_MIN_PERIOD, burstWindow);
  const { times, connections, wholeSeconds } = toEvents(starts, burstWindow);
  const n = times.length;
  const span = n > 0 ? times[n - 1] - times[0] : 0;
  const minTol = options.minTolerance ?? (wholeSeconds ? 1 : 0.25);
  const result: BeaconScore = {
    score: 0,
    period: 0,
    jitter: 0,
    coverage: 0,
    beats: 0,
    expectedBeats: 0,
    slips: 0,
    connections,
    events: n,
    companions: 0,
    companionOffsets: [],
    outliers: n,
    explained: 0,
    chance: 0,
    tolerance: 0,
    span,
    ...(options.bytes ? bytesFigures(options.bytes) : undefined),
  };
  // Three intervals are the least that can show a repeated one.
  if (n < 4) return result;

  const scratch: Scratch = {
    residuals: new Float64Array(n),
    ratios: new Float64Array(n),
    phases: new Float64Array(n),
    wholeSeconds,
    beatTimes: new Float64Array(n),
    beatNumbers: new Float64Array(n),
    slopes: new Float64Array(n),
  };
  const candidates = periodCandidates(times, minPeriod, span / 2, minTol, new Float64Array(n));
  let best: Fit | undefined;
  let bestKey = 0;
  for (const initial of candidates) {
    // A wide grid first, to find the beats, refine the period and measure their jitter.
    const wide = findBeats(times, initial, Math.max(minTol, WIDE_TOLERANCE * initial), scratch);
    if (wide === undefined) continue;
    let period = wide.refined;
    // Then a grid just wide enough for that jitter, so that the chance share stays as low as the beacon allows.
    const tol = Math.max(minTol, Math.min(WIDE_TOLERANCE * period, JITTER_SPAN * wide.jitter));
    let fit: Fit | undefined;
    for (let pass = 0; pass < 2; pass++) {
      const next = evaluate(times, period, tol, minTol, scratch, bestKey);
      if (next === undefined) break;
      if (fit === undefined || next.evidence > fit.evidence) fit = next;
      period = next.refined;
    }
    if (fit === undefined) continue;
    if (fit.evidence > bestKey) {
      best = fit;
      bestKey = fit.evidence;
    }
  }
  if (best === undefined) return result;
  return {
    ...result,
    score: best.score,
    period: best.period,
    jitter: best.jitter,
    coverage: best.coverage,
    beats: best.beats,
    expectedBeats: best.expectedBeats,
    slips: best.slips,
    companions: best.companions,
    companionOffsets: best.companionOffsets,
    outliers: n - best.beats - best.companions,
    explained: best.explained,
    chance: best.chance,
    tolerance: best.tolerance,
  };
}
