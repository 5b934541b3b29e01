/**
 * One recipient's delivery: `=>` delivered, `->` a further address of the same delivery, `>>` delivered in
 * cutthrough mode, `*>` suppressed by `-N`, `**` failed (bounced), `==` deferred. The address comes first, then the
 * parent in parentheses and the original address in angle brackets when routing changed it, then the fields:
 * `R=` router, `T=` transport, `H=` the host delivered to, `C=` its confirmation, `QT=` the time on the queue. A
 * failure or deferral ends with `: ` and the reason, in which an SMTP error names the host and its reply.
 */
import { peerOf, readPeer, unwrapAddress } from '../address';
import { replyAt } from '../reply';
import type { DeliveryStatus, MailEvent, SmtpReply } from '../types';
import { eximDuration, readFields, type EximFields } from './fields';
import { applyLocal, authOf, tlsOf } from './values';

const STATUS: Record<string, DeliveryStatus> = {
  '=>': 'sent',
  '->': 'sent',
  '>>': 'sent',
  '*>': 'discarded',
  '**': 'bounced',
  '==': 'deferred',
};

/** Whether `flag` (the two characters after the message id) is one of the delivery flags. */
export function isDeliveryFlag(flag: string): boolean {
  return STATUS[flag] !== undefined;
}

/** The last SMTP reply in a failure reason: `...: host mx [192.0.2.1]: 550 5.1.1 <x>: Recipient address rejected`. */
function lastReply(reason: string): SmtpReply | undefined {
  for (let k = reason.lastIndexOf(': '); k >= 0; k = k === 0 ? -1 : reason.lastIndexOf(': ', k - 1)) {
    const reply = replyAt(reason, k + 2);
    if (reply) return reply;
  }
  return replyAt(reason, 0);
}

/** The host a failure reason names (`...: host pbmail3.example [192.0.2.1]: 553 ...`), as older Exims write it. */
function hostInReason(reason: string): EximFields['host'] {
  const at = reason.startsWith('host ') ? 0 : reason.indexOf(': host ');
  if (at < 0) return undefined;
  const peer = readPeer(reason, at === 0 ? 5 : at + 7);
  return peer.ip === undefined ? undefined : peer;
}

/**
 * Reads the fields after the addresses, stepping over the words a deferral puts among them (`defer (146)`,
 * `routing defer (-51)`). Returns where the reason starts, or -1; an errno in parentheses goes to `extra.errno`.
 */
function readDeliveryFields(body: string, start: number, event: MailEvent): { fields: EximFields; reasonStart: number } {
  const fields = readFields(body, start);
  while (!fields.colon && fields.end < body.length) {
    let wordEnd = body.indexOf(' ', fields.end);
    if (wordEnd < 0) wordEnd = body.length;
    const endsReason = body.charCodeAt(wordEnd - 1) === 0x3a;
    const word = body.slice(fields.end, endsReason ? wordEnd - 1 : wordEnd);
    if (word.length > 2 && word.charCodeAt(0) === 0x28 && word.charCodeAt(word.length - 1) === 0x29) {
      (event.extra ??= {}).errno = word.slice(1, -1);
    }
    if (endsReason) return { fields, reasonStart: Math.min(wordEnd + 1, body.length) };
    readFields(body, wordEnd, fields);
  }
  return { fields, reasonStart: fields.colon ? Math.min(fields.end + 2, body.length) : -1 };
}

/** Reads a delivery line from `body[start]`, just after the flag and its space. */
export function parseDelivery(flag: string, body: string, start: number): MailEvent {
  let addressEnd = body.indexOf(' ', start);
  if (addressEnd < 0) addressEnd = body.length;
  let reasonStart = -1;
  let address = body.slice(start, addressEnd);
  // `:blackhole:` is a name; any other address ending in `:` is followed by the reason.
  if (address.endsWith(':') && !address.startsWith(':')) {
    address = address.slice(0, -1);
    reasonStart = Math.min(addressEnd + 1, body.length);
  }
  let i = addressEnd + 1;
  let parent: string | undefined;
  let original: string | undefined;
  if (reasonStart < 0 && body.charCodeAt(i) === 0x28) {
    const close = body.indexOf(')', i);
    if (close > i) {
      parent = body.slice(i + 1, close);
      i = close + 2;
    }
  }
  if (reasonStart < 0 && body.charCodeAt(i) === 0x3c) {
    const close = body.indexOf('>', i);
    if (close > i) {
      original = body.slice(i + 1, close);
      i = close + 1;
      if (body.charCodeAt(i) === 0x3a) reasonStart = Math.min(i + 2, body.length);
    }
  }

  // A filter's `seen finish` and a `:blackhole:` alias log the delivery under those names; the recipient is the original.
  const discarded = address === 'discarded' || address === ':blackhole:';
  const status: DeliveryStatus = discarded ? 'discarded' : STATUS[flag];
  const event: MailEvent = { mta: 'exim', action: 'delivery', category: ['email'], status };
  if (status === 'sent') event.outcome = 'success';
  else if (status === 'bounced' || status === 'deferred') event.outcome = 'failure';
  if (discarded && original !== undefined) event.to = original;
  else {
    event.to = address;
    if (original !== undefined) event.origTo = original;
  }
  if (parent !== undefined) (event.extra ??= {}).parent = parent;
  if (flag === '*>') (event.extra ??= {}).suppressed = 'true';

  let fields: EximFields | undefined;
  if (reasonStart < 0) {
    const read = readDeliveryFields(body, i, event);
    fields = read.fields;
    reasonStart = read.reasonStart;
    applyDeliveryFields(event, fields);
  }
  if (reasonStart >= 0) {
    const reason = body.slice(reasonStart);
    event.statusText = reason;
    const reply = lastReply(reason);
    if (reply?.dsn !== undefined) event.dsn = reply.dsn;
    if (!event.relay) {
      const host = hostInReason(reason);
      if (host) event.relay = peerOf(host);
    }
  } else if (fields?.values.C !== undefined) {
    event.statusText = fields.values.C;
    const reply = replyAt(fields.values.C, 0);
    if (reply?.dsn !== undefined) event.dsn = reply.dsn;
  }
  return event;
}

function applyDeliveryFields(event: MailEvent, fields: EximFields): void {
  const v = fields.values;
  if (fields.host) event.relay = peerOf(fields.host);
  applyLocal(event, fields);
  if (v.F !== undefined) event.from = unwrapAddress(v.F);
  if (v.S !== undefined) {
    const size = Number(v.S);
    if (Number.isInteger(size)) event.size = size;
  }
  const queued = eximDuration(v.QT);
  if (queued !== undefined) event.delay = queued;
  const auth = authOf(v.A);
  if (auth) event.auth = auth;
  const tls = tlsOf(v.X, v.CV);
  if (tls) event.tls = tls;
  if (v.R !== undefined) (event.extra ??= {}).router = v.R;
  if (v.T !== undefined) (event.extra ??= {}).transport = v.T;
  if (v.P !== undefined) (event.extra ??= {}).return_path = unwrapAddress(v.P);
  const delivery_time = eximDuration(v.DT);
  if (delivery_time !== undefined) (event.extra ??= {}).delivery_time = String(delivery_time);
}
