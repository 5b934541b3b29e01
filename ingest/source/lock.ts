import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SourceError } from '../../common/errors';

/**
 * One worker per state directory: two workers sharing checkpoints would overwrite each other's offsets. The lock is
 * a file holding the owner's pid, created exclusively; a lock left by a process that no longer runs (a crash, a
 * SIGKILL) is taken over.
 */
export function lockStateDir(stateDir: string): { release(): void } {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, 'worker.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        release() {
          try {
            if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SourceError(`cannot create the lock file ${file}: ${(err as Error).message}`, err, { path: file });
      }
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && isRunning(owner)) {
        throw new SourceError(
          `another ingest worker (pid ${owner}) uses the state directory ${stateDir}; give each worker its own (ingest.stateDir, VIGIL_STATE_DIR)`,
          undefined,
          { path: file },
        );
      }
      unlinkSync(file);
    }
  }
  throw new SourceError(`cannot take the lock file ${file}`, undefined, { path: file });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
