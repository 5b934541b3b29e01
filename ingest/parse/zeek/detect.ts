/** Which of Zeek's two log formats a file is written in, decided from its first line. */
import { ZeekJsonParser } from './json';
import { knownSchema, type KnownSchema } from './known-schemas';
import { ZeekTsvParser } from './tsv';
import type { ParseOutcome } from './record';

const OPENING_BRACE = 0x7b;

function startsWithBrace(line: Buffer): boolean {
  let i = 0;
  // A UTF-8 byte order mark and leading blanks are not content.
  if (line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf) i = 3;
  while (i < line.length && (line[i] === 0x20 || line[i] === 0x09)) i++;
  return line[i] === OPENING_BRACE;
}

/**
 * A parser for a file, chosen by `firstLine`: JSON when it starts with `{`, TSV otherwise.
 *
 * Zeek writes `#separator` as the first line of a TSV log and an object as the first line of a JSON
 * log, so the first line of a Zeek file decides. Files that start with some other comment (btest
 * baselines: `### BTest baseline ...`) should be probed with their first line that does not start
 * with `#`; a file with no such line yet is TSV until shown otherwise.
 */
export function createZeekParser(nameHint: string, firstLine: Buffer): ZeekTsvParser | ZeekJsonParser {
  return startsWithBrace(firstLine) ? new ZeekJsonParser(nameHint) : new ZeekTsvParser(nameHint);
}

const HASH = 0x23;
const TAB = 0x09;
const FIELDS_KEY = Buffer.from('#fields');

function startsWith(line: Buffer, prefix: Buffer): boolean {
  return line.length >= prefix.length && line.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

function columnCount(line: Buffer): number {
  let count = 1;
  for (let i = line.indexOf(TAB); i >= 0; i = line.indexOf(TAB, i + 1)) count++;
  return count;
}

/** The header block Zeek would have written for `schema` with its default separators and markers. */
function headerBlock(path: string, schema: KnownSchema): Buffer[] {
  return [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    `#path\t${path}`,
    `#fields\t${schema.fields.join('\t')}`,
    `#types\t${schema.types.join('\t')}`,
  ].map((line) => Buffer.from(line));
}

/**
 * A parser that decides the format on the first line that is not a `#` comment, so that a JSON log preceded by
 * comments is still read as JSON. Header lines seen before that are kept and handed to the TSV parser once chosen.
 *
 * A TSV log whose first data line comes before any `#fields` header was written without its header block: Zeek does
 * that with `LogAscii::include_meta = F`, and `zeek-cut` output has none either. When the file name's log path and
 * the line's column count match a known record version (`known-schemas.ts`), the block Zeek would have written is
 * synthesized and fed to the TSV parser first, so the log reads as if it had it and `headerLines()` restores it.
 * Otherwise the TSV parser reports the line as one without a header, as for any other headerless file.
 */
export class ZeekLogParser {
  private parser: ZeekTsvParser | ZeekJsonParser | undefined;
  private readonly early: Buffer[] = [];

  constructor(private readonly nameHint: string) {}

  parseLine(bytes: Buffer): ParseOutcome {
    if (this.parser) return this.parser.parseLine(bytes);
    if (bytes.length === 0 || bytes[0] === HASH) {
      // Copied: the source may reuse the buffer behind `bytes`.
      this.early.push(Buffer.from(bytes));
      return { kind: 'header' };
    }
    const parser = createZeekParser(this.nameHint, bytes);
    this.parser = parser;
    for (const line of this.early) parser.parseLine(line);
    if (parser instanceof ZeekTsvParser && !this.early.some((line) => startsWith(line, FIELDS_KEY))) {
      const schema = knownSchema(this.nameHint, columnCount(bytes));
      if (schema !== undefined) for (const line of headerBlock(this.nameHint, schema)) parser.parseLine(line);
    }
    this.early.length = 0;
    return parser.parseLine(bytes);
  }

  headerLines(): Buffer[] {
    return this.parser ? this.parser.headerLines() : [...this.early];
  }
}
