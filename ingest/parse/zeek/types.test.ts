import { join } from 'node:path';
import { ZEEK_CORPUS, readLog } from '../../../test/support/corpus';
import { columnConverter, INVALID } from './types';

const BASELINE = join(ZEEK_CORPUS, 'zeek-btest-baseline/testing/btest/Baseline');
const MARKERS = { setSeparator: ',', emptyField: '(empty)', unsetField: '-' };

describe('columnConverter', () => {
  it('keeps a count beyond 2^53 as its exact decimal text', () => {
    // The content length Zeek reported in this weird, 2^64 - 1.
    const weird = readLog(join(BASELINE, 'scripts.base.protocols.http.261.cl-uint64max/weird.log')).toString('utf8');
    const text = /\t(\d{16,})\t/.exec(weird)?.[1] as string;
    expect(text).toBe((2n ** 64n - 1n).toString());
    expect(columnConverter('count', MARKERS)(text)).toBe(text);
    expect(columnConverter('count', MARKERS)(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('rejects text that is not a value of the type, and an empty column for numbers', () => {
    expect(columnConverter('count', MARKERS)('')).toBe(INVALID);
    expect(columnConverter('count', MARKERS)('-1')).toBe(INVALID);
    expect(columnConverter('int', MARKERS)('-42')).toBe(-42);
    expect(columnConverter('bool', MARKERS)('true')).toBe(INVALID);
    expect(columnConverter('interval', MARKERS)('')).toBe(INVALID);
    expect(columnConverter('vector[count]', MARKERS)('1,x')).toBe(INVALID);
  });
});

describe('number columns', () => {
  /** Decimal texts of the shapes Zeek writes and around the limits of exact reading, in a fixed pseudo-random mix. */
  function decimalTexts(): string[] {
    const texts = ['0', '00', '007', '0.0', '1.', '.5', '-0', '-0.000000', '1e3', ' 1', '+1', '1.2.3', '9007199254740991',
      '9007199254740992', '9007199254740993', '900719925474099.3', '1331901000.000000', '1.0000000000000000000001',
      '0.10000000000000000555', '123456789012345678901234567890', '0.' + '0'.repeat(22) + '1', '0.' + '0'.repeat(21) + '1'];
    let seed = 1;
    const random = (): number => (seed = (seed * 48271) % 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 20000; i++) {
      const whole = String(Math.floor(random() * 10 ** Math.floor(random() * 17)));
      const fraction = String(Math.floor(random() * 10 ** Math.floor(random() * 12))).padStart(Math.floor(random() * 12), '0');
      texts.push(fraction.length > 0 ? `${whole}.${fraction}` : whole);
    }
    return texts;
  }

  it('reads times and doubles as the same number JavaScript reads from the text', () => {
    const time = columnConverter('time', MARKERS);
    const double = columnConverter('double', MARKERS);
    for (const text of decimalTexts()) {
      const n = +text;
      expect([text, time(text)]).toEqual([text, Number.isFinite(n) && text.length > 0 ? n : undefined]);
      expect([text, double(text)]).toEqual([text, Number.isFinite(n) && text.length > 0 ? n : INVALID]);
    }
  });

  it('reads counts and ints as the same number JavaScript reads from their digits', () => {
    const count = columnConverter('count', MARKERS);
    const int = columnConverter('int', MARKERS);
    for (const text of decimalTexts()) {
      const digits = /^\d+$/.test(text);
      const expected = digits ? (Number.isSafeInteger(+text) ? +text : text) : INVALID;
      expect([text, count(text)]).toEqual([text, expected]);
      const signed = /^-?\d+$/.test(text);
      expect([text, int(text)]).toEqual([text, signed ? (Number.isSafeInteger(+text) ? +text : text) : INVALID]);
      if (digits) expect([text, int(`-${text}`)]).toEqual([text, typeof expected === 'number' ? -expected : `-${text}`]);
    }
  });
});

describe('plain converters', () => {
  it('give what the full converters give for text without a backslash, and leave escapes to the full ones', () => {
    const samples: [string, string][] = [
      ['string', 'www.example.com'], ['string', '-'], ['string', '(empty)'], ['addr', '10.0.0.1'],
      ['set[string]', 'a,b,-'], ['vector[string]', '(empty)'], ['count', '53'], ['interval', '0.000123'],
    ];
    for (const [type, text] of samples) {
      expect([type, text, columnConverter(type, MARKERS, true)(text)]).toEqual([type, text, columnConverter(type, MARKERS)(text)]);
    }
    // The parser only hands plain converters lines without a backslash: this is what they must not be given.
    expect(columnConverter('string', MARKERS)('a\\x2db')).toBe('a-b');
  });
});
