/**
 * Sendmail, through syslog: programs `sendmail`, `sm-mta`, `sm-msp-queue` and the other `sm-*` names a daemon takes
 * (`sm-acceptingconnections` while it listens). A line about a message starts with its queue id; the rest is a
 * `key=value, ...` list (`from=`, `to=`, `ruleset=`, `STARTTLS=`, `AUTH=`) or a sentence.
 */
import type { MailEvent, MessageParser } from '../types';
import { parseArrival } from './arrival';
import { parseAuthFailure, parseAuthSuccess } from './auth';
import { parseDelivery } from './delivery';
import { readKeyValues } from './key-values';
import { parseNotice } from './notice';
import { queueIdLength } from './queue-id';
import { parseRuleset } from './ruleset';
import { parseSession } from './session';
import { parseStartTls } from './tls';

function isSendmail(program: string): boolean {
  return program.startsWith('sendmail') || program.startsWith('sm-');
}

function parseBody(text: string, start: number, nextQueueId: string | undefined): MailEvent | undefined {
  if (text.startsWith('from=', start)) return parseArrival(readKeyValues(text, start));
  if (text.startsWith('to=', start)) return parseDelivery(readKeyValues(text, start));
  if (text.startsWith('ruleset=', start)) return parseRuleset(readKeyValues(text, start));
  if (text.startsWith('STARTTLS=', start)) return parseStartTls(readKeyValues(text, start));
  if (text.startsWith('AUTH=', start)) return parseAuthSuccess(readKeyValues(text, start, 'first'));
  return parseAuthFailure(text, start) ?? parseNotice(text, start, nextQueueId) ?? parseSession(text, start);
}

export const parseSendmail: MessageParser = (header) => {
  const program = header.program;
  if (program === undefined || !isSendmail(program)) return undefined;
  const text = header.message;
  let i = 0;
  // Solaris's syslogd puts a message id and the priority first: `[ID 801593 mail.info] `.
  if (text.startsWith('[ID ')) {
    const close = text.indexOf('] ');
    if (close > 0) i = close + 2;
  }
  let queueId: string | undefined;
  let nextQueueId: string | undefined;
  const length = queueIdLength(text, i);
  if (length > 0) {
    queueId = text.slice(i, i + length);
    i += length + 2;
    const nextLength = queueIdLength(text, i);
    if (nextLength > 0) {
      nextQueueId = text.slice(i, i + nextLength);
      i += nextLength + 2;
    }
  }
  // A line with a queue id belongs in its message's history even when its words are new to this parser.
  const event = parseBody(text, i, nextQueueId) ?? (queueId === undefined ? undefined : { mta: 'sendmail', action: 'other', category: ['email'] });
  if (event === undefined) return undefined;
  event.daemon = program;
  if (queueId !== undefined) event.queueId = queueId;
  return event;
};
