/**
 * The fields a login process writes after its message (login_log_format_elements, by default `user=<%u> method=%m
 * rip=%r lip=%l mpid=%e %c session=<%{session}>`): `user=<u>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.2,
 * mpid=4101, TLS, session=<EfteYmQcMAB/AAAB>`, optionally `rport=` and `lport=`, and after the flags what became
 * of TLS (`TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)`, `TLS handshaking: SSL_accept() failed`).
 *
 * The user name is the client's and may hold anything, `, rip=` included; everything after it is Dovecot's. So the
 * client's address is the last `rip=`, and the user runs from `user=<` to the `>` before `, method=` or that `rip=`.
 */
import { normalizeIp } from '../address';

export interface LoginFields {
  user?: string;
  method?: string;
  ip?: string;
  port?: number;
  localIp?: string;
  localPort?: number;
  session?: string;
  /** The connection was encrypted (`TLS`, or `secured`: TLS or a local connection). */
  secured?: string;
  tlsVersion?: string;
  cipher?: string;
  bits?: number;
}

/** The value of `key=` at `at` (an index of `key=`), up to the next `,` or the end. */
function valueAt(text: string, at: number, key: string): string {
  const start = at + key.length;
  const comma = text.indexOf(',', start);
  return text.slice(start, comma < 0 ? text.length : comma);
}

/** `, key=` (or `key=` at the start) at or after `from`, or -1. */
function fieldAt(text: string, from: number, key: string): number {
  if (from === 0 && text.startsWith(key)) return 0;
  const at = text.indexOf(', ' + key, from);
  return at < 0 ? -1 : at + 2;
}

function portOf(value: string): number | undefined {
  const port = Number(value);
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined;
}

const WITH_CIPHER = ' with cipher ';

/** Reads the fields from `text`, which starts at the first of them. */
export function readLoginFields(text: string): LoginFields {
  const fields: LoginFields = {};
  let rip = text.lastIndexOf(', rip=');
  if (rip >= 0) rip += 2;
  else if (text.startsWith('rip=')) rip = 0;
  const tail = rip < 0 ? 0 : rip;
  if (rip >= 0) fields.ip = normalizeIp(valueAt(text, rip, 'rip='));

  if (text.startsWith('user=<')) {
    const limit = rip < 0 ? text.length : rip;
    const method = text.lastIndexOf('>, method=', limit);
    let end = method >= 0 ? method : rip >= 3 && text.charCodeAt(rip - 3) === 0x3e ? rip - 3 : text.indexOf('>');
    if (end < 0) end = text.length;
    fields.user = text.slice(6, end);
    if (method >= 0) fields.method = valueAt(text, method + 3, 'method=');
  } else if (text.startsWith('method=')) fields.method = valueAt(text, 0, 'method=');

  const rport = fieldAt(text, tail, 'rport=');
  if (rport >= 0) fields.port = portOf(valueAt(text, rport, 'rport='));
  const lip = fieldAt(text, tail, 'lip=');
  if (lip >= 0) fields.localIp = normalizeIp(valueAt(text, lip, 'lip='));
  const lport = fieldAt(text, tail, 'lport=');
  if (lport >= 0) fields.localPort = portOf(valueAt(text, lport, 'lport='));
  const session = fieldAt(text, tail, 'session=<');
  if (session >= 0) {
    const close = text.indexOf('>', session);
    if (close > 0) fields.session = text.slice(session + 9, close);
  }
  // `TLS` alone (or `TLS: Disconnected`) is an encrypted session; `TLS handshaking` one that never became one.
  const tls = text.indexOf(', TLS', tail);
  const afterTls = text.charCodeAt(tls + 5);
  if (tls >= 0 && (tls + 5 === text.length || afterTls === 0x2c || afterTls === 0x3a)) fields.secured = 'TLS';
  else if (text.indexOf(', secured', tail) >= 0) fields.secured = 'secured';

  const cipher = text.indexOf(WITH_CIPHER, tail);
  if (cipher >= 0) {
    const versionStart = text.lastIndexOf(' ', cipher - 1) + 1;
    fields.tlsVersion = text.slice(versionStart, cipher);
    const cipherStart = cipher + WITH_CIPHER.length;
    const paren = text.indexOf(' (', cipherStart);
    fields.cipher = text.slice(cipherStart, paren < 0 ? text.length : paren);
    if (paren >= 0) {
      const bits = Number.parseInt(text.slice(paren + 2), 10);
      if (!Number.isNaN(bits)) fields.bits = bits;
    }
  }
  return fields;
}
