import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { CORPUS } from './corpus';

/**
 * The fail2ban test logs: real lines from mail and authentication daemons, each optionally preceded by a
 * `# failJSON: {...}` comment with the time (local, no zone) and the attacker's address fail2ban expects from it.
 * fail2ban runs these tests with its clock at 2005-08-14 10:00 UTC, which is how it infers the year of syslog dates.
 */
export const FAIL2BAN_DIR = path.join(CORPUS, 'mail', 'fail2ban', 'logs');

/** The moment fail2ban's tests pretend it is: yearless dates are placed in the year before it when they would be after it. */
export const FAIL2BAN_NOW = Date.UTC(2005, 7, 14, 10, 0, 0);

export interface Fail2banCase {
  file: string;
  /** 1-based line number in the corpus file. */
  lineNo: number;
  line: string;
  /** What the preceding failJSON comment says, if there is one. */
  expect?: { time?: string; host?: string; match: boolean; desc?: string };
}

export function fail2banFiles(): string[] {
  return readdirSync(FAIL2BAN_DIR).sort();
}

/** The log lines of one file: comments and blank lines are the test's annotations, not log data. */
export function fail2banCases(file: string): Fail2banCase[] {
  const text = readFileSync(path.join(FAIL2BAN_DIR, file), 'utf8');
  const cases: Fail2banCase[] = [];
  let pending: Fail2banCase['expect'];
  text.split('\n').forEach((line, i) => {
    if (line.startsWith('#')) {
      const m = /^#\s*failJSON:\s*(\{.*\})\s*$/.exec(line);
      if (m) pending = JSON.parse(m[1]) as Fail2banCase['expect'];
      return;
    }
    if (line.trim() === '') return;
    cases.push({ file, lineNo: i + 1, line, expect: pending });
    pending = undefined;
  });
  return cases;
}
