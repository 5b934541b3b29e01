/**
 * TLS as Postfix logs it: the summary smtpd, smtp, lmtp and tlsproxy write once a handshake is done
 * (`Anonymous TLS connection established from host[1.2.3.4]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256
 * bits) key-exchange X25519 server-signature RSA-PSS (4096 bits) server-digest SHA256`), and the `tls=` feature of
 * a delivery (`tls=dane/!requiretls:nocertmatch`): the security level, `?` while the policy was undecided, `:level`
 * for a downgrade, then the REQUIRETLS state with `!` for a violation.
 */
import type { MailEvent } from '../types';
import { extraOf, newEvent, type Origin } from './event';
import { endOfPeer, parsePeer } from './peer';

const ESTABLISHED = ' TLS connection established ';
const WITH_CIPHER = ' with cipher ';
const BITS = ' bits)';

/**
 * Reads `Trust TLS connection established from|to peer: version with cipher name (used/total bits)` and the
 * handshake details after it, starting at `start`. Undefined when the text does not have that shape.
 */
export function parseTlsEstablished(message: string, start: number, origin: Origin): MailEvent | undefined {
  const trustEnd = message.indexOf(' ', start);
  if (trustEnd <= start || !message.startsWith(ESTABLISHED, trustEnd)) return undefined;
  let i = trustEnd + ESTABLISHED.length;
  let inbound: boolean;
  if (message.startsWith('from ', i)) {
    inbound = true;
    i += 5;
  } else if (message.startsWith('to ', i)) {
    inbound = false;
    i += 3;
  } else {
    return undefined;
  }
  const peerEnd = endOfPeer(message, i);
  if (peerEnd < 0 || !message.startsWith(': ', peerEnd)) return undefined;
  const peer = parsePeer(message, i, peerEnd);
  if (peer === undefined) return undefined;
  const versionStart = peerEnd + 2;
  const versionEnd = message.indexOf(WITH_CIPHER, versionStart);
  if (versionEnd < 0) return undefined;
  const cipherStart = versionEnd + WITH_CIPHER.length;
  const cipherEnd = message.indexOf(' (', cipherStart);
  if (cipherEnd < 0) return undefined;
  const bitsEnd = message.indexOf(BITS, cipherEnd);
  if (bitsEnd < 0) return undefined;
  const slash = message.indexOf('/', cipherEnd);

  const event = newEvent(origin, 'tls', ['email', 'network']);
  if (inbound) event.client = peer;
  else event.relay = peer;
  event.tls = {
    trust: message.slice(start, trustEnd),
    version: message.slice(versionStart, versionEnd),
    cipher: message.slice(cipherStart, cipherEnd),
  };
  const usedEnd = slash > 0 && slash < bitsEnd ? slash : bitsEnd;
  const used = Number(message.slice(cipherEnd + 2, usedEnd));
  if (Number.isInteger(used)) event.tls.bits = used;
  if (usedEnd === slash) extraOf(event).tls_algorithm_bits = message.slice(slash + 1, bitsEnd);
  readHandshakeDetails(message, bitsEnd + BITS.length, event);
  return event;
}

/**
 * `key-exchange X25519 server-signature ECDSA (P-256) server-digest SHA256`, and the `client-` equivalents: each
 * name and value into `extra.tls_<name>`, a parenthesised size into `_bits` and a curve into `_curve`.
 */
function readHandshakeDetails(message: string, start: number, event: MailEvent): void {
  let i = start;
  while (message.charCodeAt(i) === 0x20) {
    const nameStart = i + 1;
    const nameEnd = message.indexOf(' ', nameStart);
    if (nameEnd < 0) return;
    let valueEnd = message.indexOf(' ', nameEnd + 1);
    if (valueEnd < 0) valueEnd = message.length;
    const key = 'tls_' + message.slice(nameStart, nameEnd).replace(/-/g, '_');
    const extra = extraOf(event);
    extra[key] = message.slice(nameEnd + 1, valueEnd);
    i = valueEnd;
    if (message.startsWith(' (', i)) {
      const close = message.indexOf(')', i);
      if (close < 0) return;
      const detail = message.slice(i + 2, close);
      if (detail.endsWith(' bits')) extra[key + '_bits'] = detail.slice(0, -5);
      else extra[key + '_curve'] = detail;
      i = close + 1;
    }
  }
}

/** Reads a delivery's `tls=` value into `extra`: `tls_level`, `tls_downgrade`, `requiretls`... */
export function readTlsFeatures(value: string, extra: Record<string, string>): void {
  const slash = value.indexOf('/');
  readLevel(value, 0, slash < 0 ? value.length : slash, 'tls_level', 'tls_downgrade', extra);
  if (slash < 0) return;
  let start = slash + 1;
  if (value.charCodeAt(start) === 0x21) {
    extra.requiretls_violated = 'true';
    start++;
  }
  readLevel(value, start, value.length, 'requiretls', 'requiretls_downgrade', extra);
}

/** `name[?][:downgrade]`: the name under `key`, `?` as `<key>_undecided`, the downgrade under `downgradeKey`. */
function readLevel(
  value: string,
  start: number,
  end: number,
  key: string,
  downgradeKey: string,
  extra: Record<string, string>,
): void {
  const colon = value.indexOf(':', start);
  const nameEnd = colon >= 0 && colon < end ? colon : end;
  let wordEnd = nameEnd;
  if (value.charCodeAt(wordEnd - 1) === 0x3f) {
    extra[key + '_undecided'] = 'true';
    wordEnd--;
  }
  if (wordEnd > start) extra[key] = value.slice(start, wordEnd);
  if (nameEnd < end) extra[downgradeKey] = value.slice(nameEnd + 1, end);
}
