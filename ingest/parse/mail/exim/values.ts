/**
 * What the values of Exim's fields mean: the peer of `H=` and `I=`, the cipher suite of `X=` with `CV=`, the
 * authenticator of `A=`.
 */
import { peerOf } from '../address';
import type { MailEvent } from '../types';
import type { EximFields } from './fields';

/**
 * `X=TLSv1.2:ECDHE-RSA-AES128-GCM-SHA256:128` (OpenSSL) or `X=TLS1.3:ECDHE_SECP256R1__RSA_PSS_RSAE_SHA256__AES_256_GCM:256`
 * (GnuTLS): version, cipher, key bits. `CV=yes` says the peer's certificate was verified.
 */
export function tlsOf(cipherSuite: string | undefined, verified: string | undefined): MailEvent['tls'] {
  if (cipherSuite === undefined) return undefined;
  const tls: NonNullable<MailEvent['tls']> = {};
  const first = cipherSuite.indexOf(':');
  const last = cipherSuite.lastIndexOf(':');
  if (first < 0) tls.cipher = cipherSuite;
  else {
    tls.version = cipherSuite.slice(0, first);
    const bits = last > first ? Number.parseInt(cipherSuite.slice(last + 1), 10) : Number.NaN;
    if (Number.isNaN(bits)) tls.cipher = cipherSuite.slice(first + 1);
    else {
      tls.cipher = cipherSuite.slice(first + 1, last);
      tls.bits = bits;
    }
  }
  if (verified === 'yes') tls.trust = 'Verified';
  else if (verified === 'dane') tls.trust = 'DANE';
  else if (verified === 'no') tls.trust = 'Untrusted';
  return tls;
}

/**
 * `A=dovecot_login:user@example.com`: the authenticator's name and the id its `server_set_id` made. With the
 * `smtp_mailauth` selector a third part (the AUTH= sender of MAIL) follows; it is not the user.
 */
export function authOf(value: string | undefined): MailEvent['auth'] {
  if (value === undefined) return undefined;
  const colon = value.indexOf(':');
  if (colon < 0) return { method: value };
  const next = value.indexOf(':', colon + 1);
  return { method: value.slice(0, colon), user: value.slice(colon + 1, next < 0 ? value.length : next) };
}

/** The remote host of `H=` as the event's client, with its HELO name, and the local interface of `I=`. */
export function applyClient(event: MailEvent, fields: EximFields): void {
  if (fields.host) {
    event.client = peerOf(fields.host);
    if (fields.host.helo !== undefined) event.helo = fields.host.helo;
  }
  applyLocal(event, fields);
}

/** `I=[ip]:port`, the address the connection came in on, kept for the destination side of the event. */
export function applyLocal(event: MailEvent, fields: EximFields): void {
  const local = fields.local;
  if (!local || local.ip === undefined) return;
  event.extra ??= {};
  event.extra.server_ip = local.ip;
  if (local.port !== undefined) event.extra.server_port = String(local.port);
}
