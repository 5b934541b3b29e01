import type { Client } from '@elastic/elasticsearch';
import * as ipaddr from 'ipaddr.js';
import { ZEEK_EVENTS_PATTERN } from '../common/es/names';
import { localNetworkMatcher } from '../ingest/enrich/direction';
import { compositePages } from './query/composite';

/** Addresses that belong to no site's network: a host's own loopback, no address at all, groups. */
const NOT_A_SITE = new Set(['loopback', 'unspecified', 'multicast', 'broadcast']);

/** /24s of one /16 (IPv4) from which the /16 is written whole. */
export const SUBNETS_FOR_WHOLE = 8;

/**
 * The networks that hold a set of addresses, written as a site's networks usually are: an IPv4 address as its /24,
 * and a /16 from which `SUBNETS_FOR_WHOLE` or more /24s were seen as the whole /16; an IPv6 address as its /64.
 * Loopback, unspecified, multicast and broadcast addresses, and text that is not an address, are left out. Memory grows with the networks, not with the addresses.
 */
export class SiteNetworks {
  private readonly v4 = new Map<string, Set<string>>();
  private readonly v6 = new Set<string>();

  add(address: string): void {
    if (!ipaddr.isValid(address)) return;
    const parsed = ipaddr.process(address);
    if (NOT_A_SITE.has(parsed.range())) return;
    const ip = parsed.toString();
    if (parsed.kind() === 'ipv4') {
      const whole = `${ipaddr.IPv4.networkAddressFromCIDR(`${ip}/16`)}/16`;
      let subnets = this.v4.get(whole);
      if (!subnets) this.v4.set(whole, (subnets = new Set()));
      subnets.add(`${ipaddr.IPv4.networkAddressFromCIDR(`${ip}/24`)}/24`);
    } else this.v6.add(`${ipaddr.IPv6.networkAddressFromCIDR(`${ip}/64`)}/64`);
  }

  networks(): string[] {
    const out: string[] = [];
    for (const [whole, subnets] of this.v4) out.push(...(subnets.size >= SUBNETS_FOR_WHOLE ? [whole] : [...subnets].sort()));
    return [...out, ...[...this.v6].sort()];
  }
}

/**
 * The networks Zeek's `Site::local_nets` held on the sensors whose conn events Elasticsearch has: every address of
 * a connection marked `local_orig` (its originator) or `local_resp` (its responder) that `local` does not cover,
 * grouped as `SiteNetworks` writes them. Empty when Zeek marked nothing local beyond `local` (its logs lack the
 * columns, or its local networks are the same). Read with composite aggregations over the addresses, so memory is
 * bounded by the networks found.
 */
export async function zeekLocalNetworks(client: Client, local: readonly string[]): Promise<string[]> {
  const isKnown = localNetworkMatcher(local);
  const site = new SiteNetworks();
  for (const [field, flag] of [
    ['source.ip', 'zeek.conn.local_orig'],
    ['destination.ip', 'zeek.conn.local_resp'],
  ]) {
    const query = {
      bool: {
        filter: [{ term: { 'event.dataset': 'zeek.conn' } }, { term: { [flag]: true } }],
        must_not: local.length > 0 ? [{ terms: { [field]: [...local] } }] : [],
      },
    };
    for await (const page of compositePages(client, { index: ZEEK_EVENTS_PATTERN, query, sources: [{ ip: { terms: { field } } }], size: 10_000 })) {
      for (const b of page) {
        const ip = b.key.ip;
        if (typeof ip === 'string' && !isKnown(ip)) site.add(ip);
      }
    }
  }
  return site.networks();
}
