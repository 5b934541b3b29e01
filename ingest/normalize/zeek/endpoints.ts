/**
 * ECS `source`, `destination` and `network` from a Zeek record's connection fields.
 *
 * Zeek's `id.*` names the connection: orig is whoever opened it. Logs that record single messages say which way
 * each one went: the ICS parsers write `source_h`/`source_p`/`destination_h`/`destination_p`, and `is_orig`
 * (ICS parsers, `files`) is false for a message the responder sent. ECS `source`/`destination` describe the
 * message, so they follow those fields; `network.community_id` identifies the connection, so it is computed from
 * `id.*` whatever the message direction, and matches the community ID of the connection's `conn` record.
 */
import { communityId, IANA_ICMP, IANA_ICMPV6, IANA_SCTP, IANA_TCP, IANA_UDP } from '../../enrich/community-id';
import { networkDirection } from '../../enrich/direction';
import type { AssetFields, EcsDocument, NormalizeContext } from './context';
import type { LogMapper } from './mapper';
import { relateValidIp } from './related';
import { ip, num, type ZeekFields } from './values';

interface Endpoint {
  ip?: string;
  port?: number;
  [k: string]: unknown;
}

interface Network {
  transport?: string;
  type?: string;
  iana_number?: string;
  community_id?: string;
  [k: string]: unknown;
}

function endpoint(address: string | undefined, port: number | undefined): Endpoint | undefined {
  if (address === undefined) return port === undefined ? undefined : { port };
  return port === undefined ? { ip: address } : { ip: address, port };
}

/** IANA protocol numbers as ECS keeps them (keyword), for Zeek's `proto` values. */
const IANA_NUMBER: Readonly<Record<number, string>> = { [IANA_ICMP]: '1', [IANA_TCP]: '6', [IANA_UDP]: '17', [IANA_ICMPV6]: '58' };
const TRANSPORT_NUMBER: Readonly<Record<string, number>> = { tcp: IANA_TCP, udp: IANA_UDP, icmp: IANA_ICMP };
/** Protocols whose Community ID includes ports (or ICMP type and code). */
const PORTED = new Set([IANA_TCP, IANA_UDP, IANA_ICMP, IANA_ICMPV6, IANA_SCTP]);

/**
 * Sets `source`, `destination` and `network` (transport, type, IANA number, community ID) from the record's
 * connection fields, when it has any. Returns nothing; mappers may complete the objects afterwards.
 */
export function setEndpoints(f: ZeekFields, doc: EcsDocument, mapper: LogMapper): void {
  const origH = ip(f['id.orig_h']);
  const respH = ip(f['id.resp_h']);
  const origP = num(f['id.orig_p']);
  const respP = num(f['id.resp_p']);

  let source: Endpoint | undefined;
  let destination: Endpoint | undefined;
  if (f.source_h !== undefined || f.destination_h !== undefined) {
    source = endpoint(ip(f.source_h), num(f.source_p));
    destination = endpoint(ip(f.destination_h), num(f.destination_p));
  } else if (f.is_orig === false) {
    source = endpoint(respH, respP);
    destination = endpoint(origH, origP);
  } else {
    source = endpoint(origH, origP);
    destination = endpoint(respH, respP);
  }
  if (source !== undefined) doc.source = source;
  if (destination !== undefined) doc.destination = destination;

  const proto = f.proto;
  let transport: string | undefined;
  if (typeof proto === 'string') {
    transport = proto;
  } else if (mapper.transport !== undefined) {
    transport = typeof mapper.transport === 'function' ? mapper.transport(f) : mapper.transport;
  }
  let iana = transport === undefined ? undefined : TRANSPORT_NUMBER[transport];
  if (iana === undefined) {
    // `unknown_transport` connections (GRE, ESP, ...) carry the protocol number since Zeek 6.
    transport = undefined;
    iana = num(f.ip_proto);
  }
  const anyAddress = origH ?? respH ?? source?.ip ?? destination?.ip;
  if (iana === undefined && anyAddress === undefined) return;

  const network: Network = {};
  const v6 = anyAddress !== undefined && anyAddress.indexOf(':') >= 0;
  if (iana === IANA_ICMP && v6) {
    iana = IANA_ICMPV6;
    transport = 'ipv6-icmp';
  }
  if (transport !== undefined) network.transport = transport;
  if (anyAddress !== undefined) network.type = v6 ? 'ipv6' : 'ipv4';
  if (iana !== undefined) network.iana_number = IANA_NUMBER[iana] ?? String(iana);
  // A transport Zeek did not parse has no ports in its record; TCP, UDP, ICMP and SCTP need them in the hash.
  const portless = transport === undefined && iana !== undefined && PORTED.has(iana);
  if (iana !== undefined && !portless && origH !== undefined && respH !== undefined) {
    const id = communityId(iana, origH, respH, origP, respP);
    if (id !== undefined) network.community_id = id;
  }
  doc.network = network;
}

/**
 * After the mapper: `network.direction` from the configured local networks, the source and destination
 * addresses in `related.ip`, and their zone and asset role under `vigil.source` and `vigil.destination`.
 */
export function finishEndpoints(doc: EcsDocument, ctx: NormalizeContext): void {
  const source = doc.source as Endpoint | undefined;
  const destination = doc.destination as Endpoint | undefined;
  const sourceIp = source?.ip;
  const destinationIp = destination?.ip;
  if (sourceIp === undefined && destinationIp === undefined) return;
  if (sourceIp !== undefined) relateValidIp(doc, sourceIp);
  if (destinationIp !== undefined) relateValidIp(doc, destinationIp);
  const network = (doc.network ??= {}) as Network;
  network.direction = networkDirection(
    sourceIp === undefined ? undefined : ctx.isLocal(sourceIp),
    destinationIp === undefined ? undefined : ctx.isLocal(destinationIp),
  );
  if (ctx.assetOf === undefined) return;
  const sourceAsset = sourceIp === undefined ? undefined : ctx.assetOf(sourceIp);
  const destinationAsset = destinationIp === undefined ? undefined : ctx.assetOf(destinationIp);
  if (sourceAsset === undefined && destinationAsset === undefined) return;
  // Merged into whatever `vigil` already holds; the asset objects are shared and frozen, so none is copied.
  const vigil = (doc.vigil ??= {}) as { source?: Readonly<AssetFields>; destination?: Readonly<AssetFields> };
  if (sourceAsset !== undefined) vigil.source = sourceAsset;
  if (destinationAsset !== undefined) vigil.destination = destinationAsset;
}
