/** Exim lines as the tests hand them to the parser, without the header reader. */
import { fail2banCases } from '../../../../test/support/fail2ban';
import type { LineHeader, MailEvent } from '../types';
import { parseExim } from './index';

/** What the header reader gives for a line of Exim's own log: the message after the timestamp. */
export function ownLog(line: string): LineHeader {
  return { timestamp: 0, timeFormat: 'iso-local', message: line.slice(20) };
}

/** The event of the line of fail2ban's `file` log (Exim's own log layout) that contains `fragment`. */
export function parseCorpusLine(file: string, fragment: string): MailEvent | undefined {
  const line = fail2banCases(file).find((c) => c.line.includes(fragment))?.line;
  if (line === undefined) throw new Error(`no line of ${file} contains ${fragment}`);
  return parseExim(ownLog(line));
}
