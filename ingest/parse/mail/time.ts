/**
 * Time arithmetic for mail log headers: wall-clock times in an IANA zone, the year of yearless syslog dates, and
 * TAI64N labels. Called once per line, so the zone offsets are cached and nothing here allocates on a cache hit.
 */
import { ConfigError } from '../../../common/errors';
import type { TimeContext } from './types';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

/**
 * Days from 1970-01-01 to a proleptic Gregorian date, month 1 to 12 (H. Hinnant's `days_from_civil`): arithmetic
 * only, where `Date.UTC` is a call into the runtime, and this runs once per line.
 */
function daysFromCivil(y: number, mo: number, d: number): number {
  const year = mo <= 2 ? y - 1 : y;
  const era = Math.floor(year / 400);
  const yearOfEra = year - era * 400;
  const dayOfYear = Math.floor((153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5) + d - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/**
 * Epoch ms of a UTC date and time whose fields are in range (month 1 to 12; a day past the month's end, or second
 * 60, runs on into the next as with `Date.UTC`). Date.UTC reads the years 0 to 99 as 1900 to 1999; such years are
 * set explicitly.
 */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (y >= 100 && y <= 9999 && mo >= 1 && mo <= 12) return daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * 60_000 + s * SECOND + ms;
  if (y >= 100 || y < 0) return Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, ms));
  date.setUTCFullYear(y);
  return date.getTime();
}

/**
 * The wall-clock hours of a zone already resolved, by `floor(wall time read as UTC / 1 hour)`, and the offset
 * (wall minus UTC, ms) that applies throughout that hour. NaN marks an hour in which the offset changes (a
 * transition that is not on the hour, as on Lord Howe Island): those are resolved on every call.
 */
interface Zone {
  format: Intl.DateTimeFormat;
  hours: Map<number, number>;
}

/** Enough for years of hourly logs; a long-running reader of a wide time range starts over rather than growing. */
const MAX_CACHED_HOURS = 100_000;

const zones = new Map<string, Zone>();
let lastZoneName = '';
let lastZone: Zone | undefined;

function zoneNamed(timeZone: string): Zone {
  if (timeZone === lastZoneName && lastZone !== undefined) return lastZone;
  let zone = zones.get(timeZone);
  if (zone === undefined) {
    zone = { format: formatterFor(timeZone), hours: new Map() };
    zones.set(timeZone, zone);
  }
  lastZoneName = timeZone;
  lastZone = zone;
  return zone;
}

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch (err) {
    throw unknownZone(timeZone, err);
  }
}

function unknownZone(timeZone: string, cause: unknown): ConfigError {
  return new ConfigError(
    `unknown time zone "${timeZone}": expected an IANA zone name such as "UTC" or "Europe/Berlin"`,
    { timeZone },
    cause,
  );
}

/** Wall clock minus UTC, in ms, at the instant `t`. */
function offsetAt(zone: Zone, t: number): number {
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let s = 0;
  for (const part of zone.format.formatToParts(t)) {
    switch (part.type) {
      case 'year':
        y = +part.value;
        break;
      case 'month':
        mo = +part.value;
        break;
      case 'day':
        d = +part.value;
        break;
      case 'hour':
        h = +part.value;
        break;
      case 'minute':
        mi = +part.value;
        break;
      case 'second':
        s = +part.value;
        break;
    }
  }
  return utcMs(y, mo, d, h, mi, s, 0) - Math.floor(t / SECOND) * SECOND;
}

/**
 * The offset to subtract from the wall time `wall` (read as UTC) to get its instant. Where the wall time happened
 * twice (clocks set back), the earlier instant is taken; where it never happened (clocks set forward), the offset
 * in force before the change is applied, which moves the time forward by the length of the gap: 02:30 on the
 * morning Central Europe springs forward is read as 03:30 summer time. This is what Temporal calls the
 * `compatible` disambiguation and what `new Date(y, m, d, h)` does in a local zone, so a user who checks a
 * timestamp with either finds the same answer.
 */
function resolveOffset(zone: Zone, wall: number): number {
  const before = offsetAt(zone, wall - DAY);
  const after = offsetAt(zone, wall + DAY);
  const beforeFits = offsetAt(zone, wall - before) === before;
  const afterFits = after === before ? beforeFits : offsetAt(zone, wall - after) === after;
  // The larger offset gives the earlier instant.
  if (beforeFits && afterFits) return before > after ? before : after;
  if (afterFits) return after;
  return before;
}

/**
 * A wall-clock time in `timeZone` (month 1 to 12) as epoch ms. The offset found for a wall-clock hour is kept, so a
 * log of many lines costs one map lookup per line. Gaps and repeated hours at clock changes: see `resolveOffset`.
 * Throws a `ConfigError` for an unknown zone (check configuration with `validateZone` first).
 */
export function localToEpoch(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  timeZone: string,
): number {
  const wall = utcMs(y, mo, d, h, mi, s, ms);
  if (timeZone === 'UTC') return wall;
  const zone = zoneNamed(timeZone);
  const key = Math.floor(wall / HOUR);
  let offset = zone.hours.get(key);
  if (offset === undefined) {
    const start = key * HOUR;
    const atStart = resolveOffset(zone, start);
    offset = resolveOffset(zone, start + HOUR - 1) === atStart ? atStart : NaN;
    if (zone.hours.size >= MAX_CACHED_HOURS) zone.hours.clear();
    zone.hours.set(key, offset);
  }
  return wall - (Number.isNaN(offset) ? resolveOffset(zone, wall) : offset);
}

let lastReference = NaN;
let lastReferenceZone = '';
let lastReferenceYear = 0;

/** The calendar year of `time.reference` on the wall clocks of `time.timeZone`. */
function referenceYear(time: TimeContext): number {
  if (time.reference === lastReference && time.timeZone === lastReferenceZone) return lastReferenceYear;
  const offset = time.timeZone === 'UTC' ? 0 : offsetAt(zoneNamed(time.timeZone), time.reference);
  lastReferenceYear = new Date(time.reference + offset).getUTCFullYear();
  lastReference = time.reference;
  lastReferenceZone = time.timeZone;
  return lastReferenceYear;
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** The latest year not after `y` that has the date `mo`/`d`: only 29 February is missing from some years. */
function yearWithDate(y: number, mo: number, d: number): number {
  if (mo !== 2 || d !== 29) return y;
  while (!isLeapYear(y)) y--;
  return y;
}

/**
 * A yearless wall-clock time (syslog `Dec 31 23:59:59`) as epoch ms: in the year of `time.reference`, or in the
 * year before when that would put it more than a day after the reference. Logs are read after they are written, so
 * a date far after the reference belongs to last year: December lines read in January. The day of slack keeps
 * lines from a host whose clock runs a little ahead, or in a zone east of the reader's, in the current year.
 */
export function yearlessToEpoch(
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  time: TimeContext,
): number {
  let year = yearWithDate(referenceYear(time), mo, d);
  let epoch = localToEpoch(year, mo, d, h, mi, s, ms, time.timeZone);
  if (epoch > time.reference + DAY) {
    year = yearWithDate(year - 1, mo, d);
    epoch = localToEpoch(year, mo, d, h, mi, s, ms, time.timeZone);
  }
  return epoch;
}

/** Hex digit value of a character code, or -1. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** The value of the `count` hex digits at `start` (at most 8, so it stays exact), or -1 if one is not hex. */
function hexAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const digit = hexDigit(text.charCodeAt(i));
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** 2^62 + 10, the label of 1970-01-01 00:00:00 UTC, is `4000000000000000` + 10 s. */
const TAI64_EPOCH_HIGH = 0x40000000;
const TAI_MINUS_UTC_1970 = 10;

/**
 * The 24 hex digits of a TAI64N label (`4000000063a1b2c3` seconds, then 8 digits of nanoseconds) at `start` of
 * `text`, without the `@`, as epoch ms; undefined when they are not hex or the label is outside 1970 to 2106.
 *
 * A label is TAI seconds + 2^62. TAI ran 10 s ahead of UTC in 1972 and 37 s ahead since 2017, but daemontools'
 * `tai64n`, multilog and s6 write `2^62 + 10 + time()`, ignoring the later leap seconds, and `tai64nlocal` subtracts
 * the same 2^62 + 10. Doing as `tai64nlocal` does gives back the writer's own clock, which is what the other lines of
 * the log are compared with.
 */
export function tai64nToEpoch(text: string, start: number): number | undefined {
  if (text.length < start + 24 || hexAt(text, start, 8) !== TAI64_EPOCH_HIGH) return undefined;
  const seconds = hexAt(text, start + 8, 8);
  const nanoseconds = hexAt(text, start + 16, 8);
  if (seconds < 0 || nanoseconds < 0 || nanoseconds > 999_999_999) return undefined;
  return (seconds - TAI_MINUS_UTC_1970) * SECOND + Math.floor(nanoseconds / 1_000_000);
}

/**
 * Checks a configured zone name at start-up, so that a typo fails with a message naming it rather than on the first
 * line read. Returns the zone's canonical name (`utc` -> `UTC`), which is the name to keep: `UTC` takes a fast path.
 */
export function validateZone(name: string): string {
  return formatterFor(name).resolvedOptions().timeZone;
}
