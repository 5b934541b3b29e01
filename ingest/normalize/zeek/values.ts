/**
 * Reading Zeek values into ECS values. ECS fields get a value only when it has the right shape: the originals
 * keep whatever the sensor wrote, the ECS fields are what searches and detectors rely on.
 */
import { ipToBytes } from '../../enrich/community-id';
import { parseIsoTimestamp } from '../../parse/zeek/timestamps';
import type { ZeekValue } from '../../parse/zeek/record';

export type ZeekFields = Readonly<Record<string, ZeekValue>>;

/** A non-empty string. */
export function str(value: ZeekValue | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** A finite number (an integer beyond 2^53, which Zeek hands over as decimal text, is not one). */
export function num(value: ZeekValue | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

export function bool(value: ZeekValue | undefined): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/** The non-empty strings of a set or vector (or of a single string), undefined when there are none. */
export function strings(value: ZeekValue | undefined): string[] | undefined {
  if (typeof value === 'string') return value.length > 0 ? [value] : undefined;
  if (!Array.isArray(value)) return undefined;
  let out: string[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v === 'string' && v.length > 0) (out ??= []).push(v);
  }
  return out;
}

/** The first non-empty string of a set or vector, or the string itself. */
export function firstString(value: ZeekValue | undefined): string | undefined {
  if (!Array.isArray(value)) return str(value);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return undefined;
}

const scratch = new Uint8Array(16);

/** True when Elasticsearch's `ip` type takes the text: a plain IPv4 or IPv6 address. */
export function isIp(value: string): boolean {
  return ipToBytes(value, scratch) !== 0;
}

/** The value when it is an IP address. */
export function ip(value: ZeekValue | undefined): string | undefined {
  return typeof value === 'string' && isIp(value) ? value : undefined;
}

/** Zeek intervals are seconds; ECS durations are nanoseconds. */
export function nanoseconds(value: ZeekValue | undefined): number | undefined {
  return typeof value === 'number' && value >= 0 ? Math.round(value * 1e9) : undefined;
}

/** Start of the year 0 and of the year 10000: `Date#toISOString` writes other years in a form dates do not parse. */
const FIRST_ISO_SECOND = -62167219200;
const END_ISO_SECOND = 253402300800;

const MILLIS = Array.from({ length: 1000 }, (_, i) => `.${String(i).padStart(3, '0')}Z`);
// Log lines come in time order, many within the same second: that second's `YYYY-MM-DDTHH:MM:SS` is kept and
// only the milliseconds change, which saves most of the cost of Date#toISOString.
let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** Epoch seconds as an ISO 8601 string (millisecond precision), undefined outside the years 0 to 9999. */
export function isoFromEpoch(seconds: number, earliest = FIRST_ISO_SECOND): string | undefined {
  if (!(seconds >= earliest && seconds < END_ISO_SECOND)) return undefined;
  // Like `new Date(seconds * 1000)`, which drops the fraction of a millisecond.
  const ms = Math.trunc(seconds * 1000);
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19);
    cachedSecond = second;
  }
  return cachedPrefix + MILLIS[ms - second * 1000];
}

/**
 * A Zeek `time` as an ISO 8601 string for an ECS date field. The TSV parser gives epoch seconds; the JSON parser
 * converts only `ts`, so other times of a JSON log arrive as the ISO text Zeek wrote.
 */
export function isoTime(value: ZeekValue | undefined): string | undefined {
  if (typeof value === 'number') return isoFromEpoch(value);
  if (typeof value !== 'string') return undefined;
  const seconds = parseIsoTimestamp(value);
  return seconds === undefined ? undefined : isoFromEpoch(seconds);
}

/** A MAC address in the ECS notation: upper-case hexadecimal octets separated by hyphens. */
export function ecsMac(value: ZeekValue | undefined): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  return value.toUpperCase().replace(/:/g, '-');
}

/** The text before the first occurrence of `separator`, or all of it. */
export function before(text: string, separator: string): string {
  const at = text.indexOf(separator);
  return at < 0 ? text : text.slice(0, at);
}
