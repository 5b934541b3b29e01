import { compositePages, type CompositeBucket } from './composite';

/** A search stand-in serving a composite aggregation's pages from a list, answering each request when told to. */
function pagedClient(pages: CompositeBucket[][]) {
  const asked: Array<Record<string, unknown> | undefined> = [];
  const waiting: Array<() => void> = [];
  return {
    asked,
    waiting,
    search(request: { aggs: { page: { composite: { after?: { n: number } } } } }) {
      const after = request.aggs.page.composite.after;
      asked.push(after);
      const i = after ? after.n + 1 : 0;
      return new Promise((resolve) =>
        waiting.push(() => resolve({ aggregations: { page: { buckets: pages[i] ?? [], ...(i < pages.length ? { after_key: { n: i } } : {}) } } })),
      );
    },
    answer() {
      waiting.shift()!();
    },
  };
}

const settle = () => new Promise((r) => setImmediate(r));
const page = (n: number, size: number): CompositeBucket[] => Array.from({ length: size }, (_, i) => ({ key: { n, i }, doc_count: 1 }));

describe('composite pages', () => {
  it('asks for the next page as soon as a page arrives, before the caller is done with it', async () => {
    const client = pagedClient([page(0, 2), page(1, 2), page(2, 1)]);
    const it = compositePages(client as never, { index: 'i', query: {}, sources: [], size: 2 });
    const first = it.next();
    await settle();
    client.answer();
    expect((await first).value).toHaveLength(2);
    // The caller holds page 0; page 1 is already asked for.
    expect(client.asked).toEqual([undefined, { n: 0 }]);
    client.answer();
    expect((await it.next()).value).toHaveLength(2);
    expect(client.asked).toEqual([undefined, { n: 0 }, { n: 1 }]);
    client.answer();
    // A short page is the last: nothing more is asked for.
    expect((await it.next()).value).toHaveLength(1);
    expect((await it.next()).done).toBe(true);
    expect(client.asked).toHaveLength(3);
  });

  it('asks for nothing ahead when the caller asks ahead itself', async () => {
    const client = pagedClient([page(0, 2), page(1, 1)]);
    const it = compositePages(client as never, { index: 'i', query: {}, sources: [], size: 2, ahead: false });
    const first = it.next();
    await settle();
    client.answer();
    await first;
    await settle();
    expect(client.asked).toEqual([undefined]);
    const second = it.next();
    await settle();
    expect(client.asked).toEqual([undefined, { n: 0 }]);
    client.answer();
    expect((await second).value).toHaveLength(1);
  });

  it('lets the page asked for ahead finish, unread, when the caller stops early', async () => {
    const client = pagedClient([page(0, 2), page(1, 2)]);
    const it = compositePages(client as never, { index: 'i', query: {}, sources: [], size: 2 });
    const first = it.next();
    await settle();
    client.answer();
    await first;
    let returned = false;
    const stop = it.return(undefined).then(() => (returned = true));
    await settle();
    expect(returned).toBe(false);
    client.answer();
    await stop;
    expect(returned).toBe(true);
  });
});

type Doc = Record<string, string | number | undefined>;
type Bounds = { gte?: string | number; lt?: string | number };

/**
 * A small model of Elasticsearch's composite aggregation over documents held in memory: `terms` sources on fields,
 * ascending (a missing bucket first), `after`, `size`, and a query that is match-all, a bool filter of queries or a
 * range of one field. It counts the documents each request visits, as Elasticsearch does: every one the query matches.
 */
function compositeModel(docs: Doc[]) {
  const requests: Array<{ sources: string[]; ranges: Array<[string, Bounds]>; visited: number }> = [];
  const cmp = (a: unknown, b: unknown) => (a === b ? 0 : a === undefined || a === null ? -1 : b === undefined || b === null ? 1 : (a as number) < (b as number) ? -1 : 1);
  const ranges = (q: Record<string, any>): Array<[string, Bounds]> =>
    q.range ? (Object.entries(q.range) as Array<[string, Bounds]>) : q.bool ? (q.bool.filter as Array<Record<string, any>>).flatMap(ranges) : [];
  let beforeRequest: ((request: { sources: string[] }) => void) | undefined;
  return {
    requests,
    docs,
    set beforeRequest(f: (request: { sources: string[] }) => void) {
      beforeRequest = f;
    },
    async search(request: { query: Record<string, any>; aggs: { page: { composite: { size: number; sources: Array<Record<string, { terms: { field: string; missing_bucket?: boolean } }>>; after?: Record<string, unknown> } } } }) {
      const { size, sources, after } = request.aggs.page.composite;
      const keys = sources.map((s) => {
        const [name, { terms }] = Object.entries(s)[0];
        return { name, field: terms.field, missing: terms.missing_bucket === true };
      });
      beforeRequest?.({ sources: keys.map((k) => k.name) });
      const bounds = ranges(request.query);
      const matched = docs.filter((d) =>
        bounds.every(([f, b]) => d[f] !== undefined && (b.gte === undefined || cmp(d[f], b.gte) >= 0) && (b.lt === undefined || cmp(d[f], b.lt) < 0)),
      );
      requests.push({ sources: keys.map((k) => k.name), ranges: bounds, visited: matched.length });
      const buckets = new Map<string, CompositeBucket>();
      for (const d of matched) {
        if (keys.some((k) => d[k.field] === undefined && !k.missing)) continue;
        const key = Object.fromEntries(keys.map((k) => [k.name, d[k.field] ?? null]));
        const id = JSON.stringify(key);
        const b = buckets.get(id);
        if (b) b.doc_count++;
        else buckets.set(id, { key, doc_count: 1 });
      }
      const order = (a: CompositeBucket['key'], b: Record<string, unknown>) => {
        for (const k of keys) {
          const c = cmp(a[k.name], b[k.name]);
          if (c !== 0) return c;
        }
        return 0;
      };
      const page = [...buckets.values()].sort((a, b) => order(a.key, b.key)).filter((b) => !after || order(b.key, after) > 0).slice(0, size);
      return { aggregations: { page: { buckets: page, ...(page.length > 0 ? { after_key: page[page.length - 1].key } : {}) } } };
    },
  };
}

/** Devices and peers as a window of connections has them: a few devices with many peers, many with a few. */
function connections(): Doc[] {
  const docs: Doc[] = [];
  for (let d = 0; d < 60; d++) {
    const device = `10.0.${Math.floor(d / 10)}.${d % 10}`;
    const peers = d % 17 === 0 ? 150 : 1 + (d % 5);
    for (let p = 0; p < peers; p++) for (let n = 0; n <= p % 3; n++) docs.push({ src: device, dst: `192.0.2.${p % 200}`, port: 443 + (p % 4), proto: n === 2 ? undefined : 'tcp' });
  }
  return docs;
}

const SOURCES = [{ device: { terms: { field: 'src' } } }, { peer: { terms: { field: 'dst' } } }, { port: { terms: { field: 'port' } } }, { proto: { terms: { field: 'proto', missing_bucket: true } } }];

async function sweepAll(client: unknown, request: Partial<Parameters<typeof compositePages>[1]>): Promise<CompositeBucket[][]> {
  const pages: CompositeBucket[][] = [];
  for await (const p of compositePages(client as never, { index: 'i', query: { match_all: {} }, sources: SOURCES, size: 25, ...request })) pages.push(p);
  return pages;
}

describe('composite pages cut into ranges of the first source', () => {
  it.each([7, 25, 160, 1000])('hands on the buckets of the plain sweep, in its order (pages of %i)', async (size) => {
    const model = compositeModel(connections());
    const plain = (await sweepAll(model, { size, ranges: false })).flat();
    const ranged = await sweepAll(model, { size });
    expect(ranged.flat()).toEqual(plain);
    // Pages hold at least `size` buckets but the last, and at most twice that.
    for (const p of ranged.slice(0, -1)) expect(p.length).toBeGreaterThanOrEqual(size);
    for (const p of ranged) expect(p.length).toBeLessThan(2 * size);
  });

  it('visits far fewer events than the plain sweep, which visits the window once per page', async () => {
    const plainModel = compositeModel(connections());
    await sweepAll(plainModel, { ranges: false });
    const rangedModel = compositeModel(connections());
    await sweepAll(rangedModel, {});
    const visited = (m: ReturnType<typeof compositeModel>) => m.requests.reduce((n, r) => n + r.visited, 0);
    const events = plainModel.docs.length;
    expect(plainModel.requests.length).toBeGreaterThan(10);
    expect(visited(plainModel)).toBe(events * plainModel.requests.length);
    // The first page, the counting, then each event once per page of its range: a device with more peers than a
    // page (four here, 150 peers each) is still visited once per page of its own.
    expect(visited(rangedModel)).toBeLessThan(visited(plainModel) / 4);
    // Every range request but the first page's is bounded by the first source.
    const ranged = rangedModel.requests.filter((r) => r.sources.length === SOURCES.length).slice(1);
    expect(ranged.length).toBeGreaterThan(1);
    for (const r of ranged) expect(r.ranges.map(([field]) => field)).toEqual(['src']);
  });

  it('asks for one page only when the sweep fits in it', async () => {
    const model = compositeModel(connections());
    const pages = await sweepAll(model, { size: 10_000 });
    expect(pages).toHaveLength(1);
    expect(model.requests).toHaveLength(1);
  });

  it('goes on plainly when the first page took about half the events: the counting is the only request added', async () => {
    const model = compositeModel(connections());
    const all = (await sweepAll(model, { size: 100_000 })).flat();
    const size = Math.ceil(all.length * 0.6);
    model.requests.length = 0;
    const pages = await sweepAll(model, { size });
    expect(pages.flat()).toEqual(all);
    expect(model.requests.map((r) => [r.sources.length, r.ranges.length])).toEqual([
      [SOURCES.length, 0],
      [1, 0],
      [SOURCES.length, 0],
    ]);
  });

  it('keeps an event indexed after the counting: the ranges meet end to end', async () => {
    const model = compositeModel(connections());
    const late: Doc = { src: '10.0.2.45', dst: '198.51.100.7', port: 22, proto: 'tcp' };
    expect(model.docs.some((d) => d.src === late.src)).toBe(false);
    let counted = false;
    model.beforeRequest = ({ sources }) => {
      if (sources.length === 1) counted = true;
      else if (counted && !model.docs.includes(late)) model.docs.push(late);
    };
    const buckets = (await sweepAll(model, { size: 7 })).flat();
    expect(counted).toBe(true);
    expect(buckets.filter((b) => b.key.device === late.src)).toEqual([{ key: { device: late.src, peer: late.dst, port: 22, proto: 'tcp' }, doc_count: 1 }]);
    expect(buckets).toEqual((await sweepAll(model, { size: 7, ranges: false })).flat());
  });

  it.each([
    ['a missing bucket', [{ device: { terms: { field: 'src', missing_bucket: true } } }, ...SOURCES.slice(1)]],
    ['a descending order', [{ device: { terms: { field: 'src', order: 'desc' } } }, ...SOURCES.slice(1)]],
    ['a script', [{ device: { terms: { script: { source: "doc['src'].value" } } } }, ...SOURCES.slice(1)]],
  ])('pages plainly when the first source has %s', async (_what, sources) => {
    const model = compositeModel(connections());
    // The model cannot run a script or a descending order: only the requests are looked at.
    await sweepAll(model, { sources: sources as never, size: 25 }).catch(() => undefined);
    expect(model.requests.length).toBeGreaterThan(0);
    for (const r of model.requests) expect(r.ranges).toEqual([]);
  });

  it('closes the sweep, letting the page asked for ahead finish, when the caller stops early', async () => {
    const model = compositeModel(connections());
    const it = compositePages(model as never, { index: 'i', query: { match_all: {} }, sources: SOURCES, size: 7 });
    await it.next();
    await it.next();
    const asked = model.requests.length;
    await it.return(undefined);
    const after = model.requests.length;
    await settle();
    // Nothing more is asked once the sweep is closed.
    expect(model.requests.length).toBe(after);
    expect(after).toBeGreaterThanOrEqual(asked);
  });
});
