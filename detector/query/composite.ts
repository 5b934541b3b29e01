import type { Client } from '@elastic/elasticsearch';

/**
 * Pages of a composite aggregation: the detector's only way of reading events. Each page holds at most `size`
 * buckets, so memory stays bounded whatever the number of events; the caller folds a page into baselines before
 * the next is fetched.
 */
export interface CompositeRequest {
  index: string;
  query: Record<string, unknown>;
  sources: Array<Record<string, unknown>>;
  aggs?: Record<string, unknown>;
  size: number;
}

export interface CompositeBucket {
  key: Record<string, string | number | null>;
  doc_count: number;
  [agg: string]: unknown;
}

export async function* compositePages(client: Client, request: CompositeRequest): AsyncGenerator<CompositeBucket[]> {
  let after: Record<string, unknown> | undefined;
  for (;;) {
    const response = await client.search({
      index: request.index,
      size: 0,
      track_total_hits: false,
      query: request.query,
      ignore_unavailable: true,
      allow_no_indices: true,
      aggs: {
        page: {
          composite: { size: request.size, sources: request.sources, ...(after ? { after } : {}) },
          ...(request.aggs ? { aggs: request.aggs } : {}),
        },
      },
    } as Parameters<Client['search']>[0]);
    const page = (response.aggregations as Record<string, { buckets: CompositeBucket[]; after_key?: Record<string, unknown> }> | undefined)?.page;
    if (!page || page.buckets.length === 0) return;
    yield page.buckets;
    if (!page.after_key || page.buckets.length < request.size) return;
    after = page.after_key;
  }
}

/** A bool filter on `@timestamp` in [start, end) plus the given clauses. */
export function windowQuery(start: number, end: number, ...filters: Array<Record<string, unknown>>): Record<string, unknown> {
  return {
    bool: {
      filter: [{ range: { '@timestamp': { gte: start, lt: end, format: 'epoch_millis' } } }, ...filters],
    },
  };
}

/** Reads a numeric metric aggregation's value from a bucket (`{ value }`), 0 when absent. */
export function metric(bucket: CompositeBucket, name: string): number {
  const v = (bucket[name] as { value?: number | null } | undefined)?.value;
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
