/**
 * SMTP AUTH as Sendmail logs it: `AUTH=server, relay=host [ip], authid=user, mech=PLAIN, bits=0` when a client
 * authenticated (`AUTH=client` when Sendmail did, at a relay), and `AUTH failure (LOGIN): <SASL's reason>, user=x,
 * relay=host [ip]` when it failed. The user name is the client's; the `relay=` after it is Sendmail's, so the last
 * `relay=` of the line is the client.
 */
import type { MailEvent } from '../types';
import { readKeyValues } from './key-values';
import { readRelay, relayExtra } from './relay';

const FAILURE = 'AUTH failure (';

/** `AUTH=server, ...` or `AUTH=client, ...`, read into `values`. */
export function parseAuthSuccess(values: Record<string, string>): MailEvent {
  const event: MailEvent = { mta: 'sendmail', action: 'auth-success', category: ['authentication'], outcome: 'success' };
  const auth: NonNullable<MailEvent['auth']> = {};
  if (values.mech !== undefined) auth.method = values.mech;
  if (values.authid !== undefined) auth.user = values.authid;
  event.auth = auth;
  if (values.relay !== undefined) {
    const relay = readRelay(values.relay);
    if (values.AUTH === 'client') event.relay = relay.peer;
    else event.client = relay.peer;
    event.extra = relayExtra(relay, event.extra);
  }
  return event;
}

/** `AUTH failure (MECH): reason, user=..., relay=...`; undefined when `text[start]` is not one. */
export function parseAuthFailure(text: string, start: number): MailEvent | undefined {
  if (!text.startsWith(FAILURE, start)) return undefined;
  const methodStart = start + FAILURE.length;
  const methodEnd = text.indexOf('): ', methodStart);
  if (methodEnd < 0) return undefined;
  const event: MailEvent = {
    mta: 'sendmail',
    action: 'auth-failure',
    category: ['authentication'],
    outcome: 'failure',
    auth: { method: text.slice(methodStart, methodEnd).toUpperCase() },
  };
  const reasonStart = methodEnd + 3;
  let fieldsStart = text.indexOf(', user=', reasonStart);
  if (fieldsStart < 0) fieldsStart = text.indexOf(', relay=', reasonStart);
  const values = fieldsStart < 0 ? {} : readKeyValues(text, fieldsStart + 2);
  event.reject = { text: text.slice(reasonStart, fieldsStart < 0 ? text.length : fieldsStart), stage: 'AUTH' };
  if (values.user !== undefined && event.auth) event.auth.user = values.user;
  if (values.relay !== undefined) {
    const relay = readRelay(values.relay);
    event.client = relay.peer;
    event.extra = relayExtra(relay, event.extra);
  }
  return event;
}
