/**
 * SA-Exim, the `local_scan()` that runs SpamAssassin at SMTP time: `SA: Action: flagged as Spam but accepted:
 * score=8.2 required=5.0 (scanned in 6/6 secs | Message-Id: x@y). From <sender> (host=name [192.0.2.1]) for rcpt`.
 * The Message-ID and the sender are the client's; the `(host=...)` part after them is SA-Exim's own, so it is found
 * from the end of the line.
 */
import { readPeer, unwrapAddress } from '../address';
import type { MailEvent } from '../types';

const PREFIX = 'SA: Action: ';
const HOST = ' (host=';
const FROM = ' From <';
const MESSAGE_ID = 'Message-Id: ';

/** An SA-Exim verdict; undefined when `text[start]` is not one. */
export function parseSpamAssassin(text: string, start: number): MailEvent | undefined {
  if (!text.startsWith(PREFIX, start)) return undefined;
  const resultStart = start + PREFIX.length;
  const host = text.lastIndexOf(HOST);
  if (host < resultStart) return undefined;
  let resultEnd = text.indexOf(': ', resultStart);
  const paren = text.indexOf(' (', resultStart);
  if (resultEnd < 0 || (paren >= 0 && paren < resultEnd)) resultEnd = paren;
  const event: MailEvent = {
    mta: 'exim',
    action: 'milter',
    category: ['email'],
    milter: { name: 'sa-exim', result: text.slice(resultStart, resultEnd < 0 ? host : resultEnd) },
  };

  const peer = readPeer(text, host + HOST.length);
  event.client = {};
  if (peer.host !== undefined && peer.host !== 'NULL') event.client.host = peer.host;
  if (peer.ip !== undefined) event.client.ip = peer.ip;

  const from = text.lastIndexOf(FROM, host);
  if (from >= resultStart) {
    event.from = unwrapAddress(text.slice(from + FROM.length - 1, host));
    const idStart = text.indexOf(MESSAGE_ID, resultStart);
    // `...Message-Id: x@y). From <...`: the id runs to the `).` just before the sender.
    if (idStart >= 0 && idStart < from && text.charCodeAt(from - 1) === 0x2e && text.charCodeAt(from - 2) === 0x29) {
      event.messageId = unwrapAddress(text.slice(idStart + MESSAGE_ID.length, from - 2));
    }
  }
  const score = text.indexOf('score=', resultStart);
  if (score >= 0 && score < host) {
    let end = text.indexOf(' ', score);
    if (end < 0) end = text.length;
    event.extra = { score: text.slice(score + 6, end) };
  }

  const close = text.indexOf(') for ', peer.end);
  if (close >= 0) {
    const recipients = text.slice(close + 6);
    if (recipients.indexOf(' ') < 0) event.to = recipients;
    else {
      event.recipientCount = recipients.split(' ').length;
      (event.extra ??= {}).recipients = recipients;
    }
  }
  return event;
}
