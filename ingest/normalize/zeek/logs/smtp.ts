/** `smtp`: one record per message transaction, mapped to ECS `email.*`. */
import type { ZeekValue } from '../../../parse/zeek/record';
import type { EcsDocument } from '../context';
import { hasAny, type LogMapper } from '../mapper';
import { relateHost, relateIp } from '../related';
import { isoFromEpoch, str, strings, type ZeekFields } from '../values';
import { NETWORK_EMAIL, PROTOCOL_INFO } from './categories';

/**
 * The addresses of a header value such as `Arne Welzel <arne@example.com>, other@example.com`: commas inside
 * quotes or angle brackets do not separate addresses.
 */
export function mailAddresses(header: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let angle = -1;
  let start = 0;
  let bracketed: string | undefined;
  const flush = (end: number): void => {
    const address = bracketed ?? header.slice(start, end).trim();
    if (address.length > 0 && address.indexOf('@') >= 0) out.push(address);
    bracketed = undefined;
  };
  for (let i = 0; i < header.length; i++) {
    const c = header.charCodeAt(i);
    if (c === 0x22 && angle < 0) quoted = !quoted;
    else if (quoted) continue;
    else if (c === 0x3c) angle = i;
    else if (c === 0x3e && angle >= 0) {
      bracketed = header.slice(angle + 1, i).trim();
      angle = -1;
    } else if (c === 0x2c && angle < 0) {
      flush(i);
      start = i + 1;
    }
  }
  flush(header.length);
  return out;
}

function addressesOf(value: ZeekValue | undefined): string[] | undefined {
  const headers = strings(value);
  if (headers === undefined) return undefined;
  const out: string[] = [];
  for (const h of headers) for (const a of mailAddresses(h)) out.push(a);
  return out.length === 0 ? undefined : out;
}

function stripAngles(id: string): string {
  return id.charCodeAt(0) === 0x3c && id.charCodeAt(id.length - 1) === 0x3e ? id.slice(1, -1) : id;
}

function mapSmtp(f: ZeekFields, doc: EcsDocument): void {
  const email: Record<string, unknown> = {};
  // The From header says who wrote the message, the envelope MAIL FROM who sent it (ECS `sender`).
  const envelopeFrom = addressesOf(f.mailfrom);
  const from = addressesOf(f.from) ?? envelopeFrom;
  if (from !== undefined) email.from = { address: from };
  if (envelopeFrom !== undefined) email.sender = { address: envelopeFrom[0] };
  const to = addressesOf(f.to) ?? addressesOf(f.rcptto);
  if (to !== undefined) email.to = { address: to };
  const cc = addressesOf(f.cc);
  if (cc !== undefined) email.cc = { address: cc };
  const replyTo = addressesOf(f.reply_to);
  if (replyTo !== undefined) email.reply_to = { address: replyTo };
  const messageId = str(f.msg_id);
  if (messageId !== undefined) email.message_id = stripAngles(messageId);
  const subject = str(f.subject);
  if (subject !== undefined) email.subject = subject;
  const mailer = str(f.user_agent);
  if (mailer !== undefined) email.x_mailer = mailer;
  const date = str(f.date);
  if (date !== undefined) {
    const ms = Date.parse(date);
    const iso = Number.isNaN(ms) ? undefined : isoFromEpoch(ms / 1000);
    if (iso !== undefined) email.origination_timestamp = iso;
  }
  if (hasAny(email)) doc.email = email;

  relateHost(doc, str(f.helo));
  relateIp(doc, str(f.x_originating_ip));
  const path = strings(f.path);
  if (path !== undefined) for (const hop of path) relateIp(doc, hop);
}

export const smtpMappers: Record<string, LogMapper> = {
  smtp: { category: NETWORK_EMAIL, type: PROTOCOL_INFO, protocol: 'smtp', transport: 'tcp', map: mapSmtp },
};
