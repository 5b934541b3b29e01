/**
 * `from=<sender>, size=2651, class=0, nrcpts=1, msgid=<id>, bodytype=8BITMIME, proto=ESMTP, daemon=MTA,
 * relay=host [ip]`: a message was accepted and queued. `relay=` is the client here; `daemon=` the name of the
 * listening socket (DaemonPortOptions `Name=`), kept as `extra.daemon_name`.
 */
import { unwrapAddress } from '../address';
import type { MailEvent } from '../types';
import { readRelay, relayExtra } from './relay';

function integer(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
}

export function parseArrival(values: Record<string, string>): MailEvent {
  const event: MailEvent = { mta: 'sendmail', action: 'queued', category: ['email'], outcome: 'success', from: unwrapAddress(values.from) };
  const size = integer(values.size);
  if (size !== undefined) event.size = size;
  const recipients = integer(values.nrcpts);
  if (recipients !== undefined) event.recipientCount = recipients;
  if (values.msgid !== undefined) event.messageId = unwrapAddress(values.msgid);
  if (values.proto !== undefined) event.protocol = values.proto;
  if (values.relay !== undefined) {
    const relay = readRelay(values.relay);
    event.client = relay.peer;
    event.extra = relayExtra(relay, event.extra);
  }
  if (values.daemon !== undefined) (event.extra ??= {}).daemon_name = values.daemon;
  if (values.bodytype !== undefined) (event.extra ??= {}).bodytype = values.bodytype;
  return event;
}
