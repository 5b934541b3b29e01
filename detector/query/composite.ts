import type { Client } from '@elastic/elasticsearch';

/**
 * Pages of a composite aggregation: the detector's only way of reading events. Each page holds at most `size`
 * buckets, so memory stays bounded whatever the number of events; the caller folds a page into baselines before
 * the next is taken. The next page is asked for as soon as a page arrives, so that Elasticsearch computes it while
 * the caller works on this one: two pages at most are held.
 */
export interface CompositeRequest {
  index: string;
  query: Record<string, unknown>;
  sources: Array<Record<string, unknown>>;
  aggs?: Record<string, unknown>;
  size: number;
  /** Whether the next page is asked for as soon as a page arrives (by default it is); off for a caller that asks ahead itself. */
  ahead?: boolean;
}

export interface CompositeBucket {
  key: Record<string, string | number | null>;
  doc_count: number;
  [agg: string]: unknown;
}

/** The time of a bucket's `first` (a `min` of `@timestamp`); `fallback` when the aggregation gave none. */
export function firstTime(bucket: CompositeBucket, fallback: number): number {
  const v = (bucket.first as { value?: number | null } | undefined)?.value;
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

interface CompositePage {
  buckets: CompositeBucket[];
  after_key?: Record<string, unknown>;
}

export async function* compositePages(client: Client, request: CompositeRequest): AsyncGenerator<CompositeBucket[]> {
  const fetch = async (after: Record<string, unknown> | undefined): Promise<CompositePage | undefined> => {
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
    return (response.aggregations as Record<string, CompositePage> | undefined)?.page;
  };
  let next: Promise<CompositePage | undefined> | undefined = fetch(undefined);
  try {
    while (next) {
      const page = await next;
      next = undefined;
      if (!page || page.buckets.length === 0) return;
      // A short page is the last.
      const after = page.buckets.length >= request.size ? page.after_key : undefined;
      if (after && request.ahead !== false) {
        next = fetch(after);
        // A caller that stops early never awaits it; its failure must not go unhandled.
        next.catch(() => undefined);
      }
      yield page.buckets;
      if (after && !next) next = fetch(after);
    }
  } finally {
    // Stopped early: the page asked for ahead is not wanted, but is let finish before the sweep counts as done.
    if (next) await next.catch(() => undefined);
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
