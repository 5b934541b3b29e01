/**
 * The tagged fields of an Exim log line: `H=name (helo) [ip]:port I=[ip]:port P=esmtp S=5678 T="subject"`. A value
 * runs to the next space, except a peer (`H=`, `I=`, `PRX=`), which has spaces of its own, and a quoted value
 * (`T=`, `C=`), which ends at a quote followed by a space or the end of the line.
 */
import { readPeer, type PeerSpan } from '../address';
import { Char, isAlphanumeric } from '../chars';

export interface EximFields {
  /** Tag to value, quotes removed, for every tag but the peers. */
  values: Record<string, string>;
  /** `H=`: the remote host. */
  host?: PeerSpan;
  /** `I=`: the local interface and port. */
  local?: PeerSpan;
  /** Index of the first word that is not a field, or of the `:` that closed the last field, or the line's end. */
  end: number;
  /** The fields were closed by a `:` (`T=remote_smtp: SMTP error ...`, `H=host [ip]: 553 ...`): a reason follows. */
  colon: boolean;
}

/** Flags Exim writes without a value: CHUNKING (`K`), PIPELINING (`L`, `L-`, `L.`, `L*`), DNSSEC (`DS`), TFO, PRDR. */
const BARE_FLAGS = new Set(['K', 'L', 'L-', 'L.', 'L*', 'DS', 'TFO', 'PRDR']);

/** The tag of a `tag=value` word at `i` (letters, digits, a trailing `*` as in `id*=`), or -1: the index of the `=`. */
function tagEnd(text: string, i: number): number {
  let k = i;
  while (isAlphanumeric(text.charCodeAt(k))) k++;
  if (k > i && text.charCodeAt(k) === Char.STAR) k++;
  return k > i && text.charCodeAt(k) === Char.EQUALS ? k : -1;
}

/** The closing quote of a value opened at `open`: a quote followed by a space, a `:` or the end. */
function closingQuote(text: string, open: number): number {
  for (let k = open + 1; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c === Char.BACKSLASH) {
      k++;
      continue;
    }
    if (c !== Char.QUOTE) continue;
    const next = text.charCodeAt(k + 1);
    if (k + 1 === text.length || next === Char.SPACE || next === Char.COLON) return k;
  }
  return -1;
}

function closesFields(text: string, i: number): boolean {
  return text.charCodeAt(i) === Char.COLON && (i + 1 === text.length || text.charCodeAt(i + 1) === Char.SPACE);
}

/**
 * Reads fields from `start` until a word that is not one. Given `fields`, it goes on filling them: a delivery
 * line can carry words among its fields (`T=remote_smtp defer (-44) H=mx.example [192.0.2.1]: ...`).
 */
export function readFields(text: string, start: number, fields: EximFields = { values: {}, end: text.length, colon: false }): EximFields {
  fields.end = text.length;
  fields.colon = false;
  let i = start;
  while (i < text.length) {
    while (text.charCodeAt(i) === Char.SPACE) i++;
    if (i >= text.length) break;
    const equals = tagEnd(text, i);
    if (equals < 0) {
      let wordEnd = text.indexOf(' ', i);
      if (wordEnd < 0) wordEnd = text.length;
      if (BARE_FLAGS.has(text.slice(i, wordEnd))) {
        i = wordEnd;
        continue;
      }
      fields.end = i;
      return fields;
    }
    const tag = text.slice(i, equals);
    const valueStart = equals + 1;
    if (tag === 'H' || tag === 'I' || tag === 'PRX') {
      const peer = readPeer(text, valueStart);
      if (tag === 'H') fields.host = peer;
      else if (tag === 'I') fields.local = peer;
      i = peer.end;
    } else if (text.charCodeAt(valueStart) === Char.QUOTE) {
      const close = closingQuote(text, valueStart);
      const valueEnd = close < 0 ? text.length : close;
      const raw = text.slice(valueStart + 1, valueEnd);
      fields.values[tag] = raw.indexOf('\\"') >= 0 ? raw.replace(/\\"/g, '"') : raw;
      i = close < 0 ? text.length : close + 1;
    } else {
      let valueEnd = text.indexOf(' ', valueStart);
      if (valueEnd < 0) valueEnd = text.length;
      if (valueEnd > valueStart && text.charCodeAt(valueEnd - 1) === Char.COLON) {
        fields.values[tag] = text.slice(valueStart, valueEnd - 1);
        fields.end = valueEnd - 1;
        fields.colon = true;
        return fields;
      }
      fields.values[tag] = text.slice(valueStart, valueEnd);
      i = valueEnd;
    }
    if (closesFields(text, i)) {
      fields.end = i;
      fields.colon = true;
      return fields;
    }
  }
  fields.end = text.length;
  return fields;
}

/** Exim's durations, `QT=3m45s`, `D=2m42s`, `DT=0.304s`, `1d2h`, in seconds; undefined when not one. */
export function eximDuration(text: string | undefined): number | undefined {
  if (!text) return undefined;
  let total = 0;
  let number = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x30 && c <= 0x39) || c === 0x2e) {
      number += text[i];
      continue;
    }
    const value = Number(number);
    if (number === '' || Number.isNaN(value)) return undefined;
    const unit = text[i];
    if (unit === 's') total += value;
    else if (unit === 'm') total += value * 60;
    else if (unit === 'h') total += value * 3600;
    else if (unit === 'd') total += value * 86400;
    else if (unit === 'w') total += value * 604800;
    else if (unit === 'y') total += value * 31536000;
    else return undefined;
    number = '';
  }
  return number === '' ? total : undefined;
}

/**
 * A peer written without a tag (`SMTP connection from host (helo) [ip]:port I=[ip]:port D=2s ...`) and the fields
 * after it; the peer is the `host` of the result.
 */
export function readPeerFields(text: string, start: number): EximFields {
  const peer = readPeer(text, start);
  const fields: EximFields = { values: {}, host: peer, end: peer.end, colon: false };
  if (closesFields(text, peer.end)) {
    fields.colon = true;
    return fields;
  }
  return readFields(text, peer.end, fields);
}

/** Whether a `tag=value` field starts at `i`. */
export function startsWithField(text: string, i: number): boolean {
  return tagEnd(text, i) >= 0;
}
