import { rmSync } from 'node:fs';
import { LocalElasticsearchError } from '../../common/errors';
import { localEsLayout, type LocalEsLayout } from './layout';
import { resolveLocalEsOptions, type LocalEsOptions } from './options';
import { runningPid, signalProcess, waitForExit } from './process';

export interface LocalEsStopResult {
  /** A node was running and is now stopped. */
  wasRunning: boolean;
  pid: number | null;
  /** It ignored SIGTERM for the whole stop timeout and was killed. */
  killed: boolean;
}

/** Stops the node gracefully, killing it after the stop timeout. Stopping a stopped instance does nothing. */
export async function stopLocalEs(overrides: Partial<LocalEsOptions> = {}): Promise<LocalEsStopResult> {
  const options = resolveLocalEsOptions(overrides);
  const layout = localEsLayout(options);
  const pid = runningPid(layout);
  if (pid === null) {
    // A pid file left by a crash names no live node; removing it keeps the next start from reading it.
    rmSync(layout.pidFile, { force: true });
    return { wasRunning: false, pid: null, killed: false };
  }
  const killed = await terminate(pid, layout, options.stopTimeoutMs);
  return { wasRunning: true, pid, killed };
}

/** SIGTERM, then SIGKILL after the timeout; resolves true when it had to kill. */
export async function terminate(pid: number, layout: LocalEsLayout, timeoutMs: number): Promise<boolean> {
  signalProcess(pid, 'SIGTERM');
  // A paused (SIGSTOP) node only acts on SIGTERM once it runs again.
  signalProcess(pid, 'SIGCONT');
  let killed = false;
  if (!(await waitForExit(pid, timeoutMs))) {
    killed = true;
    signalProcess(pid, 'SIGKILL');
    if (!(await waitForExit(pid, 10_000))) {
      throw new LocalElasticsearchError(`Elasticsearch (pid ${pid}) did not exit even after SIGKILL.`, undefined, { pid });
    }
  }
  rmSync(layout.pidFile, { force: true });
  return killed;
}
