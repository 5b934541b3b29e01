/**
 * ECS `network.direction` from the sensor's configured local networks, seen from the event's source.
 * Zeek's own `local_orig`/`local_resp` come from Zeek's `Site::local_nets`, which may differ from Vigil's
 * configuration; they stay in the Zeek originals.
 */
import * as ipaddr from 'ipaddr.js';
import { ConfigError } from '../../common/errors';
import { ipToBytes } from './community-id';

export type NetworkDirection = 'inbound' | 'outbound' | 'internal' | 'external' | 'unknown';

/** `sourceLocal`/`destinationLocal` are undefined when that side's address is not known. */
export function networkDirection(sourceLocal: boolean | undefined, destinationLocal: boolean | undefined): NetworkDirection {
  if (sourceLocal === undefined || destinationLocal === undefined) return 'unknown';
  if (sourceLocal) return destinationLocal ? 'internal' : 'outbound';
  return destinationLocal ? 'inbound' : 'external';
}

interface Network {
  bytes: Uint8Array;
  /** 4 or 16. */
  length: number;
  prefix: number;
}

const scratch = new Uint8Array(16);
const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function inNetwork(address: Uint8Array, offset: number, net: Network): boolean {
  const whole = net.prefix >> 3;
  for (let i = 0; i < whole; i++) if (address[offset + i] !== net.bytes[i]) return false;
  const rest = net.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[offset + whole] & mask) === (net.bytes[whole] & mask);
}

/**
 * A test for "is this address in one of the local networks" (CIDR, IPv4 and IPv6), called for the source and
 * destination of every event. An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) is tested as the IPv4 address it
 * maps. Text that is not an address is not local.
 * @throws ConfigError when a network is not in CIDR notation (the configuration schema checks this first).
 */
export function localNetworkMatcher(cidrs: readonly string[]): (ip: string) => boolean {
  const networks: Network[] = cidrs.map((cidr) => {
    let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      parsed = ipaddr.parseCIDR(cidr);
    } catch (err) {
      throw new ConfigError(`local network ${JSON.stringify(cidr)} is not in CIDR notation`, { cidr }, err);
    }
    const bytes = Uint8Array.from(parsed[0].toByteArray());
    return { bytes, length: bytes.length, prefix: parsed[1] };
  });
  const v4 = networks.filter((n) => n.length === 4);
  const v6 = networks.filter((n) => n.length === 16);
  return (ip: string): boolean => {
    const length = ipToBytes(ip, scratch);
    if (length === 4) return v4.some((n) => inNetwork(scratch, 0, n));
    if (length !== 16) return false;
    if (v6.some((n) => inNetwork(scratch, 0, n))) return true;
    for (let i = 0; i < 12; i++) if (scratch[i] !== V4_MAPPED_PREFIX[i]) return false;
    return v4.some((n) => inNetwork(scratch, 12, n));
  };
}
