import { existsSync, readFileSync } from 'node:fs';
import { LocalElasticsearchError } from '../../common/errors';
import type { LocalEsLayout } from './layout';

export function readPid(pidFile: string): number | null {
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8').trim();
  } catch {
    return null;
  }
  const pid = Number(text);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Whether the pid is this instance's node. A pid file can outlive its process (a crash, a reboot) and the pid be
 * reused by an unrelated program, which must never receive our signals. Where /proc exists the command line must
 * name this instance's distribution; a zombie has an empty command line and so counts as gone.
 */
export function isInstanceProcess(pid: number, layout: LocalEsLayout): boolean {
  if (existsSync('/proc/self/cmdline')) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return false;
    }
    return cmdline.includes(`-Des.path.home=${layout.installDir}\0`);
  }
  return isAlive(pid);
}

/** The pid of this instance's running node, or null when none runs. */
export function runningPid(layout: LocalEsLayout): number | null {
  const pid = readPid(layout.pidFile);
  return pid !== null && isInstanceProcess(pid, layout) ? pid : null;
}

/**
 * Whether the process still exists and has not finished exiting. The command line cannot tell: it reads empty as
 * soon as the process has released its memory, which happens before it closes its sockets, and a new node must
 * find the port closed.
 */
export function isAlive(pid: number): boolean {
  if (existsSync('/proc/self/stat')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return false;
    }
    // The state letter follows the parenthesised command name, which may itself contain spaces or parentheses.
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user, which is the case of a node run as the unprivileged user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits until the process, known to be the node, is gone; false when the timeout came first. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(200);
  }
  return true;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    // ESRCH: it exited in the meantime, which is what a caller stopping it wants anyway.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') {
      throw new LocalElasticsearchError(`Sending ${signal} to Elasticsearch (pid ${pid}) failed: ${(err as Error).message}`, err, { pid });
    }
  }
}
