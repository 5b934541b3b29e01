import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tailFile } from './log-tail';

describe('tailFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tail-'));

  it('returns the last lines of a file larger than what it reads', () => {
    const file = join(dir, 'big.log');
    writeFileSync(file, Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    expect(tailFile(file, 3, 4096)).toBe('line 19997\nline 19998\nline 19999');
  });

  it('returns the whole of a short file', () => {
    const file = join(dir, 'short.log');
    writeFileSync(file, 'only\n');
    expect(tailFile(file, 30)).toBe('only');
  });

  it('returns nothing for a missing file, since a node that never started has no log', () => {
    expect(tailFile(join(dir, 'missing.log'), 30)).toBe('');
  });
});
