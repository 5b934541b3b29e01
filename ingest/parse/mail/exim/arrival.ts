/**
 * `<=`: a message arrived and is on the queue. The envelope sender comes first (`<>` for a bounce), then the
 * fields: `H=` the sending host, `U=` the local user or RFC 1413 identity, `P=` the protocol, `S=` the size, `id=`
 * the Message-ID, `T=` the subject, `A=` the authenticator, `X=` the cipher suite, `R=` the message a locally
 * generated bounce is about. The `received_sender` and `received_recipients` selectors append `from <sender>` and
 * `for rcpt ...`.
 */
import { unwrapAddress } from '../address';
import type { MailEvent } from '../types';
import { readFields } from './fields';
import { applyClient, authOf, tlsOf } from './values';

/** Reads an arrival from `body[start]`, just after `<= `. `fake_reject`: the `(=` line of a fakereject ACL. */
export function parseArrival(body: string, start: number, fake_reject: boolean): MailEvent {
  let senderEnd = body.indexOf(' ', start);
  if (senderEnd < 0) senderEnd = body.length;
  const event: MailEvent = {
    mta: 'exim',
    action: 'queued',
    category: ['email'],
    outcome: 'success',
    from: unwrapAddress(body.slice(start, senderEnd)),
  };
  const fields = readFields(body, senderEnd);
  const v = fields.values;
  applyClient(event, fields);
  if (v.P !== undefined) event.protocol = v.P.toUpperCase();
  if (v.S !== undefined) {
    const size = Number(v.S);
    if (Number.isInteger(size)) event.size = size;
  }
  const messageId = v.id ?? v['id*'];
  if (messageId !== undefined) event.messageId = unwrapAddress(messageId);
  if (v.T !== undefined) event.subject = v.T;
  const auth = authOf(v.A);
  if (auth) event.auth = auth;
  const tls = tlsOf(v.X, v.CV);
  if (tls) event.tls = tls;
  if (v.U !== undefined) (event.extra ??= {}).ident = v.U;
  if (v.R !== undefined) (event.extra ??= {}).bounce_of = v.R;
  if (fake_reject) (event.extra ??= {}).fake_reject = 'true';
  readTail(body, fields.end, event);
  return event;
}

/** `from <sender>` and `for a@x b@y`, the selectors that list the unrewritten sender and the recipients. */
function readTail(body: string, start: number, event: MailEvent): void {
  let i = start;
  if (body.startsWith('from ', i)) {
    let end = body.indexOf(' ', i + 5);
    if (end < 0) end = body.length;
    (event.extra ??= {}).original_sender = unwrapAddress(body.slice(i + 5, end));
    i = end + 1;
  }
  if (!body.startsWith('for ', i)) return;
  const recipients = body.slice(i + 4);
  let count = 1;
  for (let k = recipients.indexOf(' '); k >= 0; k = recipients.indexOf(' ', k + 1)) count++;
  event.recipientCount = count;
  (event.extra ??= {}).recipients = recipients;
}
