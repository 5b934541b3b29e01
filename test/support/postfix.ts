import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { postfixConfigFiles, postfixLayout, type PostfixLayout } from './postfix-config';
import { sendMail, type OutgoingMail, type SendResult } from './smtp-send';

/**
 * A real Postfix (the Debian package) started by the tests on loopback: a private instance in a temporary
 * directory, with its own configuration, queue and log file.
 *
 * Why `postfix -c <dir> start` works without declaring the directory anywhere: Postfix demands that a non-default
 * configuration directory be listed in alternate_config_directories of the default main.cf only when the caller is
 * not root, because a set-gid program must not trust MAIL_CONFIG from an unprivileged user. The tests run as root,
 * so the system's /etc/postfix/main.cf need not even exist (the package is installed with "No configuration").
 * `postfix start` then runs post-install create-missing, which creates the queue and data directories with the
 * owners Postfix expects, and starts master(8), which exports MAIL_CONFIG to every daemon it spawns.
 */

const POSTFIX = '/usr/sbin/postfix';
const POSTQUEUE = '/usr/sbin/postqueue';
const run = promisify(execFile);

/** postfix start and stop each wait a few seconds at most; these bound a hung one. */
const COMMAND_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const LOG_POLL_MS = 100;
const LOG_TAIL_LINES = 20;

export interface StartPostfixOptions {
  /** Local parts at vigil.test that have a mailbox. */
  users?: readonly string[];
  /** The port smtpd listens on, 127.0.0.1 only; a free one when not given. */
  smtpPort?: number;
}

export const DEFAULT_MAIL_USERS: readonly string[] = ['alice', 'bob', 'carol', 'dave', 'erin'];

/** One message as `postqueue -j` describes it, in Postfix's own field names. */
export interface QueueEntry {
  queue_name: string;
  queue_id: string;
  arrival_time: number;
  message_size: number;
  sender: string;
  recipients: Array<{ address: string; delay_reason?: string }>;
}

export interface PostfixInstance {
  smtpPort: number;
  logFile: string;
  configDir: string;
  /** Sends one message over SMTP to this instance's smtpd. */
  send(message: OutgoingMail): Promise<SendResult>;
  /** `postqueue -f`: attempts every queued message again now, regardless of its retry time. */
  flushQueue(): Promise<void>;
  /** Polls the log file until it matches; resolves to the whole log then. */
  waitForLog(match: RegExp | ((log: string) => boolean), timeoutMs?: number): Promise<string>;
  readLog(): Promise<string>;
  queue(): Promise<QueueEntry[]>;
  /** The raw messages delivered to a user's maildir at vigil.test. */
  mailbox(user: string): Promise<string[]>;
  /** Stops master(8) and every daemon of this instance, then removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Postfix could not start; the message carries the end of its log. */
export class PostfixStartError extends Error {
  override name = 'PostfixStartError';
  constructor(
    message: string,
    readonly configDir: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export async function startPostfix(options: StartPostfixOptions = {}): Promise<PostfixInstance> {
  await requirePostfix();
  const layout = postfixLayout(await mkdtemp(path.join(os.tmpdir(), 'vigil-postfix-')));
  // mkdtemp makes the directory private to root, but the daemons drop privileges and virtual(8) delivers as the
  // mailbox owner: both must be able to traverse it.
  await chmod(layout.root, 0o755);
  const mailboxOwner = await systemUser('nobody');
  const site = {
    smtpPort: options.smtpPort ?? (await freeLoopbackPort()),
    unreachablePort: await closedLoopbackPort(),
    users: options.users ?? DEFAULT_MAIL_USERS,
    mailboxUid: mailboxOwner.uid,
    mailboxGid: mailboxOwner.gid,
  };
  await mkdir(layout.configDir);
  for (const [name, text] of Object.entries(postfixConfigFiles(layout, site))) {
    await writeFile(path.join(layout.configDir, name), text);
  }
  // postfix(1) changes into the queue directory before anything else; post-install fills it in at start.
  await mkdir(layout.queueDir);
  await mkdir(layout.mailboxDir);
  await chown(layout.mailboxDir, site.mailboxUid, site.mailboxGid);

  const instance = postfixInstance(layout, site.smtpPort);
  const fail = async (reason: string, cause?: unknown): Promise<never> => {
    const tail = await logTail(layout.logFile);
    const cleanup = await instance.stop().then(
      () => '',
      (stopErr: Error) => `\nand cleaning up failed: ${stopErr.message}`,
    );
    throw new PostfixStartError(
      `Postfix did not start (${layout.configDir}): ${reason}\nlast lines of its log:\n${tail}${cleanup}`,
      layout.configDir,
      { cause },
    );
  };
  try {
    await run(POSTFIX, ['-c', layout.configDir, 'start'], { timeout: COMMAND_TIMEOUT_MS });
  } catch (err) {
    return fail(commandOutput(err), err);
  }
  // master(8) binds with SO_REUSEPORT, so a port that another Postfix already listens on does not fail the start:
  // the kernel would share the connections between both instances. Only a port that is this instance's alone will do.
  const listeners = await tcpListeners(site.smtpPort);
  if (listeners !== 1) {
    return fail(`${listeners} sockets listen on port ${site.smtpPort}: another server shares the port with smtpd`);
  }
  return instance;
}

function postfixInstance(layout: PostfixLayout, smtpPort: number): PostfixInstance {
  let stopped = false;
  const readLog = () => readFile(layout.logFile, 'utf8').catch(orEmptyIfMissing);
  return {
    smtpPort,
    logFile: layout.logFile,
    configDir: layout.configDir,
    send: (message) => sendMail('127.0.0.1', smtpPort, message),
    readLog,
    async flushQueue() {
      await run(POSTQUEUE, ['-c', layout.configDir, '-f'], { timeout: COMMAND_TIMEOUT_MS });
    },
    async waitForLog(match, timeoutMs = 30_000) {
      const matches = typeof match === 'function' ? match : (log: string) => match.test(log);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const log = await readLog();
        if (matches(log)) return log;
        if (Date.now() > deadline) {
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${String(match)} in ${layout.logFile}; ` +
              `last lines:\n${lastLines(log)}`,
          );
        }
        await sleep(LOG_POLL_MS);
      }
    },
    async queue() {
      const { stdout } = await run(POSTQUEUE, ['-c', layout.configDir, '-j'], { timeout: COMMAND_TIMEOUT_MS });
      return stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as QueueEntry);
    },
    async mailbox(user) {
      const messages: string[] = [];
      for (const sub of ['new', 'cur']) {
        const dir = path.join(layout.mailboxDir, user, sub);
        const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return [];
          throw err;
        });
        for (const name of names.sort()) messages.push(await readFile(path.join(dir, name), 'utf8'));
      }
      return messages;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // "postfix stop" fails when master is not running (a failed start); what matters is what is left afterwards.
      await run(POSTFIX, ['-c', layout.configDir, 'stop'], { timeout: COMMAND_TIMEOUT_MS }).catch(() => undefined);
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      let left = await postfixProcesses(layout.configDir);
      while (left.length > 0 && Date.now() < deadline) {
        await sleep(LOG_POLL_MS);
        left = await postfixProcesses(layout.configDir);
      }
      if (left.length > 0) {
        throw new Error(
          `Postfix processes of ${layout.configDir} still run ${STOP_TIMEOUT_MS} ms after "postfix stop": ` +
            left.map((p) => `${p.pid} ${p.command}`).join(', '),
        );
      }
      await rm(layout.root, { recursive: true, force: true });
    },
  };
}

/**
 * The live processes of the instance with this configuration directory: master(8) and its daemons carry
 * MAIL_CONFIG in their environment, which is the one mark they all share (their command lines do not name the
 * directory). A zombie has no environment left, so it does not count.
 */
export async function postfixProcesses(configDir: string): Promise<Array<{ pid: number; command: string }>> {
  const mark = `MAIL_CONFIG=${configDir}`;
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = (await readFile(`/proc/${entry}/environ`, 'latin1')).split('\0');
      if (!environ.includes(mark)) continue;
      const command = (await readFile(`/proc/${entry}/cmdline`, 'latin1')).split('\0').join(' ').trim();
      found.push({ pid: Number(entry), command });
    } catch {
      // The process ended between listing and reading: it is not running.
    }
  }
  return found;
}

async function requirePostfix(): Promise<void> {
  try {
    await access(POSTFIX, constants.X_OK);
  } catch {
    throw new Error(
      `Postfix is not installed: ${POSTFIX} is missing. Install the Debian package postfix with the debconf answer ` +
        '"No configuration" (as .ci/run does).',
    );
  }
  if (process.getuid?.() !== 0) {
    throw new Error('A private Postfix instance can only be started as root: its daemons switch users.');
  }
}

async function systemUser(name: string): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const fields = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((f) => f[0] === name);
  if (!fields) throw new Error(`no user ${name} in /etc/passwd to own delivered test mail`);
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** A port that was free a moment ago; Postfix binds it soon after, and startPostfix checks that it holds it alone. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The next hop of the unreachable domain. A port below 1024 because the kernel never hands those out for port 0,
 * so no other test instance can come to listen there while mail waits for it, which a free port of the ephemeral
 * range could not promise. Checked, because nothing on a test machine is expected to serve it.
 */
const UNREACHABLE_PORT = 1;

function closedLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(UNREACHABLE_PORT, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      reject(new Error(`port ${UNREACHABLE_PORT} on 127.0.0.1 accepts connections: mail for it would not be deferred`));
    });
    socket.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNREFUSED' ? resolve(UNREACHABLE_PORT) : reject(err),
    );
  });
}

/** How many IPv4 sockets listen on the port, from the kernel's table (state 0A is LISTEN; the port is hex). */
async function tcpListeners(port: number): Promise<number> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A').length;
}

async function logTail(logFile: string): Promise<string> {
  return lastLines(await readFile(logFile, 'utf8').catch(orEmptyIfMissing)) || '(the log is empty)';
}

function lastLines(text: string): string {
  return text.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
}

function commandOutput(err: unknown): string {
  const e = err as { stderr?: string; stdout?: string; message?: string };
  return [e.stderr, e.stdout].filter((s) => s && s.trim() !== '').join('\n').trim() || String(e.message ?? err);
}

function orEmptyIfMissing(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return '';
  throw err;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
