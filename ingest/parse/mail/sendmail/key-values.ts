/**
 * Sendmail's `key=value, key=value` lists. A value ends where `, ` is followed by another `key=`, so values with
 * commas of their own (`to=a@x,b@y`, `ctladdr=<u> (1000/1000)`) stay whole. `stat=` and `reject=` come last and
 * carry a remote server's or a rule's text, which may hold anything, so they run to the end of the line.
 *
 * A client can write `, relay=[192.0.2.1]` into the values it chooses (a user name, an address), so a key read twice
 * keeps the value from the place Sendmail writes it: the last one on most lines, where `relay=` follows the client's
 * `from=`, `arg1=` or `user=`; the first one on `AUTH=server` lines, where the client's `authid=` follows `relay=`.
 */
import { Char, isAlphanumeric } from '../chars';

const RUNS_TO_END = new Set(['stat', 'reject']);

function isKeyChar(c: number): boolean {
  return isAlphanumeric(c) || c === Char.UNDERSCORE;
}

/** The index of the `=` of a key starting at `i`, or -1. */
function keyEnd(text: string, i: number): number {
  let k = i;
  while (isKeyChar(text.charCodeAt(k))) k++;
  return k > i && text.charCodeAt(k) === Char.EQUALS ? k : -1;
}

/** Reads the list from `start`; `keep` says which of a repeated key's values counts. */
export function readKeyValues(text: string, start: number, keep: 'first' | 'last' = 'last'): Record<string, string> {
  const into: Record<string, string> = {};
  let i = start;
  while (i < text.length) {
    const equals = keyEnd(text, i);
    if (equals < 0) break;
    const key = text.slice(i, equals);
    const valueStart = equals + 1;
    const seen = keep === 'first' && into[key] !== undefined;
    if (RUNS_TO_END.has(key)) {
      if (!seen) into[key] = text.slice(valueStart);
      break;
    }
    let next = -1;
    for (let sep = text.indexOf(', ', valueStart); sep >= 0; sep = text.indexOf(', ', sep + 2)) {
      if (keyEnd(text, sep + 2) >= 0) {
        next = sep;
        break;
      }
    }
    if (!seen) into[key] = text.slice(valueStart, next < 0 ? text.length : next);
    if (next < 0) break;
    i = next + 2;
  }
  return into;
}
