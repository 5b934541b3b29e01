/**
 * Sendmail's queue id: base-60 date and time characters followed by the process id, `s1GNXHYB005133` (8.12 and
 * later), `xA32R2PQ3529566` (a seven-digit pid), `g0I0ZWK30461` and `JAB14995` (older releases). All end in at least
 * five digits, which tells an id from a word such as `STARTTLS:` or `Milter:` at the start of a message.
 */
import { Char, isAlphanumeric, isDigit } from '../chars';

/** The length of the queue id at `start` when `: ` follows it, or 0. */
export function queueIdLength(text: string, start: number): number {
  let i = start;
  while (i - start <= 20 && isAlphanumeric(text.charCodeAt(i))) i++;
  const length = i - start;
  if (length < 8 || length > 20 || text.charCodeAt(i) !== Char.COLON || text.charCodeAt(i + 1) !== Char.SPACE) return 0;
  for (let k = i - 5; k < i; k++) if (!isDigit(text.charCodeAt(k))) return 0;
  return length;
}
