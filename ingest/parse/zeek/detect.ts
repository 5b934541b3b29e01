/** Which of Zeek's two log formats a file is written in, decided from its first line. */
import { ZeekJsonParser } from './json';
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

/**
 * A parser that decides the format on the first line that is not a `#` comment, so that a JSON log preceded by
 * comments is still read as JSON. Header lines seen before that are kept and handed to the TSV parser once chosen.
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
    this.parser = createZeekParser(this.nameHint, bytes);
    for (const line of this.early) this.parser.parseLine(line);
    this.early.length = 0;
    return this.parser.parseLine(bytes);
  }

  headerLines(): Buffer[] {
    return this.parser ? this.parser.headerLines() : [...this.early];
  }
}
