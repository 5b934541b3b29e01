/**
 * `STARTTLS=server, relay=host [ip], version=TLSv1.2, verify=NO, cipher=ECDHE-RSA-AES256-GCM-SHA384, bits=256/256`:
 * a TLS session, with a client (`server`) or with a relay (`client`). `verify=` is the result of checking the
 * peer's certificate: `OK`, `FAIL`, `NO` (none presented), `NOT` (none asked for), `NONE` (no STARTTLS). A failed
 * handshake writes `error:` instead of the session's parameters.
 */
import type { MailEvent } from '../types';
import { readRelay, relayExtra } from './relay';

const TRUST: Record<string, string> = { OK: 'Verified', FAIL: 'Untrusted', NO: 'Anonymous', NOT: 'Anonymous' };

export function parseStartTls(values: Record<string, string>): MailEvent {
  const event: MailEvent = { mta: 'sendmail', action: 'tls', category: ['email', 'network'] };
  const tls: NonNullable<MailEvent['tls']> = {};
  if (values.version !== undefined) tls.version = values.version;
  if (values.cipher !== undefined) tls.cipher = values.cipher;
  if (values.bits !== undefined) {
    const bits = Number.parseInt(values.bits, 10);
    if (!Number.isNaN(bits)) tls.bits = bits;
  }
  const trust = values.verify === undefined ? undefined : TRUST[values.verify];
  if (trust !== undefined) tls.trust = trust;
  if (values.verify !== undefined) (event.extra ??= {}).verify = values.verify;
  event.tls = tls;
  const side = values.STARTTLS;
  // `STARTTLS=server, error: accept failed=-1, reason=...`: the handshake failed.
  if (side.includes('error:')) event.outcome = 'failure';
  else if (values.cipher !== undefined) event.outcome = 'success';
  if (values.reason !== undefined) (event.extra ??= {}).reason = values.reason;
  if (values.relay !== undefined) {
    const relay = readRelay(values.relay);
    if (side.startsWith('client')) event.relay = relay.peer;
    else event.client = relay.peer;
    event.extra = relayExtra(relay, event.extra);
  }
  return event;
}
