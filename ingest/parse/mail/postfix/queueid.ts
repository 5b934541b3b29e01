/**
 * Postfix queue ids. Short ids (the default) are the microseconds of the arrival in five hex digits followed by the
 * queue file's inode in hex: six or more of `0-9A-F`. Long ids (`enable_long_queue_ids = yes`) are the arrival
 * seconds and microseconds in Postfix's base-52 "safe" alphabet (digits and consonants, ten or more characters), a
 * `z`, then the inode in base 51 (the same alphabet without `z`). `NOQUEUE` stands where a line has no queue file.
 * Checking the alphabets, and not just "a word before a colon", is what tells `statistics:` or `warning:` from an id.
 */
import { Char, isAlphanumeric, isDigit } from '../chars';

const NOQUEUE = 'NOQUEUE';
/** Five hex digits of microseconds and at least one of inode. */
const SHORT_MIN = 6;
/** Ten characters of time (MQID_LG_TIME_PAD), the `z`, at least one of inode. */
const LONG_MIN = 12;
const LONG_TIME_PAD = 10;
const LOWER_Z = 0x7a;

function isUpperHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46);
}

/** Postfix's safe alphabet (`safe_ultostr.c`): digits and consonants of both cases, `z` included. */
function isSafe(c: number): boolean {
  if (isDigit(c)) return true;
  const lower = c | 0x20;
  if (lower < 0x61 || lower > LOWER_Z) return false;
  return lower !== 0x61 && lower !== 0x65 && lower !== 0x69 && lower !== 0x6f && lower !== 0x75;
}

/** Whether `text[start, end)` is a queue id (or `NOQUEUE`). */
export function isQueueIdRange(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length === NOQUEUE.length && text.startsWith(NOQUEUE, start)) return true;
  if (length < SHORT_MIN) return false;
  let allHex = true;
  let allSafe = true;
  let lastZ = -1;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (allHex && !isUpperHex(c)) allHex = false;
    if (!isSafe(c)) allSafe = false;
    if (c === LOWER_Z) lastZ = i;
  }
  if (allHex) return true;
  if (!allSafe) return false;
  return length >= LONG_MIN && lastZ - start >= LONG_TIME_PAD && lastZ < end - 1;
}

export function isQueueId(text: string): boolean {
  return isQueueIdRange(text, 0, text.length);
}

/**
 * Where the text after a leading `QUEUEID: ` starts, or -1 when `text` (from `start`) does not begin with a queue id,
 * a colon and a space.
 */
export function afterQueueId(text: string, start = 0): number {
  let end = start;
  while (end < text.length && isAlphanumeric(text.charCodeAt(end))) end++;
  if (end === start || text.charCodeAt(end) !== Char.COLON || text.charCodeAt(end + 1) !== Char.SPACE) return -1;
  return isQueueIdRange(text, start, end) ? end + 2 : -1;
}
