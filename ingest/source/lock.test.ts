import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SourceError } from '../../common/errors';
import { lockStateDir } from './lock';

describe('lockStateDir', () => {
  it('refuses a second worker on the same state directory, naming the first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-lock-'));
    const lock = lockStateDir(dir);
    expect(() => lockStateDir(dir)).toThrow(SourceError);
    expect(() => lockStateDir(dir)).toThrow(new RegExp(`pid ${process.pid}`));
    lock.release();
    expect(existsSync(join(dir, 'worker.lock'))).toBe(false);
    lockStateDir(dir).release();
  });

  it('takes over a lock left by a process that is gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-lock-'));
    // The pid of a process that has exited.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(dir, 'worker.lock'), `${gone}\n`);
    const lock = lockStateDir(dir);
    lock.release();
  });
});
