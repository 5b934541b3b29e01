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
