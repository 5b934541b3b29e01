/**
 * `dhcp`: one record per lease exchange, without `id.*`: the client (address and MAC) is the source, the server
 * the destination. The lease ties a MAC to an address, which the asset inventory needs.
 */
import type { EcsDocument } from '../context';
import type { LogMapper } from '../mapper';
import { relateHost, relateIp } from '../related';
import { ecsMac, ip, str, type ZeekFields } from '../values';
import { NETWORK, PROTOCOL } from './categories';

function mapDhcp(f: ZeekFields, doc: EcsDocument): void {
  const clientIp = ip(f.client_addr);
  const mac = ecsMac(f.mac);
  if (clientIp !== undefined || mac !== undefined) {
    const source: Record<string, unknown> = {};
    if (clientIp !== undefined) source.ip = clientIp;
    if (mac !== undefined) source.mac = mac;
    doc.source = source;
  }
  const serverIp = ip(f.server_addr);
  if (serverIp !== undefined) doc.destination = { ip: serverIp };
  relateIp(doc, str(f.requested_addr));
  relateIp(doc, str(f.assigned_addr));
  relateHost(doc, str(f.host_name));
  relateHost(doc, str(f.client_fqdn));
}

export const dhcpMappers: Record<string, LogMapper> = {
  dhcp: { category: NETWORK, type: PROTOCOL, protocol: 'dhcp', transport: 'udp', map: mapDhcp },
};
