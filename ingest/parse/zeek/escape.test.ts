import fc from 'fast-check';
import { join } from 'node:path';
import { ZEEK_CORPUS, readLog } from '../../../test/support/corpus';
import { decodeHeaderValue, escapeInvalidUtf8, unescapeValue } from './escape';

const LOGGING = join(ZEEK_CORPUS, 'zeek-btest-baseline/testing/btest/Baseline/scripts.base.frameworks.logging');

/** The `s` values of a btest JSON log, in order. */
function stringsOf(file: string): string[] {
  return readLog(file)
    .toString('utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { s: string }).s);
}

describe('unescapeValue', () => {
  it("gives for every TSV-escaped string what Zeek's JSON writer writes for the same string", () => {
    // Zeek's own test writes the same strings (controls, invalid and valid UTF-8, literal backslashes)
    // once escaped as in TSV logs and once with the default JSON escaping.
    const tsvEscaped = stringsOf(`${LOGGING}.ascii-json-utf8/ssh.log.tsv`);
    const jsonWriter = stringsOf(`${LOGGING}.ascii-json-utf8/ssh.log.hex`);
    expect(tsvEscaped).toHaveLength(49);
    expect(jsonWriter).toHaveLength(tsvEscaped.length);
    expect(tsvEscaped.map(unescapeValue)).toEqual(jsonWriter);
  });

  it('returns a value without backslash unchanged', () => {
    const [plain] = stringsOf(`${LOGGING}.ascii-json-utf8/ssh.log.tsv`);
    expect(unescapeValue(plain)).toBe(plain);
  });
});

describe('decodeHeaderValue', () => {
  it('decodes the escaped separators of real headers', () => {
    const headers = (name: string): Map<string, string> =>
      new Map(
        readLog(`${LOGGING}.${name}`)
          .toString('utf8')
          .split('\n')
          .filter((l) => l.startsWith('#'))
          .map((l) => [l.slice(0, l.search(/[\t ]/)), l.slice(l.search(/[\t ]/) + 1)]),
      );
    const escaped = headers('ascii-utf8-enabled-set-separator-escape/test.log');
    expect(decodeHeaderValue(escaped.get('#separator') as string)).toBe('\t');
    expect(decodeHeaderValue(escaped.get('#set_separator') as string)).toBe('®');
    expect(decodeHeaderValue(headers('ascii-escape/ssh.log').get('#separator') as string)).toBe('||');
  });
});

describe('escapeInvalidUtf8', () => {
  it('leaves a valid UTF-8 line as its text', () => {
    for (const line of readLog(`${LOGGING}.ascii-utf8-enabled/test.log`).toString('utf8').split('\n')) {
      expect(escapeInvalidUtf8(Buffer.from(line))).toBe(line);
    }
  });

  it('loses no byte: the escaped line reads back as the bytes it came from', () => {
    const bytesOf = (value: string): Buffer =>
      Buffer.concat(
        value.split(/(\\x[0-9a-f]{2})/).map((part) =>
          part.startsWith('\\x') ? Buffer.from([parseInt(part.slice(2), 16)]) : Buffer.from(part),
        ),
      );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (array) => {
        // A backslash in a raw line is not an escape the writer made; Zeek writes it as `\\`.
        const raw = Buffer.from(array.filter((b) => b !== 0x5c));
        expect(bytesOf(unescapeValue(escapeInvalidUtf8(raw)))).toEqual(raw);
      }),
    );
  });
});
