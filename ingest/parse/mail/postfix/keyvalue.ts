/**
 * The `key=value` lists Postfix appends to its lines: comma separated in delivery and queue manager lines
 * (`to=<a>, relay=b[1.2.3.4]:25, delay=3.6`), space separated after an SMTP reply (`from=<a> to=<b> proto=ESMTP
 * helo=<c>`) and in the disconnect command counts (`ehlo=1 rcpt=0/1 commands=2/3`). Values in angle brackets are
 * addresses or names written by the remote side, so they may hold commas, spaces and even `>`: a bracketed value
 * ends only at a `>` that is followed by the end, a separator and another key, or the `: text` some lines end with.
 * Postfix writes each key once, so a key seen again can only come from inside such a value: the first one stands.
 */
import { Char, isAlphanumeric } from '../chars';

export interface KeyValues {
  /** Values by key, angle brackets removed: `from=<>` is the empty string. */
  values: Record<string, string>;
  /** Where reading stopped: `end`, or just after the last value when text that is not a list item follows. */
  end: number;
}

function isKeyChar(c: number): boolean {
  return isAlphanumeric(c) || c === Char.UNDERSCORE || c === Char.DASH;
}

/** Whether a `key=` starts at `i`. */
function keyAt(text: string, i: number, end: number): boolean {
  let k = i;
  while (k < end && isKeyChar(text.charCodeAt(k))) k++;
  return k > i && k < end && text.charCodeAt(k) === Char.EQUALS;
}

/** The `>` that closes a bracketed value opened before `from`, or -1 when the list is cut short. */
function closingBracket(text: string, from: number, end: number): number {
  let gt = text.indexOf('>', from);
  while (gt >= 0 && gt < end) {
    const next = gt + 1;
    if (next >= end) return gt;
    const c = text.charCodeAt(next);
    if (c === Char.COMMA || c === Char.COLON) return gt;
    if (c === Char.SPACE) {
      const after = next + 1;
      if (after >= end || text.charCodeAt(after) === Char.OPEN_PAREN || keyAt(text, after, end)) return gt;
    }
    gt = text.indexOf('>', next);
  }
  return -1;
}

/** Reads the `key=value` items of `text[start, end)` until the end or the first text that is not one. */
export function parseKeyValues(text: string, start = 0, end = text.length): KeyValues {
  // No prototype: keys are the client's words as much as Postfix's (`__proto__=` must be just a key).
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = start;
  while (i < end) {
    let keyStart = i;
    while (keyStart < end) {
      const c = text.charCodeAt(keyStart);
      if (c !== Char.SPACE && c !== Char.COMMA) break;
      keyStart++;
    }
    if (keyStart >= end) {
      i = end;
      break;
    }
    let keyEnd = keyStart;
    while (keyEnd < end && isKeyChar(text.charCodeAt(keyEnd))) keyEnd++;
    if (keyEnd === keyStart || keyEnd >= end || text.charCodeAt(keyEnd) !== Char.EQUALS) break;
    const key = text.slice(keyStart, keyEnd);
    const valueStart = keyEnd + 1;
    if (valueStart < end && text.charCodeAt(valueStart) === Char.LT) {
      const close = closingBracket(text, valueStart + 1, end);
      // A line cut short (syslog truncates long lines) leaves the bracket open: keep what is there.
      const valueEnd = close < 0 ? end : close;
      if (values[key] === undefined) values[key] = text.slice(valueStart + 1, valueEnd);
      i = close < 0 ? end : close + 1;
    } else {
      let valueEnd = valueStart;
      while (valueEnd < end) {
        const c = text.charCodeAt(valueEnd);
        if (c === Char.SPACE || c === Char.COMMA) break;
        if (c === Char.COLON && text.charCodeAt(valueEnd + 1) === Char.SPACE) break;
        valueEnd++;
      }
      if (values[key] === undefined) values[key] = text.slice(valueStart, valueEnd);
      i = valueEnd;
    }
  }
  return { values, end: i };
}
