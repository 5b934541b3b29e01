import { LocalElasticsearchError } from '../../common/errors';
import { localEsLayout } from './layout';
import { resolveLocalEsOptions, type LocalEsOptions } from './options';
import { runningPid, signalProcess } from './process';

/**
 * Freezes the node with SIGSTOP: its port stays open but nothing answers, like a node stuck in a long garbage
 * collection or behind a dead network link. Meant for tests of timeouts and retries. Returns the pid.
 */
export function pauseLocalEs(overrides: Partial<LocalEsOptions> = {}): number {
  const pid = requireRunning(overrides, 'paused');
  signalProcess(pid, 'SIGSTOP');
  return pid;
}

/** Lets a paused node run again. */
export function resumeLocalEs(overrides: Partial<LocalEsOptions> = {}): number {
  const pid = requireRunning(overrides, 'resumed');
  signalProcess(pid, 'SIGCONT');
  return pid;
}

function requireRunning(overrides: Partial<LocalEsOptions>, action: string): number {
  const layout = localEsLayout(resolveLocalEsOptions(overrides));
  const pid = runningPid(layout);
  if (pid === null) {
    throw new LocalElasticsearchError(`The local Elasticsearch in ${layout.home} is not running, so it cannot be ${action}.`, undefined, {
      home: layout.home,
    });
  }
  return pid;
}
