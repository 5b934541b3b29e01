/** The textual timestamp forms Zeek writes, read into epoch seconds. */

/** Date.UTC reads the years 0 to 99 as 1900 to 1999; such years are set explicitly. */
function utcMilliseconds(year: number, month: number, day: number, hour: number, minute: number, sec: number): number {
  if (year >= 100 || year < 0) return Date.UTC(year, month - 1, day, hour, minute, sec);
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, sec));
  date.setUTCFullYear(year);
  return date.getTime();
}

const OPEN_FORMAT = /^(\d{4})-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$/;

/**
 * `#open 2017-03-08-13-47-04` -> epoch seconds. Zeek writes the sensor's local time without a zone;
 * it is read as UTC, which is what sensors are normally set to. A masked (`XXXX-XX-XX-XX-XX-XX`) or
 * malformed value gives undefined.
 */
export function parseOpenTimestamp(text: string): number | undefined {
  const m = OPEN_FORMAT.exec(text);
  if (m === null) return undefined;
  const ms = utcMilliseconds(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6]);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

const ISO_FORMAT = /^([+-]?\d{4,6})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d(?::?\d\d)?)?$/i;

/**
 * ISO 8601 as Zeek's JSON writer writes it with `JSON::TS_ISO8601` (`2018-03-24T17:15:20.865716Z`)
 * -> epoch seconds, keeping the microseconds that `Date.parse` would round away. A missing zone means
 * UTC. Anything else gives undefined.
 */
export function parseIsoTimestamp(text: string): number | undefined {
  const m = ISO_FORMAT.exec(text);
  if (m === null) return undefined;
  const month = +m[2];
  const day = +m[3];
  const hour = +m[4];
  const minute = +m[5];
  const second = +m[6];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  let seconds = utcMilliseconds(+m[1], month, day, hour, minute, second) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone.charCodeAt(0) === 0x2d ? -1 : 1;
    const digits = zone.replace(':', '');
    const offsetMinutes = +digits.slice(1, 3) * 60 + (digits.length > 3 ? +digits.slice(3, 5) : 0);
    seconds -= sign * offsetMinutes * 60;
  }
  return m[7] === undefined ? seconds : seconds + +m[7];
}

/** Epoch times with a magnitude above this are milliseconds: 1e11 seconds is the year 5138, 1e11 ms is 1973. */
const MILLISECONDS_THRESHOLD = 1e11;
const TWO_TO_63 = 2n ** 63n;
const TWO_TO_64 = 2n ** 64n;

function fromEpochNumber(value: number): number | undefined {
  if (!Number.isFinite(value)) return undefined;
  return Math.abs(value) > MILLISECONDS_THRESHOLD ? value / 1000 : value;
}

/**
 * A JSON time as Zeek's `JSON::TimestampFormat` options write it -> epoch seconds: epoch seconds
 * (`TS_EPOCH`), integer milliseconds (`TS_MILLIS`), milliseconds of a negative time wrapped to an
 * unsigned 64-bit integer (`TS_MILLIS_UNSIGNED`, given as its exact decimal text since it is beyond
 * 2^53), or an ISO 8601 string (`TS_ISO8601`). Anything else gives undefined.
 */
export function jsonTimeToEpochSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') {
    // A wrapped negative time that reached here as a rounded number is still best read as negative.
    return value >= 2 ** 63 ? (value - 2 ** 64) / 1000 : fromEpochNumber(value);
  }
  if (typeof value !== 'string') return undefined;
  const iso = parseIsoTimestamp(value);
  if (iso !== undefined) return iso;
  if (/^-?\d+$/.test(value)) {
    let integer = BigInt(value);
    if (integer >= TWO_TO_63) integer -= TWO_TO_64;
    return fromEpochNumber(Number(integer));
  }
  return value.length > 0 ? fromEpochNumber(+value) : undefined;
}
