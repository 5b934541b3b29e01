/**
 * Conversion of TSV column text to typed values, one converter per column built once per header
 * block from its `#types` entry. See `ZeekRecord.fields` for the value each Zeek type becomes.
 */
import { unescapeValue } from './escape';
import type { ZeekValue } from './record';

/** What a converter returns for text that is not a value of its type. */
export const INVALID: unique symbol = Symbol('invalid Zeek value');

/** A converted value, `undefined` for a field that is absent, or `INVALID`. */
export type Converted = ZeekValue | undefined | typeof INVALID;
export type ColumnConverter = (text: string) => Converted;

/** The markers a header block declares (`#set_separator`, `#empty_field`, `#unset_field`). */
export interface ValueMarkers {
  setSeparator: string;
  emptyField: string;
  unsetField: string;
}

type ScalarConverter = (text: string) => Converted;

/** 10^0 to 10^22, all exact doubles. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * The value of a decimal number (`digits` or `digits.digits`, no sign, at least one digit on each side of the
 * point) read from its characters, or NaN when the text is not in that form or the value is not exact.
 *
 * Why not just `+text`: converting a string to a number goes through V8's general parser, and Zeek's counts,
 * ports and times are most of a log's columns. The result is the same number: the digits without the point form
 * an integer N that is exact as long as N <= 2^53 - 1, 10^k is exact for k <= 22, and IEEE division is correctly
 * rounded, so N / 10^k is the double nearest the decimal, which is what `+text` gives (Clinger's fast path).
 */
function plainDecimal(text: string): number {
  const length = text.length;
  let n = 0;
  let point = -1;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) n = n * 10 + (c - 0x30);
    else if (c === 0x2e && point < 0 && i > 0 && i < length - 1) point = i;
    else return Number.NaN;
  }
  // Every partial value is below the final one, so all of them were exact when the final one is.
  if (length === 0 || n > Number.MAX_SAFE_INTEGER) return Number.NaN;
  if (point < 0) return n;
  const decimals = length - point - 1;
  return decimals < POWERS_OF_TEN.length ? n / POWERS_OF_TEN[decimals] : Number.NaN;
}

function isDigits(text: string, from: number): boolean {
  if (from >= text.length) return false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Integers beyond 2^53 keep their exact decimal text rather than a rounded number. */
function integerValue(text: string): ZeekValue {
  const n = +text;
  return Number.isSafeInteger(n) ? n : text;
}

/**
 * The digits of text[from..] as a number, read while checking them (fewer than 16 digits are always exact, and
 * give what `+text` gives), or INVALID when there are none or something else is there.
 */
function shortIntegerValue(text: string, from: number): Converted {
  const length = text.length;
  if (from >= length) return INVALID;
  let n = 0;
  for (let i = from; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return INVALID;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

function toCount(text: string): Converted {
  if (text.length < 16) return shortIntegerValue(text, 0);
  return isDigits(text, 0) ? integerValue(text) : INVALID;
}

function toInt(text: string): Converted {
  const negative = text.charCodeAt(0) === 0x2d;
  if (text.length < 16) {
    const n = shortIntegerValue(text, negative ? 1 : 0);
    return negative && typeof n === 'number' ? -n : n;
  }
  return isDigits(text, negative ? 1 : 0) ? integerValue(text) : INVALID;
}

/** Zeek writes infinite and NaN doubles as `inf`, `-inf`, `nan`; its JSON writer makes them null: absent. */
const NON_FINITE = new Set(['inf', '-inf', 'nan', '-nan']);

function toDouble(text: string): Converted {
  const plain = plainDecimal(text);
  if (plain === plain) return plain;
  if (text.length === 0) return INVALID;
  const n = +text;
  if (Number.isFinite(n)) return n;
  return NON_FINITE.has(text) ? undefined : INVALID;
}

/**
 * A time that does not read as a number (btest's masked `XXXXXXXXXX.XXXXXX`) is left absent rather
 * than failing the record: the normalizer has a fallback time for it.
 */
function toTime(text: string): Converted {
  const plain = plainDecimal(text);
  if (plain === plain) return plain;
  if (text.length === 0) return undefined;
  const n = +text;
  return Number.isFinite(n) ? n : undefined;
}

function toBool(text: string): Converted {
  if (text === 'T') return true;
  if (text === 'F') return false;
  return INVALID;
}

/** Text of a line without any backslash: there is no escape to decode. */
function asText(text: string): string {
  return text;
}

/** @param plain the text is known to hold no backslash (see `columnConverter`). */
function scalarConverter(type: string, plain: boolean): ScalarConverter {
  switch (type) {
    case 'time':
      return toTime;
    case 'interval':
    case 'double':
      return toDouble;
    case 'count':
    case 'counter':
    case 'port':
      return toCount;
    case 'int':
      return toInt;
    case 'bool':
      return toBool;
    default:
      // addr, subnet, enum, string, pattern and any type this parser does not know are text.
      return plain ? asText : unescapeValue;
  }
}

/** `set[string]` -> `string`, or undefined when the type is not a container. */
function elementType(type: string): string | undefined {
  const open = type.indexOf('[');
  if (open < 0 || type.charCodeAt(type.length - 1) !== 0x5d) return undefined;
  const container = type.slice(0, open);
  if (container !== 'set' && container !== 'vector' && container !== 'table') return undefined;
  return type.slice(open + 1, -1);
}

/**
 * The converter of one column. Unset and empty markers are compared with the text before it is
 * unescaped: Zeek writes a value that happens to equal a marker escaped (`\x2d` for a literal `-`).
 *
 * @param plain the converter is only given text without a backslash, so it skips looking for escapes. Most
 *   lines hold none: the parser looks once per line and picks the plain converters when it finds none, rather
 *   than having every text column of the line searched on its own.
 */
export function columnConverter(type: string, markers: ValueMarkers, plain = false): ColumnConverter {
  const element = elementType(type);
  return element === undefined ? scalarColumn(type, markers, plain) : containerColumn(element, markers, plain);
}

/**
 * One function literal per type, rather than one that calls `scalarConverter(type)`, so that each
 * call site sees a single converter and V8 can inline it.
 */
function scalarColumn(type: string, { emptyField, unsetField }: ValueMarkers, plain: boolean): ColumnConverter {
  const scalar = scalarConverter(type, plain);
  switch (scalar) {
    case toTime:
      return (text) => (text === unsetField ? undefined : toTime(text));
    case toDouble:
      return (text) => (text === unsetField ? undefined : toDouble(text));
    case toCount:
      return (text) => (text === unsetField ? undefined : toCount(text));
    case toInt:
      return (text) => (text === unsetField ? undefined : toInt(text));
    case toBool:
      return (text) => (text === unsetField ? undefined : toBool(text));
    case asText:
      return (text) => (text === unsetField ? undefined : text === emptyField ? '' : text);
    default:
      return (text) => (text === unsetField ? undefined : text === emptyField ? '' : unescapeValue(text));
  }
}

function containerColumn(
  element: string,
  { setSeparator, emptyField, unsetField }: ValueMarkers,
  plain: boolean,
): ColumnConverter {
  const convertElement = scalarConverter(element, plain);
  return (text) => {
    if (text === unsetField) return undefined;
    if (text === emptyField) return [];
    const parts = text.split(setSeparator);
    const values: ZeekValue[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      // An unset element of a vector is written as the unset marker; like JSON's null it is left out.
      if (part === unsetField) continue;
      const value = convertElement(part);
      if (value === INVALID) return INVALID;
      if (value !== undefined) values.push(value);
    }
    return values;
  };
}
