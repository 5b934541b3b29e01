/**
 * Exim's message id: `1Ai79e-0000Dq-8i` (6-6-2 base-62, up to Exim 4.96) or `1sAbCd-000000001Ab-Xyz0` (6-11-4,
 * from 4.97, which made room for larger process ids and sub-second time).
 */
import { Char, isAlphanumeric } from '../chars';

/** `count` base-62 digits (`0-9A-Za-z`) at `i`. */
function base62Run(text: string, i: number, count: number): boolean {
  for (let k = i; k < i + count; k++) if (!isAlphanumeric(text.charCodeAt(k))) return false;
  return true;
}

/** The length of the message id that starts at `i` and is followed by a space or the end, or 0. */
export function messageIdLength(text: string, i: number): number {
  if (!base62Run(text, i, 6) || text.charCodeAt(i + 6) !== Char.DASH) return 0;
  let length = 0;
  if (base62Run(text, i + 7, 6) && text.charCodeAt(i + 13) === Char.DASH && base62Run(text, i + 14, 2)) length = 16;
  else if (base62Run(text, i + 7, 11) && text.charCodeAt(i + 18) === Char.DASH && base62Run(text, i + 19, 4)) length = 23;
  if (length === 0) return 0;
  const after = i + length;
  return after === text.length || text.charCodeAt(after) === Char.SPACE ? length : 0;
}
