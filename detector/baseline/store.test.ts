import { BaselineStore, baselineId, type Baseline } from './store';
import { indexedDocs } from './bulk.fixture';

/**
 * An Elasticsearch stand-in for the store: documents in a map, read by mget; each bulk request waits until the test
 * answers it (or refuses it), so that what the store does while writes are out can be seen.
 */
function slowClient() {
  const docs = new Map<string, unknown>();
  const waiting: Array<{ apply: () => void; refuse: () => void }> = [];
  const requests = { mget: 0, bulk: 0 };
  return {
    docs,
    waiting,
    requests,
    async mget({ ids }: { ids: string[] }) {
      requests.mget++;
      return { docs: ids.map((id) => (docs.has(id) ? { _id: id, found: true, _source: docs.get(id) } : { _id: id, found: false })) };
    },
    bulk({ operations }: { operations: unknown[] }) {
      requests.bulk++;
      const sent = indexedDocs(operations);
      return new Promise((resolve) => {
        waiting.push({
          apply: () => {
            for (const { id, doc } of sent) docs.set(id, doc);
            resolve({ errors: false, items: [] });
          },
          refuse: () => resolve({ errors: true, items: [{ index: { _id: sent[0].id, error: { type: 'mapper_parsing_exception', reason: 'refused' } } }] }),
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

  it('sends a baseline changed while an older version is out only once that one is answered, so the newer is the one kept', async () => {
    const client = slowClient();
    const store = new BaselineStore(client as never);
    store.put(baseline('a', 1));
    store.put(baseline('b', 1));
    await store.spill();
    store.put(baseline('a', 2));
    const flushed = store.flush();
    await settle();
    // Two requests could be out, but the second carries 'a' again: it waits for the first.
    expect(client.waiting).toHaveLength(1);
    client.answer();
    await settle();
    expect(client.waiting).toHaveLength(1);
    client.answer();
    await flushed;
    expect((client.docs.get(baselineId('m', 'k', 'a')) as { state: { value: number } }).state.value).toBe(2);
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

describe('the baseline store with a cache', () => {
  const value = (client: ReturnType<typeof slowClient>, key: string) => (client.docs.get(baselineId('m', 'k', key)) as { state: { value: number } } | undefined)?.state.value;

  it('writes a baseline changed in many windows once, at commit, as it was last changed, and reads it from memory meanwhile', async () => {
    const client = slowClient();
    const store = new BaselineStore(client as never, 'baselines', { cacheBytes: 2 ** 20 });
    for (let window = 1; window <= 5; window++) {
      const known = await store.getMany<{ value: number }>('m', 'k', ['a', 'b']);
      for (const key of ['a', 'b']) store.put(baseline(key, (known.get(key)?.state.value ?? 0) + window));
      await store.spill();
      await store.flush();
    }
    // Only the first window asked Elasticsearch; nothing is written before the commit.
    expect(client.requests).toEqual({ mget: 1, bulk: 0 });
    expect(store.stats.cached).toBe(8);
    expect(store.pending).toBe(2);
    const committed = store.commit();
    await settle();
    expect(client.waiting).toHaveLength(1);
    client.answer();
    await committed;
    expect([value(client, 'a'), value(client, 'b')]).toEqual([15, 15]);
    expect(store.stats.written).toBe(2);
    expect(store.pending).toBe(0);
  });

  it('when full, writes the least recently used baselines and gives them up once written; the others stay changed in memory', async () => {
    const client = slowClient();
    const probe = new BaselineStore(client as never, 'baselines', { cacheBytes: 2 ** 20 });
    probe.put(baseline('a', 1));
    const one = probe.heldBytes;
    // Room for four baselines and a bit.
    const store = new BaselineStore(client as never, 'baselines', { cacheBytes: 4 * one + 10 });
    for (const key of ['a', 'b', 'c', 'd']) store.put(baseline(key, 1));
    await store.spill();
    expect(client.requests.bulk).toBe(0);
    // 'a' read again is used more recently than 'b'.
    expect((await store.get<{ value: number }>('m', 'k', 'a'))?.state.value).toBe(1);
    for (const key of ['e', 'f']) store.put(baseline(key, 2));
    await store.spill();
    // Six over a room of four: down to three, the three least recently used are sent, and readable while they are.
    expect(client.requests.bulk).toBe(1);
    expect(store.pending).toBe(3);
    expect((await store.get<{ value: number }>('m', 'k', 'b'))?.state.value).toBe(1);
    client.answer();
    await settle();
    expect([...client.docs.keys()].sort()).toEqual(['b', 'c', 'd'].map((k) => baselineId('m', 'k', k)));
    expect(store.heldBytes).toBe(3 * one);
    // Given up: read from Elasticsearch; kept: read from memory.
    const mgets = client.requests.mget;
    expect((await store.get<{ value: number }>('m', 'k', 'c'))?.state.value).toBe(1);
    expect(client.requests.mget).toBe(mgets + 1);
    expect((await store.get<{ value: number }>('m', 'k', 'a'))?.state.value).toBe(1);
    expect((await store.get<{ value: number }>('m', 'k', 'f'))?.state.value).toBe(2);
    expect(client.requests.mget).toBe(mgets + 1);
  });

  it('freezes a baseline put and every baseline read, so that the one kept cannot be changed behind its back', async () => {
    const client = slowClient();
    const store = new BaselineStore(client as never, 'baselines', { cacheBytes: 2 ** 20 });
    const b = { ...baseline('a', 1), state: { value: 1, seen: [{ at: T }] } };
    store.put(b);
    expect(() => {
      b.state.value = 99;
    }).toThrow(TypeError);
    expect(() => b.state.seen.push({ at: T + 1 })).toThrow(TypeError);
    expect(() => {
      b.state.seen[0].at = 0;
    }).toThrow(TypeError);
    const read = await store.get<{ value: number; seen: Array<{ at: number }> }>('m', 'k', 'a');
    expect(read?.state).toEqual({ value: 1, seen: [{ at: T }] });
    // A new version is made instead; the store then holds it.
    store.put({ ...read!, state: { ...read!.state, value: 2 } });
    expect((await store.get<{ value: number }>('m', 'k', 'a'))?.state.value).toBe(2);
    const committed = store.commit();
    await settle();
    client.answer();
    await committed;
    // Read from Elasticsearch, it is frozen as well.
    const fresh = new BaselineStore(client as never, 'baselines');
    const stored = await fresh.get<{ value: number }>('m', 'k', 'a');
    expect(stored?.state.value).toBe(2);
    expect(Object.isFrozen(stored) && Object.isFrozen(stored?.state)).toBe(true);
  });

  it('raises a refused write at commit', async () => {
    const client = slowClient();
    const store = new BaselineStore(client as never, 'baselines', { cacheBytes: 2 ** 20 });
    store.put(baseline('a', 1));
    await store.flush();
    const committed = store.commit();
    await settle();
    client.answer(false);
    await expect(committed).rejects.toThrow(/writing baselines failed.*refused/);
  });
});
