import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LocalElasticsearchError } from '../../common/errors';
import type { RunAs } from './command';
import { writeNodeConfig } from './config';
import { readCredentials, type LocalEsCredentials } from './credentials';
import { ensureCredentials } from './credentials-setup';
import { ensureInstalled } from './distribution';
import { waitForHealthy, type WaitOutcome } from './health';
import { resolveJavaHome } from './java';
import { localEsLayout, localEsUrl, type LocalEsLayout } from './layout';
import { tailFile } from './log-tail';
import { DEFAULT_RUN_AS_USER, resolveLocalEsOptions, type LocalEsOptions } from './options';
import { isPortFree } from './port';
import { isAlive, isInstanceProcess, readPid, runningPid } from './process';
import { assertReachable, ownTree, resolveRunAs } from './run-as';
import { terminate } from './stop';

export interface LocalEsInfo {
  url: string;
  username: string;
  password: string;
  home: string;
  credentialsFile: string;
  pid: number;
  version: string;
  /** The node was already running and healthy; nothing was started. */
  alreadyRunning: boolean;
}

const LOG_LINES = 30;

/**
 * Starts the local node, downloading and unpacking the distribution and generating credentials the first time,
 * and resolves once the cluster is yellow or green. Starting a running instance only waits for it to be healthy.
 * Data and credentials survive stop and start.
 */
export async function startLocalEs(
  overrides: Partial<LocalEsOptions> = {},
  onProgress: (message: string) => void = () => undefined,
): Promise<LocalEsInfo> {
  const options = resolveLocalEsOptions(overrides);
  const layout = localEsLayout(options);
  const url = localEsUrl(options);
  const deadline = Date.now() + options.startTimeoutMs;

  const running = runningPid(layout);
  if (running !== null) {
    const credentials = readCredentials(layout.credentialsFile);
    if (credentials.url !== url) {
      throw new LocalElasticsearchError(
        `The local Elasticsearch in ${layout.home} already runs at ${credentials.url}. Stop it before starting it at ${url}.`,
        undefined,
        { home: layout.home },
      );
    }
    const outcome = await waitForHealthy(url, credentials, deadline, () => isAlive(running));
    return healthyInfo(outcome, options, layout, credentials, running, true);
  }

  const runAs = await resolveRunAs(options.runAsUser, process.getuid?.() === 0, options.runAsUser === DEFAULT_RUN_AS_USER);
  prepareHome(layout, runAs);
  await ensureInstalled(options, layout, onProgress);
  for (const dir of [layout.configDir, layout.dataDir, layout.logsDir, layout.runDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    await ownTree(dir, runAs);
  }
  await assertPortFree(options.httpPort, layout);
  const env = nodeEnv(layout, resolveJavaHome());
  writeNodeConfig(options, layout, runAs);
  const credentials = await ensureCredentials(layout, url, env, runAs, onProgress);

  onProgress(`Starting Elasticsearch ${options.version} at ${url}.`);
  rmSync(layout.pidFile, { force: true });
  await launch(layout, env, runAs, deadline);
  const pid = readPid(layout.pidFile);
  if (pid === null) {
    throw startFailure(`Elasticsearch started but wrote no pid file at ${layout.pidFile}.`, layout);
  }
  const outcome = await waitForHealthy(url, credentials, deadline, () => isAlive(pid));
  if (outcome.kind !== 'healthy' && isAlive(pid)) {
    // A half-started node would make the next start report "already running"; stop it so the state is clear.
    await terminate(pid, layout, options.stopTimeoutMs);
  }
  return healthyInfo(outcome, options, layout, credentials, pid, false);
}

function prepareHome(layout: LocalEsLayout, runAs: RunAs | null): void {
  try {
    mkdirSync(layout.home, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw new LocalElasticsearchError(`The instance directory ${layout.home} cannot be created: ${(err as Error).message}`, err, {
      home: layout.home,
    });
  }
  assertReachable(layout.home, runAs);
}

async function assertPortFree(port: number, layout: LocalEsLayout): Promise<void> {
  let free: boolean;
  try {
    free = await isPortFree(port);
  } catch (err) {
    throw new LocalElasticsearchError(`Port ${port} on 127.0.0.1 cannot be used: ${(err as Error).message}`, err, { port });
  }
  if (!free) {
    throw new LocalElasticsearchError(
      `Port ${port} on 127.0.0.1 is already in use by another program, not by the local Elasticsearch in ${layout.home}. Stop that program or choose another port with VIGIL_ES_PORT.`,
      undefined,
      { port },
    );
  }
}

function nodeEnv(layout: LocalEsLayout, javaHome: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ES_JAVA_HOME: javaHome, ES_PATH_CONF: layout.configDir };
  // The launcher warns about JAVA_HOME and ignores it in favour of ES_JAVA_HOME.
  delete env.JAVA_HOME;
  return env;
}

/**
 * Runs the launcher with -d: it returns once the node is up, or fails with the reason on its output, and leaves
 * the node detached with its pid in the pid file. Its own process group keeps the node out of reach of a Ctrl-C
 * meant for the caller.
 */
async function launch(layout: LocalEsLayout, env: NodeJS.ProcessEnv, runAs: RunAs | null, deadline: number): Promise<void> {
  const log = openSync(layout.launcherLog, 'w');
  let code: number | null;
  try {
    const child = spawn(join(layout.installDir, 'bin', 'elasticsearch'), ['-d', '-p', layout.pidFile], {
      cwd: layout.home,
      env,
      stdio: ['ignore', log, log],
      detached: true,
      uid: runAs?.uid,
      gid: runAs?.gid,
    });
    code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, Math.max(0, deadline - Date.now()));
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new LocalElasticsearchError(`The Elasticsearch launcher could not be run: ${err.message}`, err));
      });
      child.once('exit', (exitCode, signal) => {
        clearTimeout(timer);
        resolve(exitCode ?? (signal ? 128 : 1));
      });
    });
  } finally {
    closeSync(log);
  }
  if (code === 0) return;
  const pid = readPid(layout.pidFile);
  if (pid !== null && isInstanceProcess(pid, layout)) await terminate(pid, layout, 10_000);
  throw startFailure(
    code === null ? 'Elasticsearch did not finish starting in time and was stopped.' : `Elasticsearch failed to start (launcher exit code ${code}).`,
    layout,
  );
}

function healthyInfo(
  outcome: WaitOutcome,
  options: LocalEsOptions,
  layout: LocalEsLayout,
  credentials: LocalEsCredentials,
  pid: number,
  alreadyRunning: boolean,
): LocalEsInfo {
  const seconds = Math.round(options.startTimeoutMs / 1000);
  switch (outcome.kind) {
    case 'healthy':
      return {
        url: credentials.url,
        username: credentials.username,
        password: credentials.password,
        home: layout.home,
        credentialsFile: layout.credentialsFile,
        pid,
        version: outcome.probe.version ?? options.version,
        alreadyRunning,
      };
    case 'died':
      throw startFailure('Elasticsearch exited before its cluster became healthy.', layout);
    case 'unauthorized':
      throw startFailure(
        `Elasticsearch rejected the password in ${layout.credentialsFile}. If the password of the ${credentials.username} user was changed, put it in that file; otherwise delete the file and start again to generate a new one.`,
        layout,
      );
    case 'timeout':
      throw startFailure(
        `Elasticsearch did not become healthy within ${seconds} s${alreadyRunning ? '' : ' and was stopped'}. ${outcome.probe?.problem ?? ''}`.trim(),
        layout,
      );
  }
}

function startFailure(message: string, layout: LocalEsLayout): LocalElasticsearchError {
  const parts = [message];
  for (const file of [layout.launcherLog, layout.serverLog]) {
    const tail = tailFile(file, LOG_LINES);
    if (tail) parts.push(`Last lines of ${file}:\n${tail}`);
  }
  return new LocalElasticsearchError(parts.join('\n\n'), undefined, { home: layout.home });
}
