/** `conn`: one record per connection, with both byte counts Zeek keeps (payload and IP) and the L2 addresses. */
import type { EcsDocument } from '../context';
import { part, type LogMapper } from '../mapper';
import { ecsMac, num, type ZeekFields } from '../values';
import { CONNECTION, NETWORK } from './categories';

function sum(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a + b;
}

/** Zeek's `service` ("ssl", "ssl,http", or a set in newer versions) as lower-case ECS protocol names. */
function protocols(service: unknown): string | string[] | undefined {
  if (Array.isArray(service)) {
    const out = service.filter((s): s is string => typeof s === 'string' && s.length > 0).map((s) => s.toLowerCase());
    return out.length === 0 ? undefined : out.length === 1 ? out[0] : out;
  }
  if (typeof service !== 'string' || service.length === 0) return undefined;
  const lower = service.toLowerCase();
  return lower.indexOf(',') < 0 ? lower : lower.split(',');
}

function mapConn(f: ZeekFields, doc: EcsDocument): void {
  // ECS source/destination bytes are payload bytes (`orig_bytes`); the IP-level counts stay in the originals and
  // their sum is `network.bytes`, what crossed the wire.
  const source = part(doc, 'source');
  const destination = part(doc, 'destination');
  const origBytes = num(f.orig_bytes);
  const respBytes = num(f.resp_bytes);
  const origPkts = num(f.orig_pkts);
  const respPkts = num(f.resp_pkts);
  if (origBytes !== undefined) source.bytes = origBytes;
  if (origPkts !== undefined) source.packets = origPkts;
  const origMac = ecsMac(f.orig_l2_addr);
  if (origMac !== undefined) source.mac = origMac;
  if (respBytes !== undefined) destination.bytes = respBytes;
  if (respPkts !== undefined) destination.packets = respPkts;
  const respMac = ecsMac(f.resp_l2_addr);
  if (respMac !== undefined) destination.mac = respMac;

  const network = part(doc, 'network');
  const protocol = protocols(f.service);
  if (protocol !== undefined) network.protocol = protocol;
  const bytes = sum(num(f.orig_ip_bytes), num(f.resp_ip_bytes));
  if (bytes !== undefined) network.bytes = bytes;
  const packets = sum(origPkts, respPkts);
  if (packets !== undefined) network.packets = packets;
  const vlan = num(f.vlan);
  if (vlan !== undefined) network.vlan = { id: String(vlan) };
  const innerVlan = num(f.inner_vlan);
  if (innerVlan !== undefined) network.inner = { vlan: { id: String(innerVlan) } };
}

export const connMappers: Record<string, LogMapper> = {
  conn: { category: NETWORK, type: CONNECTION, map: mapConn },
};
