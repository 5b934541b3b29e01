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
