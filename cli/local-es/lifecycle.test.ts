import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalElasticsearchError } from '../../common/errors';
import { localEsLayout } from './layout';
import { resolveLocalEsOptions } from './options';
import { pauseLocalEs, resumeLocalEs } from './pause';
import { runningPid } from './process';
import { stopLocalEs } from './stop';

/**
 * A stand-in for the node: a process whose command line names the instance's distribution the way the JVM's
 * does, so that signals, pid files and timeouts are exercised without a real Elasticsearch.
 */
function standIn(installDir: string, ignoreTerm: boolean): Promise<ChildProcess> {
  const script = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} process.stdout.write('ready'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script, '--', `-Des.path.home=${installDir}`], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`the stand-in exited with code ${code}`)));
  });
}

function state(pid: number): string {
  // The state letter follows the parenthesised command name in /proc/<pid>/stat.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Signals are delivered asynchronously, so the state is read until it settles. */
async function settledState(pid: number, expected: (state: string) => boolean): Promise<string> {
  let current = state(pid);
  for (let attempt = 0; attempt < 100 && !expected(current); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    current = state(pid);
  }
  return current;
}

describe('stopping, pausing and resuming the node', () => {
  let overrides: { home: string; stopTimeoutMs: number };
  let layout: ReturnType<typeof localEsLayout>;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    overrides = { home: mkdtempSync(join(tmpdir(), 'vigil-es-life-')), stopTimeoutMs: 20_000 };
    layout = localEsLayout(resolveLocalEsOptions(overrides));
    mkdirSync(layout.runDir, { recursive: true });
  });
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  async function running(ignoreTerm = false): Promise<number> {
    const child = await standIn(layout.installDir, ignoreTerm);
    children.push(child);
    writeFileSync(layout.pidFile, `${child.pid}\n`);
    return child.pid!;
  }

  it('does not take a pid file that names an unrelated process for the node', () => {
    writeFileSync(layout.pidFile, `${process.pid}\n`);
    expect(runningPid(layout)).toBeNull();
  });

  it('pauses and resumes the node', async () => {
    const pid = await running();
    expect(pauseLocalEs(overrides)).toBe(pid);
    expect(await settledState(pid, (s) => s === 'T')).toBe('T');
    resumeLocalEs(overrides);
    expect(await settledState(pid, (s) => s !== 'T')).not.toBe('T');
  });

  it('stops a paused node gracefully and removes its pid file', async () => {
    const pid = await running();
    pauseLocalEs(overrides);
    expect(await stopLocalEs(overrides)).toEqual({ wasRunning: true, pid, killed: false });
    expect(runningPid(layout)).toBeNull();
    expect(existsSync(layout.pidFile)).toBe(false);
  });

  it('kills a node that ignores SIGTERM for the whole stop timeout', async () => {
    const pid = await running(true);
    expect(await stopLocalEs({ ...overrides, stopTimeoutMs: 300 })).toEqual({ wasRunning: true, pid, killed: true });
    expect(runningPid(layout)).toBeNull();
  });

  it('does nothing when asked to stop a stopped instance, and clears a stale pid file', async () => {
    writeFileSync(layout.pidFile, `${process.pid}\n`);
    expect(await stopLocalEs(overrides)).toEqual({ wasRunning: false, pid: null, killed: false });
    expect(existsSync(layout.pidFile)).toBe(false);
  });

  it('refuses to pause an instance that is not running', () => {
    expect(() => pauseLocalEs(overrides)).toThrow(LocalElasticsearchError);
  });
});
