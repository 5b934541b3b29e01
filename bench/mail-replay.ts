import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * Mail log volume from real lines: the Postfix messages of the postfix-grok-patterns corpus, each a line a real
 * Postfix wrote, replayed behind a syslog header with rewritten queue ids, Message-IDs, client addresses and times.
 * One message's life is the real lines of its steps (connect, client, message-id, queue manager, delivery, removed,
 * disconnect), so a replay holds as many complete messages as asked, with as many open at once as asked.
 */

/** The repository's root, whether this runs built (`dist/bench`) or from source (`bench`, under the tests). */
function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export const MAIL_CORPUS = resolve(repositoryRoot(), '..', 'shared', 'corpus', 'mail');
export const GROK_DIR = join(MAIL_CORPUS, 'postfix-grok-patterns', 'test');

/** One test case of whyscream/postfix-grok-patterns: a real Postfix message without its syslog prefix. */
export interface GrokCase {
  file: string;
  /** The daemon the case's file is named after (`smtpd` for `smtpd_0003.yaml`). */
  daemon: string;
  /** The grok pattern name: `POSTFIX_SMTPD`. */
  pattern: string;
  /** The message. */
  data: string;
  /** Expected fields, every value a string as written. */
  results: Record<string, string>;
}

export function grokCase(file: string): GrokCase {
  // The failsafe schema keeps every scalar a string: `4104E3D` or `0.20` stay exactly as written.
  const doc = parse(readFileSync(join(GROK_DIR, file), 'utf8'), { schema: 'failsafe' }) as { pattern: string; data: string; results?: Record<string, string> };
  return {
    file,
    daemon: file.replace(/_\d+\.yaml$/, ''),
    pattern: /%\{(\w+)\}/.exec(doc.pattern)?.[1] ?? '',
    data: doc.data,
    results: doc.results ?? {},
  };
}

export function grokCases(): GrokCase[] {
  return readdirSync(GROK_DIR)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map(grokCase);
}

/**
 * Every real mail line of the corpus as a mail log holds them: the syslog lines of all fail2ban daemons (their
 * annotation comments left out), and the Postfix messages behind a syslog header naming their daemon.
 */
export function corpusMailLines(): string[] {
  const dir = join(MAIL_CORPUS, 'fail2ban', 'logs');
  const lines: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) if (line.trim() !== '' && !line.startsWith('#')) lines.push(line);
  }
  for (const c of grokCases()) if (!c.data.includes('\n')) lines.push(`Nov 24 10:00:00 mx1 postfix/${c.daemon}[4242]: ${c.data}`);
  return lines;
}

interface Step {
  daemon: string;
  /** The real line with its queue id, Message-ID and client marked for rewriting. */
  template: string;
}

const QUEUE_ID = /^[0-9A-F]{6,}(?=: )/;

/** The corpus line of one step of a message's life, found by what it says. */
function step(cases: GrokCase[], daemon: string, test: RegExp): Step {
  const found = cases.find((c) => c.daemon === daemon && test.test(c.data));
  if (!found) throw new Error(`postfix-grok-patterns has no ${daemon} line matching ${test}`);
  const template = found.data
    .replace(QUEUE_ID, '{qid}')
    .replace(/message-id=<[^>]*>/, 'message-id=<{mid}>')
    .replace(/\[\d+\.\d+\.\d+\.\d+\]/, '[{ip}]');
  return { daemon, template };
}

export interface MessageReplay {
  /** Syslog lines, in the order a Postfix would write them. */
  lines: string[];
  messages: number;
}

/**
 * `messages` complete messages, `openAtOnce` of them open together: message n + openAtOnce starts right after
 * message n ends. The log's clock advances one second
 * every `linesPerSecond` lines.
 */
export function replayMessages(messages: number, openAtOnce: number, cases: GrokCase[] = grokCases(), linesPerSecond = 50): MessageReplay {
  const connect = step(cases, 'smtpd', /^connect from /);
  const client = step(cases, 'smtpd', /^[0-9A-F]+: client=[^,]+$/);
  const messageId = step(cases, 'cleanup', /^[0-9A-F]+: message-id=<[^>]+>$/);
  const queued = step(cases, 'qmgr', /^[0-9A-F]+: from=<[^>]+>, size=\d+, nrcpt=1 \(queue active\)$/);
  const delivered = step(cases, 'smtp', /^[0-9A-F]+: to=<[^>]+>, relay=.*status=sent/);
  const removed = step(cases, 'qmgr', /^[0-9A-F]+: removed$/);
  const disconnect = step(cases, 'smtpd', /^disconnect from .* commands=/);
  const opening = [connect, client, messageId, queued];
  const closing = [delivered, removed, disconnect];
  const base = Date.UTC(2026, 10, 24, 0, 0, 0);
  const lines: string[] = [];
  let written = 0;
  const emit = (s: Step, n: number) => {
    const at = new Date(base + Math.floor(written++ / linesPerSecond) * 1000);
    const stamp = `${MONTHS[at.getUTCMonth()]} ${String(at.getUTCDate()).padStart(2, ' ')} ${at.toISOString().slice(11, 19)}`;
    const qid = (0x10000000 + n).toString(16).toUpperCase();
    const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    const text = s.template.replace('{qid}', qid).replace('{mid}', `${qid}.${n}@replay.invalid`).replace('{ip}', ip);
    lines.push(`${stamp} mx1 postfix/${s.daemon}[${1000 + (n % 30000)}]: ${text}`);
  };
  for (let n = 0; n < messages + openAtOnce; n++) {
    const closingOf = n - openAtOnce;
    if (closingOf >= 0 && closingOf < messages) for (const s of closing) emit(s, closingOf);
    if (n < messages) for (const s of opening) emit(s, n);
  }
  return { lines, messages };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
