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
  if (text.length < 16) return +text;
  const n = +text;
  return Number.isSafeInteger(n) ? n : text;
}

function toCount(text: string): Converted {
  return isDigits(text, 0) ? integerValue(text) : INVALID;
}

function toInt(text: string): Converted {
  return isDigits(text, text.charCodeAt(0) === 0x2d ? 1 : 0) ? integerValue(text) : INVALID;
}

/** Zeek writes infinite and NaN doubles as `inf`, `-inf`, `nan`; its JSON writer makes them null: absent. */
const NON_FINITE = new Set(['inf', '-inf', 'nan', '-nan']);

function toDouble(text: string): Converted {
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
  if (text.length === 0) return undefined;
  const n = +text;
  return Number.isFinite(n) ? n : undefined;
}

function toBool(text: string): Converted {
  if (text === 'T') return true;
  if (text === 'F') return false;
  return INVALID;
}

function scalarConverter(type: string): ScalarConverter {
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
      return unescapeValue;
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
 */
export function columnConverter(type: string, markers: ValueMarkers): ColumnConverter {
  const element = elementType(type);
  return element === undefined ? scalarColumn(type, markers) : containerColumn(element, markers);
}

/**
 * One function literal per type, rather than one that calls `scalarConverter(type)`, so that each
 * call site sees a single converter and V8 can inline it.
 */
function scalarColumn(type: string, { emptyField, unsetField }: ValueMarkers): ColumnConverter {
  const scalar = scalarConverter(type);
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
    default:
      return (text) => (text === unsetField ? undefined : text === emptyField ? '' : unescapeValue(text));
  }
}

function containerColumn(element: string, { setSeparator, emptyField, unsetField }: ValueMarkers): ColumnConverter {
  const convertElement = scalarConverter(element);
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
