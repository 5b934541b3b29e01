/**
 * Zeek's JSON log format (`LogAscii::use_json`): one object per line, field names as Zeek writes them
 * (`id.orig_h`), `_path` and `_write_ts` when the writer adds them. Strings are already in the form the
 * TSV parser produces (see `escape.ts`), so they are taken as they are.
 */
import { isUtf8 } from 'node:buffer';
import type { ParseOutcome, ZeekRecord, ZeekValue } from './record';
import { jsonTimeToEpochSeconds } from './timestamps';

const HEADER: ParseOutcome = Object.freeze({ kind: 'header' });
/** Fields holding the event time and the writer's time, read whatever JSON timestamp format was chosen. */
const TIME_FIELDS = ['ts', '_write_ts'];

type JsonObject = { [key: string]: unknown };

function isPlainObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** True when a parsed value is already a ZeekValue: no null, no nested object, integers exact. */
function isZeekValue(value: unknown): boolean {
  if (typeof value === 'number') return Number.isSafeInteger(value) || !Number.isInteger(value);
  if (!Array.isArray(value)) return value !== null && typeof value !== 'object';
  for (let i = 0; i < value.length; i++) if (!isZeekValue(value[i])) return false;
  return true;
}

/**
 * The digits an integer beyond 2^53 was written with, found after its key in the line: JSON.parse
 * rounds such numbers, the contract keeps them exact as decimal text. Undefined when not found.
 */
function exactIntegerText(line: string, key: string): string | undefined {
  const needle = JSON.stringify(key) + ':';
  const at = line.indexOf(needle);
  if (at < 0) return undefined;
  const m = /^\s*(-?\d+)\s*[,}\]]/.exec(line.slice(at + needle.length, at + needle.length + 400));
  return m === null ? undefined : m[1];
}

function toZeekValue(value: unknown, key: string, line: string): ZeekValue | undefined {
  if (value === null) return undefined;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) return exactIntegerText(line, key) ?? value;
    return value;
  }
  if (Array.isArray(value)) {
    // Like an unset element of a TSV vector, a null element is left out.
    const out: ZeekValue[] = [];
    for (const element of value) {
      const converted = isPlainObject(element) ? JSON.stringify(element) : toZeekValue(element, key, line);
      if (converted !== undefined) out.push(converted);
    }
    return out;
  }
  return value as string | boolean;
}

/** Flattens nested objects to dotted names (`{"id":{"orig_h":..}}` -> `id.orig_h`) and drops nulls. */
function flatten(source: JsonObject, prefix: string, line: string, into: Record<string, ZeekValue>): void {
  for (const key in source) {
    const value = source[key];
    if (isPlainObject(value)) {
      flatten(value, prefix + key + '.', line, into);
      continue;
    }
    const converted = toZeekValue(value, key, line);
    if (converted === undefined) continue;
    const name = prefix + key;
    // Assigning `__proto__` would replace the prototype instead of adding the field.
    if (name === '__proto__') {
      Object.defineProperty(into, name, { value: converted, enumerable: true, writable: true, configurable: true });
    } else into[name] = converted;
  }
}

export class ZeekJsonParser {
  private readonly nameHint: string;

  /** @param nameHint log path to use when a line has no `_path` (from the file name). */
  constructor(nameHint: string) {
    this.nameHint = nameHint;
  }

  parseLine(bytes: Buffer): ParseOutcome {
    let start = 0;
    while (start < bytes.length && (bytes[start] === 0x20 || bytes[start] === 0x09)) start++;
    // Blank lines carry nothing; `#` lines are comments such as btest's `### BTest baseline` first line.
    if (start === bytes.length || bytes[start] === 0x23) return HEADER;
    const line = bytes.toString('utf8');
    if (line.indexOf('\uFFFD') >= 0 && !isUtf8(bytes)) {
      return { kind: 'error', reason: 'line is not valid UTF-8 (Zeek JSON escapes every byte that is not)' };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      return { kind: 'error', reason: `invalid JSON: ${(err as Error).message}` };
    }
    if (!isPlainObject(parsed)) return { kind: 'error', reason: 'JSON line is not an object' };

    let fields: Record<string, ZeekValue>;
    let clean = true;
    for (const key in parsed) {
      if (!isZeekValue(parsed[key])) {
        clean = false;
        break;
      }
    }
    if (clean) {
      // The common case: the parsed object already is the field map.
      fields = parsed as Record<string, ZeekValue>;
    } else {
      fields = {};
      flatten(parsed, '', line, fields);
    }
    for (const name of TIME_FIELDS) {
      const value = fields[name];
      if (value === undefined) continue;
      const seconds = jsonTimeToEpochSeconds(value);
      // An unreadable time is left absent, as in TSV: the normalizer has a fallback time for it.
      if (seconds === undefined) delete fields[name];
      else fields[name] = seconds;
    }
    const path = fields._path;
    const record: ZeekRecord = { path: typeof path === 'string' && path.length > 0 ? path : this.nameHint, fields };
    return { kind: 'record', record };
  }

  /** JSON lines carry no header: any line can be parsed by a fresh parser. */
  headerLines(): Buffer[] {
    return [];
  }
}
