/**
 * What Zeek learned about the hosts it watches: `known_hosts`, `known_services`, `software`. No connection:
 * the host the record is about is ECS `host.ip`, or the destination for a service it offers.
 */
import type { EcsDocument } from '../context';
import { part, type LogMapper } from '../mapper';
import { firstString, ip, num, str, type ZeekFields } from '../values';
import { INFO, NETWORK } from './categories';

function mapHost(f: ZeekFields, doc: EcsDocument): void {
  const host = ip(f.host);
  if (host !== undefined) doc.host = { ip: host };
}

/** The known_* logs name a server by `host` and `port_num`: the destination its clients reach. */
export function mapKnownDestination(f: ZeekFields, doc: EcsDocument): void {
  const host = ip(f.host);
  const port = num(f.port_num);
  if (host !== undefined || port !== undefined) {
    const destination = part(doc, 'destination');
    if (host !== undefined) destination.ip = host;
    if (port !== undefined) destination.port = port;
  }
}

function mapKnownServices(f: ZeekFields, doc: EcsDocument): void {
  mapKnownDestination(f, doc);
  const transport = str(f.port_proto);
  const service = firstString(f.service);
  if (transport !== undefined || service !== undefined) {
    const network = part(doc, 'network');
    if (transport !== undefined) network.transport = transport;
    if (service !== undefined) network.protocol = service.toLowerCase();
  }
}

const inventory = { category: NETWORK, type: INFO };

export const inventoryMappers: Record<string, LogMapper> = {
  known_hosts: { ...inventory, map: mapHost },
  known_services: { ...inventory, map: mapKnownServices },
  software: { ...inventory, map: mapHost },
};
