/**
 * The test cases of whyscream/postfix-grok-patterns in the shared corpus: real Postfix messages without their
 * syslog prefix, each with the pattern that reads it and the fields that pattern extracts.
 */
import type { LineHeader } from '../types';
import type { GrokCase } from '../../../../bench/mail-replay';

export { grokCase, grokCases, type GrokCase } from '../../../../bench/mail-replay';

/** The syslog program that writes what a pattern matches: `POSTFIX_TRIVIAL_REWRITE` is `postfix/trivial-rewrite`. */
export function programOf(pattern: string): string {
  if (pattern === 'POSTFIX_SCRIPT') return 'postfix/postfix-script';
  return 'postfix/' + pattern.slice('POSTFIX_'.length).toLowerCase().replace(/_/g, '-');
}

/** The header a syslog reader would have made of the case's line; the time plays no part in message parsing. */
export function headerOf(c: GrokCase, program = programOf(c.pattern)): LineHeader {
  return { timestamp: 0, timeFormat: 'rfc3164', program, pid: 1, message: c.data };
}
