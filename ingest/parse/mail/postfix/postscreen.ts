/**
 * postscreen, the zombie blocker in front of smtpd: its verdicts on each connection (`PASS NEW`, `DENYLISTED`...)
 * and the bot behaviour it caught (`PREGREET`, `DNSBL rank`, `HANGUP`, `COMMAND PIPELINING`...). Clients are
 * written `[address]:port`. Postfix 3.6 renamed WHITELIST/BLACKLIST to ALLOWLIST/DENYLIST; both spellings map to
 * the new action names, and the word as written stays in `extra.postscreen`.
 */
import type { MailEvent } from '../types';
import { parseAccess } from './access';
import { extraOf, newEvent, setQueueId, type Origin } from './event';
import { parseLevelLine } from './level';
import { endOfPeer, parsePeer } from './peer';
import { afterQueueId } from './queueid';
import { parseCacheCleanup } from './statistics';

/** `WORD [address]:port`: the verdict on a connection. */
const VERDICTS: ReadonlyArray<readonly [string, string]> = [
  ['PASS NEW', 'pass-new'],
  ['PASS OLD', 'pass-old'],
  ['DISCONNECT', 'disconnect'],
  ['ALLOWLISTED', 'allowlisted'],
  ['WHITELISTED', 'allowlisted'],
  ['DENYLISTED', 'denylisted'],
  ['BLACKLISTED', 'denylisted'],
  ['ALLOWLIST VETO', 'allowlist-veto'],
  ['WHITELIST VETO', 'allowlist-veto'],
];

/** `WORD[ count][ after seconds] from [address]:port[ after STAGE][: data]`: a test the client failed. */
const VIOLATIONS: ReadonlyArray<readonly [string, string]> = [
  ['PREGREET', 'pregreet'],
  ['HANGUP', 'hangup'],
  ['COMMAND TIME LIMIT', 'command-time-limit'],
  ['COMMAND COUNT LIMIT', 'command-count-limit'],
  ['COMMAND LENGTH LIMIT', 'command-length-limit'],
  ['COMMAND PIPELINING', 'command-pipelining'],
  ['BARE NEWLINE', 'bare-newline'],
  ['NON-SMTP COMMAND', 'non-smtp-command'],
];

const CONNECT = 'CONNECT from ';
const DNSBL_RANK = 'DNSBL rank ';

export function parsePostscreen(message: string, origin: Origin): MailEvent | undefined {
  if (message.startsWith(CONNECT)) return connect(message, origin);
  const body = afterQueueId(message);
  if (body >= 0) {
    const event = parseAccess(message, body, origin);
    if (event !== undefined) setQueueId(event, message, 0, body - 2);
    return event;
  }
  for (const [word, action] of VERDICTS) {
    if (message.startsWith(word) && message.charCodeAt(word.length) === 0x20) {
      return verdict(message, word, action, origin);
    }
  }
  for (const [word, action] of VIOLATIONS) {
    if (message.startsWith(word) && message.charCodeAt(word.length) === 0x20) {
      return violation(message, word, action, origin);
    }
  }
  if (message.startsWith(DNSBL_RANK)) return dnsblRank(message, origin);
  return parseLevelLine(message, origin) ?? parseCacheCleanup(message, origin);
}

/** `CONNECT from [client]:port to [server]:port`. */
function connect(message: string, origin: Origin): MailEvent | undefined {
  const peerEnd = endOfPeer(message, CONNECT.length);
  const client = peerEnd < 0 ? undefined : parsePeer(message, CONNECT.length, peerEnd);
  if (client === undefined) return undefined;
  const event = newEvent(origin, 'connect', ['email', 'network']);
  event.client = client;
  if (message.startsWith(' to ', peerEnd)) {
    const server = parsePeer(message, peerEnd + 4);
    if (server?.ip !== undefined) extraOf(event).server_ip = server.ip;
    if (server?.port !== undefined) extraOf(event).server_port = String(server.port);
  }
  return event;
}

function verdict(message: string, word: string, action: string, origin: Origin): MailEvent | undefined {
  const client = parsePeer(message, word.length + 1);
  if (client === undefined) return undefined;
  const event = newEvent(origin, action, ['email', 'network']);
  event.client = client;
  extraOf(event).postscreen = word;
  return event;
}

function violation(message: string, word: string, action: string, origin: Origin): MailEvent | undefined {
  let i = word.length;
  const extra: Record<string, string> = { postscreen: word };
  // PREGREET counts the bytes the client sent before its turn.
  if (message.charCodeAt(i + 1) >= 0x30 && message.charCodeAt(i + 1) <= 0x39) {
    const countEnd = message.indexOf(' ', i + 1);
    if (countEnd < 0) return undefined;
    extra.count = message.slice(i + 1, countEnd);
    i = countEnd;
  }
  if (message.startsWith(' after ', i)) {
    const secondsEnd = message.indexOf(' ', i + 7);
    if (secondsEnd < 0) return undefined;
    extra.after = message.slice(i + 7, secondsEnd);
    i = secondsEnd;
  }
  if (!message.startsWith(' from ', i)) return undefined;
  const peerEnd = endOfPeer(message, i + 6);
  const client = peerEnd < 0 ? undefined : parsePeer(message, i + 6, peerEnd);
  if (client === undefined) return undefined;
  const event = newEvent(origin, action, ['email', 'intrusion_detection']);
  event.client = client;
  event.extra = extra;
  i = peerEnd;
  if (message.startsWith(' after ', i)) {
    let stageEnd = message.indexOf(':', i + 7);
    if (stageEnd < 0) stageEnd = message.length;
    extra.stage = message.slice(i + 7, stageEnd);
    i = stageEnd;
  }
  if (message.startsWith(': ', i)) event.statusText = message.slice(i + 2);
  else if (message.charCodeAt(i) === 0x20) event.statusText = message.slice(i + 1);
  return event;
}

/** `DNSBL rank 3 for [address]:port`: the client's combined DNSBL score reached the threshold. */
function dnsblRank(message: string, origin: Origin): MailEvent | undefined {
  const rankEnd = message.indexOf(' for ', DNSBL_RANK.length);
  if (rankEnd < 0) return undefined;
  const client = parsePeer(message, rankEnd + 5);
  if (client === undefined) return undefined;
  const event = newEvent(origin, 'dnsbl', ['email', 'intrusion_detection']);
  event.client = client;
  event.extra = { postscreen: 'DNSBL', dnsbl_rank: message.slice(DNSBL_RANK.length, rankEnd) };
  return event;
}
