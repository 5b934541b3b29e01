/**
 * Which Dovecot process wrote a line, and where its message starts. Through syslog the program is `dovecot` and
 * the process leads the message (`dovecot: imap-login: ...`, sometimes `dovecot: dovecot: auth(default): ...`), or
 * the process is the program itself (`imap-login`, `auth-worker(80180)`, Dovecot 1's `dovecot-auth`). Dovecot's own
 * log file has no program before the process (`2013-08-11 03:56:40 auth-worker(default): Info: ...`). The process
 * name carries its context: `imap(user)<pid><session>`, `auth(user,ip,sasl:login)<session>`.
 */
import type { LineHeader } from '../types';

export interface DovecotLine {
  /** The process name, lower case, without its context: `imap-login`, `auth`, `auth-worker`, `lmtp`, `imap`. */
  process: string;
  /** What the process name had in parentheses: `user@example.com`, `default`, `29468, user`, `user,192.0.2.1,sasl:plain`. */
  context?: string;
  /** The message, without process and log level (`Info: `, `Error: `, ...). */
  text: string;
}

/** The processes whose lines this parser reads, besides the `*-login` ones. */
const PROCESSES = new Set(['auth', 'auth-worker', 'lmtp', 'lda', 'deliver', 'imap', 'pop3', 'managesieve', 'submission']);

const LEVELS = ['Info', 'Warning', 'Error', 'Fatal', 'Panic', 'Debug'];

/** The process name of a token such as `auth-worker(80180)` or `imap(user)<12><sess>`, lower case. */
function processOf(token: string): string {
  let end = token.length;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c === 0x28 || c === 0x3c || c === 0x5b) {
      end = i;
      break;
    }
  }
  const name = token.slice(0, end).toLowerCase();
  // Dovecot 1 logged its authentication process as `dovecot-auth`.
  return name === 'dovecot-auth' ? 'auth' : name;
}

function isProcess(name: string): boolean {
  return PROCESSES.has(name) || name.endsWith('-login');
}

/**
 * The end of the process token at `start`: the `: ` after it, or -1 when a space comes first. Spaces inside the
 * parentheses belong to the token (Dovecot 2.0's `lmtp(29468, user)`).
 */
function processTokenEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x28) depth++;
    else if (c === 0x29) depth--;
    else if (depth === 0 && c === 0x20) return -1;
    else if (depth === 0 && c === 0x3a && text.charCodeAt(i + 1) === 0x20) return i > start ? i : -1;
  }
  return -1;
}

/** Reads process and context and skips the level; undefined when the line is not Dovecot's. */
export function readDovecotLine(header: LineHeader): DovecotLine | undefined {
  const message = header.message;
  let token = header.program;
  let i = 0;
  if (token === undefined || processOf(token) === 'dovecot') {
    if (token !== undefined) while (message.startsWith('dovecot: ', i)) i += 9;
    const end = processTokenEnd(message, i);
    if (end < 0) return undefined;
    token = message.slice(i, end);
    i = end + 2;
  }
  const process = processOf(token);
  if (!isProcess(process)) return undefined;
  const line: DovecotLine = { process, text: '' };
  const open = token.indexOf('(');
  const close = token.lastIndexOf(')');
  if (open >= 0 && close > open) line.context = token.slice(open + 1, close);
  for (const level of LEVELS) {
    if (message.startsWith(level, i) && message.startsWith(': ', i + level.length)) {
      i += level.length + 2;
      break;
    }
  }
  line.text = i === 0 ? message : message.slice(i);
  return line;
}
