import type { Client } from '@elastic/elasticsearch';
import { compositePages } from '../detector/query/composite';
import { CONN_INDEX, connQuery } from '../detector/models/conn-query';
import type { DetectionWindow } from '../detector/models/model';
import { EDGE_KEYS } from '../detector/models/new-connection';

/**
 * Composite aggregation sweeps over the conn events of every window, paged as the detector pages them, reading
 * every bucket and doing nothing with it: what reading the events costs, the floor a detection pass is measured
 * against.
 *  - `floor`: keyed like the new-connection model's sweeps (`EDGE_KEYS`: source.ip, destination.ip, destination.port,
 *    network.transport), no sub-aggregation.
 *  - `new_connection`: the new-connection model's own request (network.protocol added, first event time per
 *    bucket), to split its time into reading and the rest (baselines, scoring).
 *  - `shared`: that request with what other conn models read per bucket (bytes and packets each way, last event
 *    time): the price of one sweep that serves every conn model.
 *  - `plain`: the floor paged plainly, each page after the last, without cutting the sweep into ranges of its first
 *    source (`compositePages`): every page visits every event of the window again.
 */
const PROTOCOL = { protocol: { terms: { field: 'network.protocol', missing_bucket: true } } };

export const SWEEPS = {
  floor: { sources: EDGE_KEYS },
  plain: { sources: EDGE_KEYS, ranges: false },
  new_connection: { sources: [...EDGE_KEYS, PROTOCOL], aggs: { first: { min: { field: '@timestamp' } } } },
  shared: {
    sources: [...EDGE_KEYS, PROTOCOL],
    aggs: {
      first: { min: { field: '@timestamp' } },
      last: { max: { field: '@timestamp' } },
      out_bytes: { sum: { field: 'source.bytes' } },
      in_bytes: { sum: { field: 'destination.bytes' } },
      out_packets: { sum: { field: 'source.packets' } },
      in_packets: { sum: { field: 'destination.packets' } },
    },
  },
} satisfies Record<string, { sources: ReadonlyArray<Record<string, unknown>>; aggs?: Record<string, unknown>; ranges?: boolean }>;

export type SweepName = keyof typeof SWEEPS;

export interface SweepResult {
  windows: number;
  pages: number;
  buckets: number;
  events: number;
}

/** The windows a pass walks over the conn events: from the window of the first event to that of the last. */
export async function connWindows(client: Client, windowMs: number): Promise<DetectionWindow[]> {
  const r = await client.search({
    index: CONN_INDEX,
    size: 0,
    track_total_hits: false,
    query: { term: { 'event.dataset': 'zeek.conn' } },
    aggs: { first: { min: { field: '@timestamp' } }, last: { max: { field: '@timestamp' } } },
  });
  const aggs = r.aggregations as Record<string, { value: number | null }> | undefined;
  const first = aggs?.first.value;
  const last = aggs?.last.value;
  if (typeof first !== 'number' || typeof last !== 'number') return [];
  const windows: DetectionWindow[] = [];
  for (let start = Math.floor(first / windowMs) * windowMs; start <= last; start += windowMs) windows.push({ start, end: start + windowMs });
  return windows;
}

export async function sweep(client: Client, name: SweepName, windows: DetectionWindow[], pageSize: number): Promise<SweepResult> {
  const request = SWEEPS[name];
  const result: SweepResult = { windows: windows.length, pages: 0, buckets: 0, events: 0 };
  for (const window of windows) {
    for await (const page of compositePages(client, { index: CONN_INDEX, query: connQuery(window), size: pageSize, ...request })) {
      result.pages++;
      result.buckets += page.length;
      for (const b of page) result.events += b.doc_count;
    }
  }
  return result;
}

/**
 * Zones of the inventory benchmark: the replay's three private ranges as three zones, so that the inventory pass
 * also aggregates conduits.
 */
export const BENCH_ZONES = [
  { name: 'enterprise', subnets: ['10.0.0.0/8'], level: 4 },
  { name: 'dmz', subnets: ['172.16.0.0/12'], level: 3 },
  { name: 'plant', subnets: ['192.168.0.0/16'], level: 2 },
];

/**
 * One composite aggregation over every conn event at once, keyed by the device that opened the connection, with the
 * inventory's page size. Keys alone, Elasticsearch can answer it from the index's term dictionary without reading an
 * event; with `lastSeen`, each device's latest event time makes it read every event: the least an inventory pass
 * must read, the reference of its benchmark.
 */
export async function deviceSweep(client: Client, pageSize: number, lastSeen = false): Promise<SweepResult> {
  const result: SweepResult = { windows: 1, pages: 0, buckets: 0, events: 0 };
  for await (const page of compositePages(client, {
    index: CONN_INDEX,
    query: { term: { 'event.dataset': 'zeek.conn' } },
    sources: [{ device: { terms: { field: 'source.ip' } } }],
    ...(lastSeen ? { aggs: { last: { max: { field: '@timestamp' } } } } : {}),
    size: pageSize,
  })) {
    result.pages++;
    result.buckets += page.length;
    for (const b of page) result.events += b.doc_count;
  }
  return result;
}
