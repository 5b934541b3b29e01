/**
 * What Exim puts before its message when the line reaches us through syslog or the journal: its own timestamp
 * (`syslog_timestamp` is true by default, so syslog lines carry two), the millisecond and zone parts of
 * `log_selector = +millisec` and `log_timezone`, and the `[pid]` of `+pid`. The header reader takes these from
 * Exim's own log file; here they are skipped when they come after a syslog header.
 */
import { Char, isDigit } from '../chars';

function digitsAt(text: string, i: number, count: number): boolean {
  for (let k = i; k < i + count; k++) if (!isDigit(text.charCodeAt(k))) return false;
  return true;
}

/** `2013-01-04 17:03:46` at `i`. */
function isoTimestampAt(text: string, i: number): boolean {
  return (
    digitsAt(text, i, 4) &&
    text.charCodeAt(i + 4) === Char.DASH &&
    digitsAt(text, i + 5, 2) &&
    text.charCodeAt(i + 7) === Char.DASH &&
    digitsAt(text, i + 8, 2) &&
    text.charCodeAt(i + 10) === Char.SPACE &&
    digitsAt(text, i + 11, 2) &&
    text.charCodeAt(i + 13) === Char.COLON &&
    digitsAt(text, i + 14, 2) &&
    text.charCodeAt(i + 16) === Char.COLON &&
    digitsAt(text, i + 17, 2)
  );
}

/** The index where Exim's message text starts in `message`. */
export function eximBodyStart(message: string): number {
  let i = 0;
  if (isoTimestampAt(message, 0)) {
    i = 19;
    if (message.charCodeAt(i) === Char.DOT && digitsAt(message, i + 1, 3)) i += 4;
    const sign = message.charCodeAt(i + 1);
    if (message.charCodeAt(i) === Char.SPACE && (sign === Char.PLUS || sign === Char.DASH) && digitsAt(message, i + 2, 4)) i += 6;
    if (message.charCodeAt(i) !== Char.SPACE) return 0;
    i++;
  }
  if (message.charCodeAt(i) === Char.OPEN_BRACKET && isDigit(message.charCodeAt(i + 1))) {
    let k = i + 1;
    while (isDigit(message.charCodeAt(k))) k++;
    if (message.charCodeAt(k) === Char.CLOSE_BRACKET && message.charCodeAt(k + 1) === Char.SPACE) i = k + 2;
  }
  return i;
}
