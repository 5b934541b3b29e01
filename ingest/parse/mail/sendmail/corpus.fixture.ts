/** Sendmail lines of the shared corpus as the tests hand them to the parser, without the header reader. */
import { fail2banCases } from '../../../../test/support/fail2ban';
import type { MailEvent } from '../types';
import { parseSendmail } from './index';

/**
 * The event of the syslog line of fail2ban's `file` log that contains `fragment`. Some of these lines carry the
 * `<mail.info>` that BSD syslogd -v writes before the host.
 */
export function parseCorpusLine(file: string, fragment: string): MailEvent | undefined {
  const line = fail2banCases(file).find((c) => c.line.includes(fragment))?.line;
  const m = line === undefined ? null : /^\w{3} +\d+ [\d:]+ (?:<[\w.]+> )?\S+ ([^:[ ]+)\[\d+\]: (.*)$/.exec(line);
  if (!m) throw new Error(`no syslog line of ${file} contains ${fragment}`);
  return parseSendmail({ timestamp: 0, timeFormat: 'rfc3164', program: m[1], message: m[2] });
}
