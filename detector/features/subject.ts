/**
 * Subjects reduced to their template, for clustering mail campaigns (ATT&CK T1566 phishing, spam runs): one
 * campaign sends one subject with the recipient's name, an invoice number, a tracking link or a ticket id filled
 * in, and replies and forwards add `Re:`/`Fwd:` in the recipient's language. What varies per message is replaced
 * by a placeholder, so every message of a campaign gets the same normalised subject.
 */
import { isIP } from 'node:net';
import { TextDecoder } from 'node:util';

/** `=?charset?B|Q?text?=` (RFC 2047 section 2); the charset may carry an RFC 2231 language (`utf-8*en`). */
const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

function qBytes(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5f) out.push(0x20); // `_` is a space in the Q encoding (RFC 2047 4.2)
    else if (c === 0x3d && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

function decoderFor(charset: string): InstanceType<typeof TextDecoder> | undefined {
  try {
    return new TextDecoder(charset.split('*')[0].toLowerCase());
  } catch {
    return undefined; // a charset this runtime does not know: the words stay as written
  }
}

/**
 * `text` with its RFC 2047 encoded words decoded. Whitespace between two adjacent encoded words is dropped (RFC
 * 2047 section 6.2), and adjacent words of one charset are decoded together, since a sender may split a multi-byte
 * character across two words. Words in an unknown charset, and malformed ones, are left as they are.
 */
export function decodeEncodedWords(text: string): string {
  if (!text.includes('=?')) return text;
  let out = '';
  let last = 0;
  let run: { charset: string; bytes: Buffer[]; raw: string } | undefined;
  const flush = (): void => {
    if (!run) return;
    const decoder = decoderFor(run.charset);
    out += decoder ? decoder.decode(Buffer.concat(run.bytes)) : run.raw;
    run = undefined;
  };
  for (const m of text.matchAll(ENCODED_WORD)) {
    const start = m.index ?? 0;
    const gap = text.slice(last, start);
    const [raw, charset, encoding, payload] = m;
    const bytes = encoding.toLowerCase() === 'b' ? Buffer.from(payload, 'base64') : qBytes(payload);
    const adjacent = run !== undefined && /^\s*$/.test(gap);
    if (adjacent && run!.charset.toLowerCase() === charset.toLowerCase()) {
      run!.bytes.push(bytes);
      run!.raw += gap + raw;
    } else {
      flush();
      if (!adjacent) out += gap;
      run = { charset, bytes: [bytes], raw };
    }
    last = start + raw.length;
  }
  flush();
  return out + text.slice(last);
}

/**
 * Reply and forward markers as mail clients write them: English `Re`, `Fw`, `Fwd`; German `AW` (Antwort), `WG`
 * (Weitergeleitet); Scandinavian `SV`, Finnish `VS`; Dutch `Antw`; French `TR` (transféré); Italian `Rif`; Chinese
 * 回复/答复/转发. A count may follow (`Re[2]:`, `Re(3):`, `Re^2:`), and French typography puts a space before the colon.
 */
const REPLY_PREFIX = /^(?:re|fwd?|aw|wg|sv|vs|antw|antwort|tr|rif|回复|答复|转发)\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*:\s*/i;

/** `subject` without its leading reply and forward markers, however many were stacked (`Re: AW: Fwd: ...`). */
export function stripReplyPrefixes(subject: string): string {
  let s = subject.trimStart();
  for (let m = REPLY_PREFIX.exec(s); m !== null; m = REPLY_PREFIX.exec(s)) s = s.slice(m[0].length);
  return s;
}

/** Punctuation that ends a sentence rather than a URL: kept outside the placeholder. */
const URL_TRAILER = /[).,;:!?'"\]>]+$/;

const URL = /\b(?:https?|ftp):\/\/\S+|\bwww\.\S+/g;
/** Any local part and domain: an unqualified `user@host` (Postfix logs them when it rejects them) is an address too. */
const EMAIL = /[^\s<>()[\]@,;:"]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*/g;
/**
 * Candidates only: a match is replaced when `isIP` agrees, so clock times such as 18:13:50 stay numbers. A candidate
 * never starts inside a word: the `d` of `smtpd:2001:db8::1` would make a valid address of its own.
 */
const IP_LIKE = /(?<![0-9a-z_])[0-9a-f]*:[0-9a-f:]*:[0-9a-f:.]*|(?<![0-9a-z_.])\d{1,3}(?:\.\d{1,3}){3}(?![0-9a-z_]|\.\d)/g;
// Tokens end where letters and digits end: `_` separates words in file names and ids (`20200613_1072f5ad7e`).
const UUID = /(?<![0-9a-z])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-z])/g;
/** Queue ids, hashes, message ids: six or more hex digits holding at least one digit and one letter. */
const HEX_ID = /(?<![0-9a-z])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}(?![0-9a-z])/g;
/** Tracking and session tokens: 16 or more letters and digits, both present. */
const TOKEN = /(?<![0-9a-z])(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{16,}(?![0-9a-z])/g;
/** Digit runs, with the separators of dates, times, amounts and versions folded in: `12/03/2024`, `4.711,00`. */
const NUMBER = /\d+(?:[.,:/-]\d+)*/g;

/**
 * The template of a subject: encoded words decoded, Unicode compatibility forms folded (NFKC: full-width letters
 * and colons), reply/forward markers stripped, lower case, and these replaced, in this order:
 * URLs `<url>`, e-mail addresses `<email>`, IP addresses `<ip>`, UUIDs and hex ids `<hex>`, long letter-digit
 * tokens `<id>`, numbers `<n>`; whitespace collapsed. "Invoice 4711 for bob@x.com" and "Invoice 9921 for
 * eve@y.org" both become "invoice <n> for <email>".
 */
export function normaliseSubject(subject: string): string {
  let s = decodeEncodedWords(subject).normalize('NFKC').replace(/\s+/g, ' ').trim();
  s = stripReplyPrefixes(s).toLowerCase();
  s = s.replace(URL, (url) => {
    const trailer = URL_TRAILER.exec(url)?.[0] ?? '';
    return trailer.length === url.length ? url : '<url>' + trailer;
  });
  s = s.replace(EMAIL, '<email>');
  s = s.replace(IP_LIKE, (text) => (isIP(text) !== 0 ? '<ip>' : text));
  s = s.replace(UUID, '<hex>').replace(HEX_ID, '<hex>').replace(TOKEN, '<id>');
  s = s.replace(NUMBER, '<n>');
  return s.replace(/\s+/g, ' ').trim();
}
