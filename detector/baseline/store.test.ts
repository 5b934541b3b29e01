import { BaselineStore, baselineId, type Baseline } from './store';

/**
 * An Elasticsearch stand-in for the store: documents in a map, read by mget; each bulk request waits until the test
 * answers it (or refuses it), so that what the store does while writes are out can be seen.
 */
function slowClient() {
  const docs = new Map<string, unknown>();
  const waiting: Array<{ apply: () => void; refuse: () => void }> = [];
  return {
    docs,
    waiting,
    async mget({ ids }: { ids: string[] }) {
      return { docs: ids.map((id) => (docs.has(id) ? { _id: id, found: true, _source: docs.get(id) } : { _id: id, found: false })) };
    },
    bulk({ operations }: { operations: Array<Record<string, any>> }) {
      return new Promise((resolve) => {
        waiting.push({
          apply: () => {
            for (let i = 0; i < operations.length; i += 2) docs.set(operations[i].index._id, JSON.parse(JSON.stringify(operations[i + 1])));
            resolve({ errors: false, items: [] });
          },
          refuse: () => resolve({ errors: true, items: [{ index: { _id: operations[0].index._id, error: { type: 'mapper_parsing_exception', reason: 'refused' } } }] }),
        });
      });
    },
    /** Answers the oldest write request. */
    answer(ok = true) {
      const next = waiting.shift()!;
      if (ok) next.apply();
      else next.refuse();
    },
  };
}

const T = Date.UTC(2025, 5, 2);

function baseline(key: string, value: number): Baseline<{ value: number }> {
  return { model: 'm', kind: 'k', entity: { type: 'host', id: key }, key, first_seen: T, last_seen: T, observations: value, state: { value } };
}

/** Lets the store's promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('the baseline store writes behind', () => {
  it('returns a baseline sent and not yet answered as it was sent, and the stored one once written', async () => {
    const client = slowClient();
    const store = new BaselineStore(client as never);
    store.put(baseline('a', 1));
    await store.spill();
    expect(client.waiting).toHaveLength(1);
    expect(client.docs.size).toBe(0);
    // Not in Elasticsearch yet, but read back from the request under way.
    expect((await store.get<{ value: number }>('m', 'k', 'a'))?.state.value).toBe(1);
    // A newer change wins over the one being sent.
    store.put(baseline('a', 2));
    expect((await store.get<{ value: number }>('m', 'k', 'a'))?.state.value).toBe(2);
    client.answer();
    await settle();
    expect((client.docs.get(baselineId('m', 'k', 'a')) as { state: { value: number } }).state.value).toBe(1);
    const flushed = store.flush();
    await settle();
    client.answer();
    await flushed;
    expect((client.docs.get(baselineId('m', 'k', 'a')) as { state: { value: number } }).state.value).toBe(2);
    expect(store.stats.written).toBe(2);
  });

  it('has at most two write requests out: a third spill waits for the oldest', async () => {
    const client = slowClient();
    const store = new BaselineStore(client as never);
    for (const key of ['a', 'b']) {
      store.put(baseline(key, 1));
      await store.spill();
    }
    expect(client.waiting).toHaveLength(2);
    store.put(baseline('c', 1));
    let done = false;
    const third = store.spill().then(() => (done = true));
    await settle();
    expect(client.waiting).toHaveLength(3);
    expect(done).toBe(false);
    client.answer();
    await third;
    expect(done).toBe(true);
  });

  it('raises a refused write at flush, and at every spill after it', async () => {
    const client = slowClient();
    const store = new BaselineStore(client as never);
    store.put(baseline('a', 1));
    await store.spill();
    store.put(baseline('b', 1));
    const flushed = store.flush();
    await settle();
    client.answer(false);
    client.answer();
    await expect(flushed).rejects.toThrow(/writing baselines failed.*refused/);
    // The failure stays: the next spill raises it too instead of writing on.
    store.put(baseline('c', 1));
    await expect(store.spill()).rejects.toThrow(/refused/);
  });
});
