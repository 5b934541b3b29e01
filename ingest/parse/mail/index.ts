import { readHeader } from './header';
import { parsePostfix } from './postfix';
import { parseExim } from './exim';
import { parseSendmail } from './sendmail';
import { parseDovecot } from './dovecot';
import { parseOtherDaemon } from './other';
import type { MailParseOutcome, MessageParser, TimeContext } from './types';

export type { MailEvent, LineHeader, MailParseOutcome, TimeContext } from './types';

/**
 * Reads one mail log line: its header first, then its message by the parser of the program that wrote it. Each
 * parser checks the program name (or, for logs without one such as Exim's own, the message's shape) before doing
 * any work, so trying them in turn costs little. Postfix comes first: it writes most mail logs.
 */
const PARSERS: readonly MessageParser[] = [parsePostfix, parseExim, parseSendmail, parseDovecot, parseOtherDaemon];

export function parseMailLine(line: string, time: TimeContext): MailParseOutcome {
  const header = readHeader(line, time);
  if ('error' in header) return { kind: 'error', reason: header.error };
  for (const parse of PARSERS) {
    const event = parse(header);
    if (event) return { kind: 'event', header, event };
  }
  return { kind: 'unrecognised', header };
}
