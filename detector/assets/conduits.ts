/**
 * Observed conduits: the flows between configured zones, aggregated per ordered pair of zones with the protocols
 * and ports that crossed, their volume and when, and which of them the configured conduit policy does not allow.
 * Addresses in no configured zone (the internet among them) count as the zone `outside`.
 *
 * One filters aggregation per pass reads them: source zone, then destination zone, then protocol and port; the
 * bucket count is bounded by zones² × protocols × ports, whatever the number of events.
 */
import type { Client } from '@elastic/elasticsearch';
import type { Conduit, Zone } from '../../common/config/detector-schema';
import { CONDUITS_INDEX, ZEEK_EVENTS_PATTERN } from '../../common/es/names';
import { conduitAllows } from '../feedback/scope';
import { rangeFilter, type IngestRange } from './collect';

export const OUTSIDE = 'outside';

const MAX_PROTOCOLS = 20;
const MAX_PORTS = 10;

export interface ConduitFlow {
  protocol: string;
  port?: number;
  events: number;
  bytes: number;
  first: number;
  last: number;
}

export interface ObservedConduit {
  from: string;
  to: string;
  flows: ConduitFlow[];
}

export interface ConduitDocument {
  '@timestamp': string;
  vigil: {
    conduit: {
      from: string;
      to: string;
      from_level?: number;
      to_level?: number;
      first_seen: string;
      last_seen: string;
      events: number;
      bytes: number;
      /** `none`: no conduit policy configured; `allowed`: every flow allowed; `violated`: some are not. */
      policy: 'none' | 'allowed' | 'violated';
      protocols: Array<{ protocol: string; port?: number; allowed: boolean; events: number; bytes: number; first: string; last: string }>;
      /** `protocol/port` of the flows the policy does not allow. */
      not_allowed: string[];
    };
  };
}

function zoneFilters(zones: readonly Zone[], field: string): Record<string, unknown> {
  return Object.fromEntries(zones.map((z) => [z.name, { terms: { [field]: z.subnets } }]));
}

type Buckets = Record<string, Record<string, unknown>>;

/** The conduits crossed by conn events ingested in the range (same-zone and outside-to-outside flows are not conduits). */
export async function observeConduits(client: Client, range: IngestRange, zones: readonly Zone[]): Promise<ObservedConduit[]> {
  if (zones.length === 0) return [];
  const time = { first: { min: { field: '@timestamp' } }, last: { max: { field: '@timestamp' } }, bytes: { sum: { field: 'network.bytes' } } };
  const subnets = zones.flatMap((z) => z.subnets);
  const response = await client.search({
    index: ZEEK_EVENTS_PATTERN,
    size: 0,
    track_total_hits: false,
    ignore_unavailable: true,
    allow_no_indices: true,
    // A flow from outside to outside crosses no conduit: only events with an end in a zone are aggregated.
    query: {
      bool: {
        filter: [
          rangeFilter(range),
          { term: { 'event.dataset': 'zeek.conn' } },
          { bool: { should: [{ terms: { 'source.ip': subnets } }, { terms: { 'destination.ip': subnets } }], minimum_should_match: 1 } },
        ],
      },
    },
    aggs: {
      from: {
        filters: { filters: zoneFilters(zones, 'source.ip'), other_bucket_key: OUTSIDE },
        aggs: {
          to: {
            filters: { filters: zoneFilters(zones, 'destination.ip'), other_bucket_key: OUTSIDE },
            aggs: {
              protocol: {
                terms: { field: 'network.protocol', size: MAX_PROTOCOLS, missing: 'unknown' },
                aggs: { port: { terms: { field: 'destination.port', size: MAX_PORTS }, aggs: time } },
              },
            },
          },
        },
      },
    },
  } as Parameters<Client['search']>[0]);
  const from = (response.aggregations as { from?: { buckets: Buckets } } | undefined)?.from?.buckets ?? {};
  const out: ObservedConduit[] = [];
  for (const [fromZone, fromBucket] of Object.entries(from)) {
    const to = (fromBucket.to as { buckets: Buckets }).buckets;
    for (const [toZone, toBucket] of Object.entries(to)) {
      if (fromZone === toZone || (toBucket.doc_count as number) === 0) continue;
      const flows: ConduitFlow[] = [];
      for (const p of (toBucket.protocol as { buckets: Array<Record<string, unknown>> }).buckets) {
        for (const port of (p.port as { buckets: Array<Record<string, unknown>> }).buckets) {
          flows.push({
            protocol: String(p.key),
            port: Number(port.key),
            events: port.doc_count as number,
            bytes: (port.bytes as { value: number }).value ?? 0,
            first: (port.first as { value: number }).value,
            last: (port.last as { value: number }).value,
          });
        }
      }
      if (flows.length) out.push({ from: fromZone, to: toZone, flows });
    }
  }
  return out;
}

export function conduitId(from: string, to: string): string {
  return `${from}>${to}`;
}

/** The conduit document with this pass's flows folded in, and the policy judged afresh from the configuration. */
export function foldConduit(before: ConduitDocument | undefined, observed: ObservedConduit, zones: readonly Zone[], policy: readonly Conduit[], now: number): ConduitDocument {
  const byKey = new Map<string, ConduitDocument['vigil']['conduit']['protocols'][number]>();
  for (const p of before?.vigil.conduit.protocols ?? []) byKey.set(`${p.protocol}/${p.port ?? ''}`, { ...p });
  for (const f of observed.flows) {
    const key = `${f.protocol}/${f.port ?? ''}`;
    const hit = byKey.get(key);
    if (hit) {
      hit.events += f.events;
      hit.bytes += f.bytes;
      hit.first = new Date(Math.min(Date.parse(hit.first), f.first)).toISOString();
      hit.last = new Date(Math.max(Date.parse(hit.last), f.last)).toISOString();
    } else {
      byKey.set(key, { protocol: f.protocol, ...(f.port !== undefined ? { port: f.port } : {}), allowed: true, events: f.events, bytes: f.bytes, first: new Date(f.first).toISOString(), last: new Date(f.last).toISOString() });
    }
  }
  const protocols = [...byKey.values()].sort((a, b) => b.events - a.events || (a.protocol < b.protocol ? -1 : 1));
  for (const p of protocols) p.allowed = policy.length === 0 || conduitAllows(policy, observed.from, observed.to, p.port, p.protocol === 'unknown' ? undefined : p.protocol);
  const notAllowed = protocols.filter((p) => !p.allowed).map((p) => `${p.protocol}/${p.port ?? ''}`);
  const level = (name: string) => zones.find((z) => z.name === name)?.level;
  const fromLevel = level(observed.from);
  const toLevel = level(observed.to);
  return {
    '@timestamp': new Date(now).toISOString(),
    vigil: {
      conduit: {
        from: observed.from,
        to: observed.to,
        ...(fromLevel !== undefined ? { from_level: fromLevel } : {}),
        ...(toLevel !== undefined ? { to_level: toLevel } : {}),
        first_seen: protocols.reduce((m, p) => (p.first < m ? p.first : m), protocols[0].first),
        last_seen: protocols.reduce((m, p) => (p.last > m ? p.last : m), protocols[0].last),
        events: protocols.reduce((n, p) => n + p.events, 0),
        bytes: protocols.reduce((n, p) => n + p.bytes, 0),
        policy: policy.length === 0 ? 'none' : notAllowed.length ? 'violated' : 'allowed',
        protocols,
        not_allowed: notAllowed,
      },
    },
  };
}

/** Reads the conduits' documents, folds the observed flows in and writes them back; returns the documents written. */
export async function writeConduits(client: Client, observed: readonly ObservedConduit[], zones: readonly Zone[], policy: readonly Conduit[], now: number): Promise<ConduitDocument[]> {
  if (observed.length === 0) return [];
  const ids = observed.map((c) => conduitId(c.from, c.to));
  const existing = await client.mget<ConduitDocument>({ index: CONDUITS_INDEX, ids });
  const docs = observed.map((c, i) => {
    const hit = existing.docs[i] as { found?: boolean; _source?: ConduitDocument };
    return foldConduit(hit.found ? hit._source : undefined, c, zones, policy, now);
  });
  const response = await client.bulk({ operations: docs.flatMap((doc, i) => [{ index: { _index: CONDUITS_INDEX, _id: ids[i] } }, doc]) });
  if (response.errors) {
    const failed = response.items.find((item) => item.index?.error)?.index?.error;
    throw new Error(`writing conduits failed: ${failed?.type ?? 'error'}: ${failed?.reason ?? 'unknown'}`);
  }
  return docs;
}
