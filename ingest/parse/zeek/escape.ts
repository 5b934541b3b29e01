/**
 * Zeek's string escaping, undone the way Zeek's own JSON writer would have written the value.
 *
 * The TSV writer writes a byte it cannot put in the line as `\xNN` and a backslash as `\\`. The JSON
 * writer writes a string that is UTF-8 text as it is, and any other string (invalid UTF-8, or control
 * bytes other than `\b \f \n \r \t`) with every byte outside printable ASCII as the text `\xNN`.
 * Decoding TSV values to the same form makes an event read from a TSV log and from a JSON log the same
 * string, and keeps every byte that is not text visible instead of replacing it.
 */

const BACKSLASH = 0x5c;
const HEX = '0123456789abcdef';

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function escapedByte(byte: number): string {
  return '\\x' + HEX[byte >> 4] + HEX[byte & 15];
}

/** Control bytes JSON has short escapes for; Zeek's JSON writer keeps them, and escapes the others. */
function isKeptControl(byte: number): boolean {
  return byte === 0x08 || byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d;
}

/**
 * Length of the well-formed UTF-8 sequence starting at `i` (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 when the byte there does not start one.
 */
function utf8SequenceLength(bytes: Buffer, i: number): number {
  const lead = bytes[i];
  let length: number;
  let min = 0x80;
  let max = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) min = 0xa0;
    else if (lead === 0xed) max = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) min = 0x90;
    else if (lead === 0xf4) max = 0x8f;
  } else return 0;
  if (i + length > bytes.length) return 0;
  const second = bytes[i + 1];
  if (second < min || second > max) return 0;
  for (let k = 2; k < length; k++) {
    const next = bytes[i + k];
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return length;
}

/** The bytes a TSV value stands for: `\xNN` is the byte NN, `\\` a backslash; any other backslash is kept. */
function decodeEscapes(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  let out = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === BACKSLASH && i + 1 < bytes.length) {
      if (bytes[i + 1] === BACKSLASH) {
        bytes[out++] = BACKSLASH;
        i++;
        continue;
      }
      if (bytes[i + 1] === 0x78 && i + 3 < bytes.length) {
        const high = hexValue(bytes[i + 2]);
        const low = hexValue(bytes[i + 3]);
        if (high >= 0 && low >= 0) {
          bytes[out++] = (high << 4) | low;
          i += 3;
          continue;
        }
      }
    }
    // Decoded output never outgrows the input, so the buffer is rewritten in place.
    bytes[out++] = byte;
  }
  return bytes.subarray(0, out);
}

/** True when the bytes are UTF-8 text Zeek's JSON writer would write as it is. */
function isPlainText(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte < 0x20 && !isKeptControl(byte)) return false;
    if (byte >= 0x80) {
      const length = utf8SequenceLength(bytes, i);
      if (length === 0) return false;
      i += length - 1;
    }
  }
  return true;
}

/**
 * Decodes the `\xNN` and `\\` escapes of a TSV value. When the bytes are UTF-8 text the value is that
 * text; otherwise (invalid UTF-8, or control bytes JSON cannot carry) every byte outside printable
 * ASCII is written `\xNN`, as Zeek's JSON writer does for such a string: `\xc3\xa9` becomes `é`, a
 * lone `\xff` stays the text `\xff`.
 */
export function unescapeValue(text: string): string {
  if (text.indexOf('\\') < 0) return text;
  const bytes = decodeEscapes(text);
  if (isPlainText(bytes)) return bytes.toString('utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    out += (byte >= 0x20 && byte < 0x7f) || isKeptControl(byte) ? String.fromCharCode(byte) : escapedByte(byte);
  }
  return out;
}

/**
 * Decodes a line that is not valid UTF-8 into text where each invalid byte is written as the escape
 * `\xNN`, as Zeek itself would have escaped it; the value decoder then treats it like any other escape.
 */
export function escapeInvalidUtf8(bytes: Buffer): string {
  let out = '';
  let runStart = 0;
  let i = 0;
  const end = bytes.length;
  while (i < end) {
    const byte = bytes[i];
    if (byte < 0x80) {
      i++;
      continue;
    }
    const length = utf8SequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    out += bytes.toString('utf8', runStart, i) + escapedByte(byte);
    i++;
    runStart = i;
  }
  return out + bytes.toString('utf8', runStart, end);
}

/** Decodes a header value such as `#separator \x09` or `#set_separator \xc2\xae` to the text it stands for. */
export function decodeHeaderValue(text: string): string {
  return text.indexOf('\\') < 0 ? text : decodeEscapes(text).toString('utf8');
}
