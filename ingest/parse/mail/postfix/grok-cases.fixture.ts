/**
 * The test cases of whyscream/postfix-grok-patterns in the shared corpus: real Postfix messages without their
 * syslog prefix, each with the pattern that reads it and the fields that pattern extracts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CORPUS } from '../../../../test/support/corpus';
import type { LineHeader } from '../types';

const GROK_TESTS = path.join(CORPUS, 'mail', 'postfix-grok-patterns', 'test');

export interface GrokCase {
  file: string;
  /** The grok pattern name: `POSTFIX_SMTPD`. */
  pattern: string;
  /** The message. */
  data: string;
  /** Expected fields, every value a string as written. */
  results: Record<string, string>;
}

export function grokCase(file: string): GrokCase {
  // The failsafe schema keeps every scalar a string: `4104E3D` or `0.20` stay exactly as written.
  const doc = parseYaml(readFileSync(path.join(GROK_TESTS, file), 'utf8'), { schema: 'failsafe' }) as {
    pattern: string;
    data: string;
    results?: Record<string, string>;
  };
  return { file, pattern: /%\{(\w+)\}/.exec(doc.pattern)?.[1] ?? '', data: doc.data, results: doc.results ?? {} };
}

export function grokCases(): GrokCase[] {
  return readdirSync(GROK_TESTS)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map(grokCase);
}

/** The syslog program that writes what a pattern matches: `POSTFIX_TRIVIAL_REWRITE` is `postfix/trivial-rewrite`. */
export function programOf(pattern: string): string {
  if (pattern === 'POSTFIX_SCRIPT') return 'postfix/postfix-script';
  return 'postfix/' + pattern.slice('POSTFIX_'.length).toLowerCase().replace(/_/g, '-');
}

/** The header a syslog reader would have made of the case's line; the time plays no part in message parsing. */
export function headerOf(c: GrokCase, program = programOf(c.pattern)): LineHeader {
  return { timestamp: 0, timeFormat: 'rfc3164', program, pid: 1, message: c.data };
}
