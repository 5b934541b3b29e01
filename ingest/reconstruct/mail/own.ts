import type { Peer } from '../../parse/mail/types';

/**
 * V8 keeps a substring as a view into the string it was cut from, and a concatenation as a pair of references: a
 * queue id kept for an hour would keep its whole log line alive, and 100k open messages would hold hundreds of
 * megabytes of lines. What the message state keeps is copied into a string of its own first. V8 copies strings
 * shorter than 13 characters when it cuts them, so those are kept as they are.
 */
export function own(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

export function ownOptional(s: string | undefined): string | undefined {
  return s === undefined ? undefined : own(s);
}

/** Always the same three fields, in this order: every peer kept then shares one hidden class. */
export function ownPeer(p: Peer): Peer {
  return { host: intern(p.host), ip: ownOptional(p.ip), port: p.port };
}

const interned = new Map<string, string>();
const MAX_INTERNED = 10_000;

/**
 * One copy of a value that repeats across messages (host names, MTA instances): 100k open messages from one
 * server then share one string instead of holding 100k copies of it. Bounded: beyond the limit values are copied.
 */
export function intern(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const known = interned.get(s);
  if (known !== undefined) return known;
  const copy = own(s);
  if (interned.size < MAX_INTERNED) interned.set(copy, copy);
  return copy;
}
