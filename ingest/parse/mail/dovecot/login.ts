/**
 * The login processes (`imap-login`, `pop3-login`, `managesieve-login`, `submission-login`): `Login: user=<u>,
 * ...` when a client authenticated, and otherwise why its connection ended before it did: `Aborted login (auth
 * failed, 1 attempts in 2 secs): ...`, `Disconnected (no auth attempts in 10 secs): ...`, Dovecot 2.4's `Login
 * aborted: Connection closed (auth failed, 3 attempts in 16 secs) (auth_failed): ...`, `Disconnected (tried to use
 * disallowed plaintext auth): ...`.
 */
import type { MailEvent } from '../types';
import { readLoginFields, type LoginFields } from './login-fields';

const PROTOCOLS: Record<string, string> = {
  'imap-login': 'IMAP',
  'pop3-login': 'POP3',
  'managesieve-login': 'MANAGESIEVE',
  'submission-login': 'SUBMISSION',
};

/** Phrases in the reason that mean the client tried credentials and was refused. */
const AUTH_REFUSED = ['auth failed', '(tried to use '];
/** How a reason opens when a connection ended; a line without fields must open so to be one. */
const ENDINGS = ['Disconnected', 'Aborted login', 'Login aborted', 'Client has quit', 'Remote closed connection', 'Connection closed'];

/** Where the fields start: the first `: user=<`, `: method=` or `: rip=`, all written after the reason. */
function fieldsStart(text: string): number {
  let start = -1;
  for (const key of [': user=<', ': method=', ': rip=']) {
    const at = text.indexOf(key);
    if (at >= 0 && (start < 0 || at < start)) start = at;
  }
  return start;
}

function apply(event: MailEvent, fields: LoginFields): void {
  if (fields.ip !== undefined) {
    event.client = { ip: fields.ip };
    if (fields.port !== undefined) event.client.port = fields.port;
  }
  // `user=<>`: the client never named one.
  if (fields.user || fields.method !== undefined) {
    const auth: NonNullable<MailEvent['auth']> = {};
    if (fields.method !== undefined) auth.method = fields.method;
    if (fields.user) auth.user = fields.user;
    event.auth = auth;
  }
  if (fields.cipher !== undefined) {
    event.tls = { cipher: fields.cipher };
    if (fields.tlsVersion !== undefined) event.tls.version = fields.tlsVersion;
    if (fields.bits !== undefined) event.tls.bits = fields.bits;
  }
  if (fields.localIp !== undefined) (event.extra ??= {}).server_ip = fields.localIp;
  if (fields.localPort !== undefined) (event.extra ??= {}).server_port = String(fields.localPort);
  if (fields.session !== undefined) (event.extra ??= {}).session = fields.session;
  if (fields.secured !== undefined) (event.extra ??= {}).secured = fields.secured;
}

/** A login process's line; undefined when it is not one of the above. */
export function parseLogin(process: string, text: string): MailEvent | undefined {
  const protocol = PROTOCOLS[process];
  const start = fieldsStart(text);
  const reason = start < 0 ? text : text.slice(0, start);
  let event: MailEvent;
  if (reason === 'Login') {
    event = { mta: 'dovecot', action: 'auth-success', category: ['authentication'], outcome: 'success' };
  } else if (AUTH_REFUSED.some((phrase) => reason.includes(phrase))) {
    event = { mta: 'dovecot', action: 'auth-failure', category: ['authentication'], outcome: 'failure', extra: { reason } };
  } else if (start >= 0 || ENDINGS.some((ending) => reason.startsWith(ending))) {
    event = { mta: 'dovecot', action: 'disconnect', category: ['network'], outcome: 'unknown', extra: { reason } };
  } else return undefined;
  event.daemon = process;
  if (protocol !== undefined) event.protocol = protocol;
  if (start >= 0) apply(event, readLoginFields(text.slice(start + 2)));
  return event;
}
