/**
 * The authentication processes (`auth`, `auth-worker`): a password database's verdict on a login,
 * `pam(user,192.0.2.1): pam_authenticate() failed: Authentication failure (password mismatch?)`,
 * `sql(user,192.0.2.1,<session>): unknown user`, `ldap(user,192.0.2.1,): invalid credentials`; in Dovecot 2.4 the
 * user and address move into the process name, `auth(user,192.0.2.1,sasl:login)<session>: sql: Password mismatch`;
 * and PAM's own `pam_unix(dovecot:auth): authentication failure; ... ruser=u rhost=192.0.2.1`.
 *
 * Dovecot logs the password itself on some failures when auth_verbose_passwords is set; it is not carried over.
 */
import { looksLikeIp } from '../address';
import type { MailEvent } from '../types';

/** The password databases (passdb drivers) Dovecot ships. */
const DRIVERS = new Set([
  'pam',
  'passwd',
  'passwd-file',
  'shadow',
  'sql',
  'ldap',
  'checkpassword',
  'bsdauth',
  'static',
  'lua',
  'oauth2',
  'imap',
  'vpopmail',
]);
/** What a failed verdict says. */
const FAILURES = ['unknown user', 'Password mismatch', 'password mismatch', 'pam_authenticate() failed', 'invalid credentials'];
const PASSWORD_SHOWN = [' (given password: ', ' (SHA1 of given password: '];
const PAM_UNIX = 'pam_unix(dovecot';

/** `user,192.0.2.1,<session>` or `user,192.0.2.1,sasl:login`: the user and the client's address, found from the end. */
function userAndAddress(context: string): { user?: string; ip?: string; mechanism?: string } {
  const parts = context.split(',');
  for (let k = parts.length - 1; k >= 0; k--) {
    if (!looksLikeIp(parts[k])) continue;
    const out: { user?: string; ip?: string; mechanism?: string } = { ip: parts[k] };
    if (k > 0) out.user = parts.slice(0, k).join(',');
    const after = parts[k + 1];
    if (after !== undefined && after.startsWith('sasl:')) out.mechanism = after.slice(5).toUpperCase();
    return out;
  }
  return {};
}

/** The verdict without the password (or its hash) Dovecot appended: it runs to the end, and may hold a `)`. */
function withoutPassword(verdict: string): string {
  for (const shown of PASSWORD_SHOWN) {
    const at = verdict.indexOf(shown);
    if (at >= 0) return verdict.slice(0, at);
  }
  return verdict;
}

function failure(process: string, driver: string, verdict: string, who: { user?: string; ip?: string; mechanism?: string }): MailEvent {
  const event: MailEvent = {
    mta: 'dovecot',
    daemon: process,
    action: 'auth-failure',
    category: ['authentication'],
    outcome: 'failure',
    extra: { passdb: driver, reason: withoutPassword(verdict) },
  };
  if (who.ip !== undefined) event.client = { ip: who.ip };
  if (who.user !== undefined || who.mechanism !== undefined) {
    event.auth = {};
    if (who.mechanism !== undefined) event.auth.method = who.mechanism;
    if (who.user !== undefined) event.auth.user = who.user;
  }
  return event;
}

function isFailure(verdict: string): boolean {
  return FAILURES.some((phrase) => verdict.includes(phrase));
}

/**
 * `pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=u rhost=192.0.2.1  user=u`.
 * `ruser` is the name the client gave and can hold `rhost=`, so the address is the last ` rhost=`.
 */
function pamUnix(process: string, text: string): MailEvent | undefined {
  if (!text.includes('): authentication failure; ')) return undefined;
  const rhost = text.lastIndexOf(' rhost=');
  if (rhost < 0) return undefined;
  const valueStart = rhost + 7;
  let valueEnd = text.indexOf(' ', valueStart);
  if (valueEnd < 0) valueEnd = text.length;
  const host = text.slice(valueStart, valueEnd);
  const userAt = text.indexOf('  user=', valueEnd);
  const ruserAt = text.indexOf(' ruser=');
  const user = userAt >= 0 ? text.slice(userAt + 7) : ruserAt >= 0 && ruserAt < rhost ? text.slice(ruserAt + 7, rhost) : '';
  const event = failure(process, 'pam', 'authentication failure', user === '' ? {} : { user });
  if (looksLikeIp(host)) event.client = { ip: host };
  else if (host !== '') event.client = { host };
  return event;
}

/** A password database's verdict; undefined when the line is not a failed login. */
export function parsePassdb(process: string, context: string | undefined, text: string): MailEvent | undefined {
  if (text.startsWith(PAM_UNIX)) return pamUnix(process, text);
  let i = 0;
  // Dovecot 2.3's worker connection prefix: `conn unix:auth-worker (pid=27359,uid=97): auth-worker<55>: `.
  if (text.startsWith('conn ')) {
    const end = text.indexOf('>: ');
    if (end < 0) return undefined;
    i = end + 3;
  }
  let driverEnd = i;
  while (driverEnd < text.length) {
    const c = text.charCodeAt(driverEnd);
    if (c === 0x28 || c === 0x3a) break;
    driverEnd++;
  }
  const driver = text.slice(i, driverEnd);
  if (!DRIVERS.has(driver)) return undefined;
  if (text.charCodeAt(driverEnd) === 0x3a) {
    // Dovecot 2.4: `sql: Password mismatch`, who it was about in the process's context.
    const verdict = text.slice(driverEnd + 2);
    if (context === undefined || !isFailure(verdict)) return undefined;
    return failure(process, driver, verdict, userAndAddress(context));
  }
  // The user is the client's and may hold `): `: the context ends at the first `): ` after which an address was read.
  for (let close = text.indexOf('): ', driverEnd); close >= 0; close = text.indexOf('): ', close + 1)) {
    const who = userAndAddress(text.slice(driverEnd + 1, close));
    if (who.ip === undefined) continue;
    const verdict = text.slice(close + 3);
    return isFailure(verdict) ? failure(process, driver, verdict, who) : undefined;
  }
  return undefined;
}
