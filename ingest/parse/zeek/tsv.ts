/**
 * Zeek's default log format: `#` header lines that declare the separators, markers, path and columns,
 * then one tab-separated line per event. Parsing is driven by the header block in effect, never by
 * column position, so logs of any Zeek version, package or site customisation read the same way.
 */
import { isUtf8 } from 'node:buffer';
import { decodeHeaderValue, escapeInvalidUtf8, unescapeValue } from './escape';
import { compileFieldsBuilder, TOO_FEW_COLUMNS, type BuildCursor, type FieldsBuilder } from './fields-builder';
import type { ParseOutcome, ZeekRecord } from './record';
import { parseOpenTimestamp } from './timestamps';
import { columnConverter, type ColumnConverter, type ValueMarkers } from './types';

const HASH = 0x23;
const HEADER: ParseOutcome = Object.freeze({ kind: 'header' });
const SEPARATOR_KEY = '#separator';
/** Values quoted in error reasons are cut to this many characters: the dead letter keeps the whole line. */
const QUOTED_VALUE_LIMIT = 120;
/**
 * Two or more spaces inside one column of `#fields`: several columns joined by spaces instead of the separator.
 * The Stratosphere IoT-23 captures end their header so (`tunnel_parents   label   detailed-label`), and their
 * `#types` and every line alike. Zeek's field and type names hold no space, so the run can only be a separator.
 */
const JOINED = / {2,}/;

/** A column of the header that holds several columns joined by spaces: where it is, and how many it holds. */
interface JoinedColumn {
  index: number;
  count: number;
}

/** The columns of a header line, with those joined by spaces split apart, and where they were. */
function splitHeaderColumns(value: string, separator: string): { names: string[]; joined: JoinedColumn[] } {
  const names: string[] = [];
  const joined: JoinedColumn[] = [];
  value.split(separator).forEach((column, index) => {
    const parts = column.split(JOINED);
    if (parts.length > 1) joined.push({ index, count: parts.length });
    names.push(...parts);
  });
  return { names, joined };
}

/** The columns of a header block, built on its first data line and shared by all its records. */
interface Schema {
  names: string[];
  typeNames: string[];
  converters: ColumnConverter[];
  /** The same converters for lines without a backslash, which hold no escape to decode. */
  plainConverters: ColumnConverter[];
  build: FieldsBuilder;
  types: Readonly<Record<string, string>> | undefined;
}

interface HeaderLine {
  key: string;
  line: Buffer;
}

function quote(value: string): string {
  const cut = value.length > QUOTED_VALUE_LIMIT ? value.slice(0, QUOTED_VALUE_LIMIT) + '...' : value;
  return JSON.stringify(cut);
}

export class ZeekTsvParser {
  private readonly nameHint: string;
  private separator = '\t';
  private markers: ValueMarkers = { setSeparator: ',', emptyField: '(empty)', unsetField: '-' };
  private path: string | undefined;
  private openTs: number | undefined;
  private fieldNames: string[] | undefined;
  private typeNames: string[] | undefined;
  /** Columns of `#fields` that join several by spaces; a data line's are split the same way. */
  private joined: JoinedColumn[] = [];
  private schema: Schema | undefined;
  /** The header lines that made the block in effect, in order, to restore it in a fresh parser. */
  private headers: HeaderLine[] = [];
  /** Where the builder left off in the last line, reused rather than allocated per line. */
  private readonly cursor: BuildCursor = { end: 0 };

  /** @param nameHint log path to use when the log declares no `#path` (from the file name). */
  constructor(nameHint: string) {
    this.nameHint = nameHint;
  }

  parseLine(bytes: Buffer): ParseOutcome {
    if (bytes.length === 0) return HEADER;
    let text = bytes.toString('utf8');
    // The decoder replaces invalid bytes with U+FFFD; only then is the exact (slower) check worth it.
    if (text.indexOf('\uFFFD') >= 0 && !isUtf8(bytes)) {
      if (bytes[0] !== HASH && this.fieldNames === undefined) {
        return { kind: 'error', reason: 'line is not valid UTF-8 and no #fields header is in effect (binary data?)' };
      }
      text = escapeInvalidUtf8(bytes);
    }
    // Zeek escapes a `#` that starts a value (`\x23`), so every line starting with `#` is a header or comment.
    if (text.charCodeAt(0) === HASH) return this.header(text, bytes);
    return this.data(text);
  }

  /** The header lines of the block in effect, in order; feeding them to a fresh parser restores the block. */
  headerLines(): Buffer[] {
    return this.headers.map((h) => h.line);
  }

  private reset(): void {
    this.separator = '\t';
    this.markers = { setSeparator: ',', emptyField: '(empty)', unsetField: '-' };
    this.path = undefined;
    this.openTs = undefined;
    this.fieldNames = undefined;
    this.typeNames = undefined;
    this.joined = [];
    this.schema = undefined;
    this.headers = [];
  }

  private remember(key: string, bytes: Buffer): void {
    // #fields starts a new column list: the #types of the previous one no longer applies.
    this.headers = this.headers.filter((h) => h.key !== key && !(key === '#fields' && h.key === '#types'));
    // The line may be a view into a buffer the reader reuses; the snapshot must own its bytes.
    this.headers.push({ key, line: Buffer.from(bytes) });
  }

  private header(text: string, bytes: Buffer): ParseOutcome {
    if (text.startsWith(SEPARATOR_KEY) && (text.length === SEPARATOR_KEY.length || text.charCodeAt(10) <= 0x20)) {
      // `#separator` is the one header written before the separator is known: `#separator \x09`.
      this.reset();
      const value = decodeHeaderValue(text.slice(SEPARATOR_KEY.length + 1));
      if (value.length > 0) this.separator = value;
      this.remember(SEPARATOR_KEY, bytes);
      return HEADER;
    }
    let keyEnd = text.indexOf(this.separator);
    let valueStart = keyEnd + this.separator.length;
    if (keyEnd < 0) {
      // Some writers and test canonifiers put a space after the key (`#open XXXX-XX-XX-XX-XX-XX`).
      keyEnd = text.indexOf(' ');
      valueStart = keyEnd + 1;
      if (keyEnd < 0) keyEnd = valueStart = text.length;
    }
    const key = text.slice(0, keyEnd);
    const value = text.slice(valueStart);
    switch (key) {
      case '#set_separator':
        this.markers = { ...this.markers, setSeparator: decodeHeaderValue(value) };
        break;
      case '#empty_field':
        this.markers = { ...this.markers, emptyField: decodeHeaderValue(value) };
        break;
      case '#unset_field':
        this.markers = { ...this.markers, unsetField: decodeHeaderValue(value) };
        break;
      case '#path':
        this.path = decodeHeaderValue(value);
        break;
      case '#open':
        this.openTs = parseOpenTimestamp(value);
        break;
      case '#fields': {
        const { names, joined } = splitHeaderColumns(value, this.separator);
        this.fieldNames = names;
        this.joined = joined;
        this.typeNames = undefined;
        break;
      }
      case '#types':
        this.typeNames = splitHeaderColumns(value, this.separator).names;
        break;
      case '#close':
        // Zeek writes #close last, but tools that sort logs (btest's diff-sort, `sort` in a pipeline) move it above
        // the records: the block's schema stays in effect, so those records are still read by name. A new block
        // replaces it as usual.
        return HEADER;
      default:
        // Comments (`### BTest baseline ...`) and headers this parser has no use for.
        return HEADER;
    }
    this.schema = undefined;
    this.remember(key, bytes);
    return HEADER;
  }

  private buildSchema(names: string[]): Schema {
    const typeNames = names.map((_, i) => this.typeNames?.[i] ?? 'string');
    let types: Record<string, string> | undefined;
    if (this.typeNames !== undefined) {
      types = {};
      for (let i = 0; i < names.length; i++) types[names[i]] = typeNames[i];
      Object.freeze(types);
    }
    const converters = typeNames.map((type) => columnConverter(type, this.markers));
    const plainConverters = typeNames.map((type) => columnConverter(type, this.markers, true));
    return { names, typeNames, converters, plainConverters, build: compileFieldsBuilder(names), types };
  }

  private data(text: string): ParseOutcome {
    const names = this.fieldNames;
    if (names === undefined) return { kind: 'error', reason: 'data line before any #fields header' };
    if (this.typeNames !== undefined && this.typeNames.length !== names.length) {
      // A damaged header: which type belongs to which field cannot be known, so no record of this block is trusted.
      return {
        kind: 'error',
        reason: `broken header: #fields names ${names.length} fields but #types gives ${this.typeNames.length} types`,
      };
    }
    if (this.joined.length > 0) {
      const split = this.splitJoined(text);
      if (typeof split !== 'string') return split;
      text = split;
    }
    const schema = this.schema ?? (this.schema = this.buildSchema(names));
    // Escapes start with a backslash: one search of the line spares each text column its own search.
    const converters = text.indexOf('\\') < 0 ? schema.plainConverters : schema.converters;
    const fields = schema.build(text, this.separator, converters, this.cursor);
    if (typeof fields === 'number') return this.rejected(text, schema, fields);
    const record: ZeekRecord = { path: this.path ?? this.nameHint, fields, types: schema.types };
    const end = this.cursor.end;
    if (end < text.length) record.extra = text.slice(end + this.separator.length).split(this.separator).map(unescapeValue);
    if (this.openTs !== undefined) record.openTs = this.openTs;
    return { kind: 'record', record };
  }

  /**
   * The line with the columns that `#fields` joins by spaces split at their spaces, as the header's are; an error
   * when one of them does not hold as many values as the header joins there.
   */
  private splitJoined(text: string): string | ParseOutcome {
    const columns = text.split(this.separator);
    let column = 0;
    // The values so far: `out.length` is also the index in `#fields` of the next one.
    const out: string[] = [];
    for (const { index, count } of this.joined) {
      for (; column < index && column < columns.length; column++) out.push(columns[column]);
      if (column >= columns.length) break;
      const parts = columns[column].split(JOINED);
      if (parts.length !== count) {
        const joinedNames = this.fieldNames!.slice(out.length, out.length + count).join(', ');
        return {
          kind: 'error',
          reason: `column ${column + 1} holds ${parts.length} values separated by spaces, but #fields joins ${count} there (${joinedNames})`,
        };
      }
      out.push(...parts);
      column++;
    }
    for (; column < columns.length; column++) out.push(columns[column]);
    return out.join(this.separator);
  }

  /** The error of a line the builder refused; split only here, as errors are rare. */
  private rejected(text: string, schema: Schema, column: number): ParseOutcome {
    const columns = text.split(this.separator);
    const count = schema.names.length;
    // Checked first, as a truncated line may also have cut a value short.
    if (column === TOO_FEW_COLUMNS || columns.length < count) {
      return { kind: 'error', reason: `line has ${columns.length} columns but #fields declares ${count} (truncated line?)` };
    }
    return {
      kind: 'error',
      reason: `field ${schema.names[column]} of type ${schema.typeNames[column]} has invalid value ${quote(columns[column])}`,
    };
  }
}
