/**
 * What Sendmail logs about an SMTP session by the client's name and address: `[ip]: possible SMTP attack:
 * command=AUTH, count=5` (too many of one command), `host [ip]: VRFY root [rejected]`, `host [ip] did not issue
 * MAIL/EXPN/VRFY/ETRN during connection to MTA`, `lost input channel from host [ip] to MTA after rcpt`, and
 * `rejecting commands from host [ip] due to pre-greeting traffic after 0 seconds`.
 */
import { peerOf, readPeer, type PeerSpan } from '../address';
import type { MailEvent } from '../types';
import { readKeyValues } from './key-values';

const MAY_BE_FORGED = ' (may be forged)';
const ATTACK = ': possible SMTP attack: ';
const DID_NOT_ISSUE = ' did not issue MAIL/EXPN/VRFY/ETRN during connection to ';
const LOST = 'lost input channel from ';
const PRE_GREETING = 'rejecting commands from ';
const DUE_TO = ' due to ';
const PROBES = new Set(['EXPN', 'VRFY']);

function sessionEvent(action: string, category: MailEvent['category'], outcome: MailEvent['outcome'], peer: PeerSpan, forged: boolean): MailEvent {
  const event: MailEvent = { mta: 'sendmail', action, category, client: peerOf(peer) };
  if (outcome !== undefined) event.outcome = outcome;
  if (forged) event.extra = { may_be_forged: 'true' };
  return event;
}

/** The peer at `start` and where the text after it (and after `(may be forged)`) starts. */
function peerAt(text: string, start: number): { peer: PeerSpan; forged: boolean; after: number } {
  const peer = readPeer(text, start);
  const forged = text.startsWith(MAY_BE_FORGED, peer.end);
  return { peer, forged, after: forged ? peer.end + MAY_BE_FORGED.length : peer.end };
}

/** `host [ip]...` at `start`; undefined when what follows the peer is not a line this file knows. */
function peerLine(text: string, start: number): MailEvent | undefined {
  const { peer, forged, after } = peerAt(text, start);
  if (peer.ip === undefined) return undefined;
  if (text.startsWith(ATTACK, after)) {
    const values = readKeyValues(text, after + ATTACK.length);
    // Repeated AUTH commands are a password guesser at work; other commands, a client probing or misbehaving.
    const auth = values.command === 'AUTH';
    const category: MailEvent['category'] = [auth ? 'authentication' : 'email', 'intrusion_detection'];
    const event = sessionEvent(auth ? 'auth-failure' : 'smtp-attack', category, 'failure', peer, forged);
    const extra: Record<string, string> = (event.extra ??= {});
    if (values.command !== undefined) extra.command = values.command;
    if (values.count !== undefined) extra.count = values.count;
    return event;
  }
  if (text.startsWith(DID_NOT_ISSUE, after)) {
    const event = sessionEvent('disconnect', ['email', 'network'], 'unknown', peer, forged);
    (event.extra ??= {}).daemon_name = text.slice(after + DID_NOT_ISSUE.length);
    return event;
  }
  if (text.charCodeAt(after) === 0x3a && text.charCodeAt(after + 1) === 0x20) {
    const commandStart = after + 2;
    const verbEnd = text.indexOf(' ', commandStart);
    const verb = text.slice(commandStart, verbEnd < 0 ? text.length : verbEnd).toUpperCase();
    if (!PROBES.has(verb) || !text.endsWith(' [rejected]')) return undefined;
    const event = sessionEvent('reject', ['email'], 'failure', peer, forged);
    event.reject = { text: text.slice(commandStart), stage: verb };
    return event;
  }
  return undefined;
}

/** `lost input channel from host [ip] to MTA-v4 after rcpt`: the client went away mid-session. */
function lostInput(text: string, start: number): MailEvent | undefined {
  const { peer, forged, after } = peerAt(text, start);
  if (peer.ip === undefined && peer.host === undefined) return undefined;
  const event = sessionEvent('disconnect', ['email', 'network'], 'failure', peer, forged);
  const extra: Record<string, string> = (event.extra ??= {});
  extra.reason = 'lost input channel';
  if (text.startsWith(' to ', after)) {
    const daemonStart = after + 4;
    const afterWord = text.indexOf(' after ', daemonStart);
    extra.daemon_name = text.slice(daemonStart, afterWord < 0 ? text.length : afterWord);
    if (afterWord >= 0) extra.stage = text.slice(afterWord + 7);
  }
  return event;
}

/** `rejecting commands from host [ip] due to pre-greeting traffic after 6 seconds`: a client that spoke too soon. */
function preGreeting(text: string, start: number): MailEvent | undefined {
  let i = start;
  // Sendmail writes two spaces when the client has no name.
  while (text.charCodeAt(i) === 0x20) i++;
  const { peer, forged, after } = peerAt(text, i);
  if (peer.ip === undefined || !text.startsWith(DUE_TO, after)) return undefined;
  const event = sessionEvent('reject', ['email'], 'failure', peer, forged);
  event.reject = { text: text.slice(after + DUE_TO.length), stage: 'CONNECT' };
  return event;
}

/** A session line; undefined when `text[start]` is not one. */
export function parseSession(text: string, start: number): MailEvent | undefined {
  if (text.startsWith(LOST, start)) return lostInput(text, start + LOST.length);
  if (text.startsWith(PRE_GREETING, start)) return preGreeting(text, start + PRE_GREETING.length);
  return peerLine(text, start);
}
