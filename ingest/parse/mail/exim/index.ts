/**
 * Exim's main and reject log, from its own files (`2013-01-04 17:03:46 [pid] message`, no program name) or through
 * syslog (program `exim`, `exim4`, or what `syslog_processname` set). A line about a message starts with its id;
 * the two characters after the id say what happened (`<=`, `=>`, `**`, ...), or words do (`Completed`). Lines
 * without an id are about SMTP sessions: rejections, authentication failures, protocol errors.
 *
 * Reference: the Exim specification, chapter "Log files".
 */
import type { MailEvent, MessageParser } from '../types';
import { parseAclLine } from './acl';
import { parseArrival } from './arrival';
import { parseAuthenticatorFailure } from './authenticator';
import { isDeliveryFlag, parseDelivery } from './delivery';
import { messageIdLength } from './message-id';
import { eximBodyStart } from './prefix';
import { parseProtocolError } from './protocol';
import { parseQueueRun, parseQueueState } from './queue';
import { parseSession } from './session';
import { parseSpamAssassin } from './spamassassin';

/** A line about a message, after its id: an arrival, a delivery, or a state of the message in the queue. */
function parseMessageLine(text: string, start: number): MailEvent | undefined {
  if (text.charCodeAt(start + 2) === 0x20 || start + 2 === text.length) {
    const flag = text.slice(start, start + 2);
    if (flag === '<=') return parseArrival(text, start + 3, false);
    if (flag === '(=') return parseArrival(text, start + 3, true);
    if (isDeliveryFlag(flag)) return parseDelivery(flag, text, start + 3);
  }
  return parseQueueState(text, start) ?? parseSpamAssassin(text, start);
}

/** A line that can come with or without a message id: what happened in an SMTP session. */
function parseSessionLine(text: string, start: number): MailEvent | undefined {
  return (
    parseAclLine(text, start) ??
    parseSession(text, start) ??
    parseProtocolError(text, start) ??
    parseAuthenticatorFailure(text, start)
  );
}

export const parseExim: MessageParser = (header) => {
  const program = header.program;
  if (program !== undefined && !program.startsWith('exim')) return undefined;
  const message = header.message;
  const start = eximBodyStart(message);
  const idLength = messageIdLength(message, start);
  if (idLength === 0) return parseSessionLine(message, start) ?? parseQueueRun(message, start);
  const at = Math.min(start + idLength + 1, message.length);
  // A line with a message id is this message's, even when its words are new to this parser: it still belongs in
  // the message's history, so it is kept under the id as `other`.
  const event = parseMessageLine(message, at) ??
    parseSessionLine(message, at) ?? { mta: 'exim', action: 'other', category: ['email'] };
  event.queueId = message.slice(start, start + idLength);
  return event;
};
