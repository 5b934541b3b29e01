/**
 * The Postfix message parser: picks the daemon's parser by the program name, falls back to the `warning:` lines
 * every daemon writes, and keeps any other line that starts with a queue id as an `other` event of that message so
 * that the reconstruction still sees it. Milters that log Postfix queue ids (OpenDKIM, OpenDMARC) and the SPF
 * policy service are read here too.
 */
import type { LineHeader, MailEvent, MessageParser } from '../types';
import { parseCleanup } from './cleanup';
import { parseDelivery } from './delivery';
import { newEvent, setQueueId, type Origin } from './event';
import { parseLevelLine } from './level';
import { parseMaster, parsePostfixScript } from './lifecycle';
import { milterOf, parseOpendkim, parseOpendmarc, parseSpfPolicy } from './milter';
import { parseBounce, parseDnsblog, parsePickup, parsePostsuper, parseTlsproxy } from './misc';
import { parsePostscreen } from './postscreen';
import { postfixProgram } from './program';
import { parseQmgr } from './qmgr';
import { afterQueueId } from './queueid';
import { parseSmtpd } from './smtpd';
import { parseCacheCleanup, parseStatistics } from './statistics';
import { parseTlsEstablished } from './tls';

export { postfixProgram, type PostfixProgram } from './program';

type DaemonParser = (message: string, origin: Origin) => MailEvent | undefined;

// A Map, not an object: a program name such as `postfix/constructor` must not find Object.prototype's members.
const DAEMONS: ReadonlyMap<string, DaemonParser> = new Map<string, DaemonParser>([
  ['smtpd', parseSmtpd],
  ['postscreen', parsePostscreen],
  ['cleanup', parseCleanup],
  ['qmgr', parseQmgr],
  // Before Postfix 2.1 the newer queue manager ran as nqmgr; since then the older one is still there as oqmgr.
  ['nqmgr', parseQmgr],
  ['oqmgr', parseQmgr],
  ['smtp', parseDelivery],
  ['lmtp', parseDelivery],
  ['local', parseDelivery],
  ['virtual', parseDelivery],
  ['pipe', parseDelivery],
  ['error', parseDelivery],
  ['discard', parseDelivery],
  ['relay', parseDelivery],
  ['retry', parseDelivery],
  ['bounce', parseBounce],
  ['pickup', parsePickup],
  ['postsuper', parsePostsuper],
  ['anvil', parseStatistics],
  ['scache', parseStatistics],
  ['verify', parseCacheCleanup],
  ['dnsblog', parseDnsblog],
  ['tlsproxy', (message, origin) => parseTlsproxy(message, origin) ?? parseTlsEstablished(message, 0, origin)],
  ['master', parseMaster],
  ['postfix-script', parsePostfixScript],
  ['policy-spf', parseSpfPolicy],
]);

const MILTERS: Readonly<Record<NonNullable<ReturnType<typeof milterOf>>, DaemonParser>> = {
  opendkim: parseOpendkim,
  opendmarc: parseOpendmarc,
  'policyd-spf': parseSpfPolicy,
};

export const parsePostfix: MessageParser = (header: LineHeader): MailEvent | undefined => {
  const program = header.program;
  if (program === undefined) return undefined;
  const origin = postfixProgram(program);
  if (origin === undefined) {
    const milter = milterOf(program);
    return milter === undefined ? undefined : MILTERS[milter](header.message, { daemon: program });
  }
  const message = header.message;
  const parse = origin.daemon === undefined ? undefined : DAEMONS.get(origin.daemon);
  return parse?.(message, origin) ?? parseLevelLine(message, origin) ?? otherWithQueueId(message, origin);
};

/** A line of a message that no parser knows: kept with its queue id so it is still part of the message. */
function otherWithQueueId(message: string, origin: Origin): MailEvent | undefined {
  const body = afterQueueId(message);
  if (body < 0 || (body === 9 && message.startsWith('NOQUEUE'))) return undefined;
  const event = newEvent(origin, 'other', ['email']);
  setQueueId(event, message, 0, body - 2);
  event.statusText = message.slice(body);
  return event;
}
