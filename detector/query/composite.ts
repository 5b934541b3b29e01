import type { Client } from '@elastic/elasticsearch';

/**
 * Pages of a composite aggregation: the detector's only way of reading events. Each page holds at most about `size`
 * buckets (twice that at most), so memory stays bounded whatever the number of events; the caller folds a page into
 * baselines before the next is taken. The next page is asked for as soon as a page arrives, so that Elasticsearch
 * computes it while the caller works on this one: two pages at most are held.
 *
 * Elasticsearch answers each page of a composite aggregation by visiting every event the query matches, the events
 * of the pages already read included: a sweep of p pages visits the window p times. When the first page is not the
 * last and the first source is a plain `terms` on a field, the rest of the sweep is cut into ranges of that field
 * instead (see `rangedPages`), so that each request visits only the events of its range. The buckets, and their
 * order, are those of the plain sweep.
 */
export interface CompositeRequest {
  index: string;
  query: Record<string, unknown>;
  sources: ReadonlyArray<Record<string, unknown>>;
  aggs?: Record<string, unknown>;
  size: number;
  /** Whether the next page is asked for as soon as a page arrives (by default it is); off for a caller that asks ahead itself. */
  ahead?: boolean;
  /** Whether the sweep may be cut into ranges of its first source (by default it may); off to page it plainly. */
  ranges?: boolean;
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

async function fetchPage(client: Client, request: CompositeRequest, query: Record<string, unknown>, after: Record<string, unknown> | undefined): Promise<CompositePage | undefined> {
  const response = await client.search({
    index: request.index,
    size: 0,
    track_total_hits: false,
    query,
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
}

export async function* compositePages(client: Client, request: CompositeRequest): AsyncGenerator<CompositeBucket[]> {
  const lead = request.ranges === false ? undefined : rangeLead(request.sources);
  const pages = lead ? rangedPages(client, request, lead) : plainPages(client, request, request.query);
  yield* request.ahead === false ? pages : askingAhead(pages);
}

/** Pages of `query` one after the other, from `from` (the start by default). */
async function* plainPages(client: Client, request: CompositeRequest, query: Record<string, unknown>, from?: Record<string, unknown>): AsyncGenerator<CompositeBucket[]> {
  let after = from;
  for (;;) {
    const page = await fetchPage(client, request, query, after);
    if (!page || page.buckets.length === 0) return;
    yield page.buckets;
    // A short page is the last.
    if (page.buckets.length < request.size || !page.after_key) return;
    after = page.after_key;
  }
}

/** The first source of a sweep, when it can cut the sweep into ranges: `terms` on a field, ascending, every event in a bucket. */
interface Lead {
  name: string;
  field: string;
}

function rangeLead(sources: ReadonlyArray<Record<string, unknown>>): Lead | undefined {
  const first = sources[0];
  if (!first) return undefined;
  const names = Object.keys(first);
  if (names.length !== 1) return undefined;
  const terms = (first[names[0]] as { terms?: Record<string, unknown> } | undefined)?.terms;
  if (!terms || typeof terms.field !== 'string') return undefined;
  // A script, a format or a missing bucket would make the keys differ from what a range of the field selects.
  if (Object.keys(terms).some((k) => !['field', 'order', 'missing_bucket'].includes(k))) return undefined;
  if ((terms.order ?? 'asc') !== 'asc' || terms.missing_bucket === true) return undefined;
  return { name: names[0], field: terms.field };
}

/** Values of the first source per request when a sweep counts them (the largest page the configuration allows). */
const LEAD_PAGE = 10_000;
/** Bounds of the events a range may hold, as a multiple of the page size (see `rangedPages`). */
const MIN_RANGE_EVENTS = 1;
const MAX_RANGE_EVENTS = 256;
/**
 * Pages a plain sweep may still take, estimated from the events the first page took, below which it goes on plainly:
 * a page or two more cost about what the counting and the ranges would.
 */
const PLAIN_PAGES_AT_MOST = 2;

/**
 * A sweep cut into ranges of its first source. The first page is asked for plainly: most sweeps of a window end
 * there. Past it, a second aggregation counts the events of each value of the first source (one field, no
 * sub-aggregation: far cheaper than a page). When the events left would take a plain sweep a page or two more (as
 * many events as the first page took, twice at most), it goes on plainly. Otherwise consecutive values are grouped
 * into ranges of about one page of buckets each. The ratio of buckets to events seen so far sets how many events a
 * range takes (one event is one bucket at most, so the first range takes one page of events); a range holds at most
 * one page of values, and one that yields more buckets than a page is paged within itself. Ranges meet end to end
 * (`gte` one value, `lt` the next range's first), so an event indexed after the counting still falls in one of them.
 * Buckets are handed on in pages of at least `size` (the last excepted), so that a caller's work per page stays what
 * it is for a plain sweep.
 */
async function* rangedPages(client: Client, request: CompositeRequest, lead: Lead): AsyncGenerator<CompositeBucket[]> {
  const first = await fetchPage(client, request, request.query, undefined);
  if (!first || first.buckets.length === 0) return;
  const after = first.buckets.length >= request.size ? first.after_key : undefined;
  yield first.buckets;
  if (!after) return;
  const from = after[lead.name];
  if (typeof from !== 'string' && typeof from !== 'number') {
    yield* plainPages(client, request, request.query, after);
    return;
  }
  const within = (bounds: Record<string, string | number>) => ({ bool: { filter: [request.query, { range: { [lead.field]: bounds } }] } });
  let out: CompositeBucket[] = [];
  let events = 0;
  let buckets = 0;
  // The range being grouped: from `lo` (continuing after `loAfter` for the first), `values` values and `held` events so far.
  let lo: string | number = from;
  let loAfter: Record<string, unknown> | undefined = after;
  let values = 0;
  let held = 0;
  const take = async function* (hi: string | number | undefined): AsyncGenerator<CompositeBucket[]> {
    for await (const page of plainPages(client, request, within(hi === undefined ? { gte: lo } : { gte: lo, lt: hi }), loAfter)) {
      buckets += page.length;
      for (const b of page) out.push(b);
      if (out.length >= request.size) {
        yield out;
        out = [];
      }
    }
    events += held;
  };
  // The counting starts at the first value, so that it also tells how many events the first page took.
  let before = 0;
  let found = false;
  let pagesCounted = 0;
  for await (const counts of plainPages(client, { index: request.index, query: request.query, sources: [{ [lead.name]: { terms: { field: lead.field } } }], size: LEAD_PAGE }, request.query)) {
    pagesCounted++;
    let start = 0;
    if (!found) {
      start = counts.findIndex((c) => c.key[lead.name] === from);
      for (const c of start < 0 ? counts : counts.slice(0, start)) before += c.doc_count;
      if (start < 0) continue;
      found = true;
      // A sweep that plain paging ends in a page or two is not worth cutting: each range costs a request.
      if (pagesCounted === 1 && counts.length < LEAD_PAGE) {
        let rest = 0;
        for (const c of counts.slice(start)) rest += c.doc_count;
        if (rest < PLAIN_PAGES_AT_MOST * before) {
          yield* plainPages(client, request, request.query, after);
          return;
        }
      }
    }
    for (const c of counts.slice(start)) {
      const v = c.key[lead.name];
      if (typeof v !== 'string' && typeof v !== 'number') continue;
      const perBucket = buckets > 0 ? events / buckets : MIN_RANGE_EVENTS;
      const budget = request.size * Math.min(MAX_RANGE_EVENTS, Math.max(MIN_RANGE_EVENTS, perBucket));
      if (values > 0 && (held + c.doc_count > budget || values >= request.size)) {
        yield* take(v);
        lo = v;
        loAfter = undefined;
        values = 0;
        held = 0;
      }
      values++;
      held += c.doc_count;
    }
  }
  yield* take(undefined);
  if (out.length > 0) yield out;
}

/**
 * The pages of `source`, each next one asked for as soon as one is handed on, so that Elasticsearch computes it
 * while the caller works on this one. A caller that stops early never awaits it: its failure must not go unhandled.
 */
async function* askingAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let next: Promise<IteratorResult<T>> | undefined = source.next();
  try {
    for (;;) {
      const r: IteratorResult<T> = await next;
      if (r.done) {
        next = undefined;
        return;
      }
      next = source.next();
      next.catch(() => undefined);
      yield r.value;
    }
  } finally {
    // Stopped early: the page being computed is let finish, then the source is closed.
    if (next) await next.catch(() => undefined);
    await source.return(undefined);
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
