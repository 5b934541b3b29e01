/**
 * Sendmail's `relay=` value: `host.example. [192.0.2.1]`, `[192.0.2.1]`, `[127.0.0.1] [127.0.0.1]` (no name: the
 * address stands in for it), `user@localhost` (a local submission), `host [192.0.2.1] (may be forged)` (the name
 * does not resolve back to the address), `[IPv6:2001:db8::1]`.
 */
import { peerOf, readPeer } from '../address';
import type { Peer } from '../types';

export interface Relay {
  peer: Peer;
  /** The local user of a submission (`relay=root@localhost`). */
  user?: string;
  /** The client's name did not resolve back to its address. */
  mayBeForged: boolean;
}

export function readRelay(value: string): Relay {
  const span = readPeer(value, 0);
  const relay: Relay = { peer: peerOf(span), mayBeForged: value.endsWith('(may be forged)') };
  const host = relay.peer.host;
  if (host !== undefined) {
    const at = host.lastIndexOf('@');
    let name = at >= 0 ? host.slice(at + 1) : host;
    if (at >= 0) relay.user = host.slice(0, at);
    // The name is written fully qualified, with the root's dot.
    if (name.endsWith('.')) name = name.slice(0, -1);
    relay.peer.host = name;
  }
  return relay;
}

/** Puts a relay's extras into the event's `extra`: `relay_user`, and `may_be_forged` when Sendmail said so. */
export function relayExtra(relay: Relay, extra: Record<string, string> | undefined): Record<string, string> | undefined {
  if (relay.user === undefined && !relay.mayBeForged) return extra;
  const out = extra ?? {};
  if (relay.user !== undefined) out.relay_user = relay.user;
  if (relay.mayBeForged) out.may_be_forged = 'true';
  return out;
}
