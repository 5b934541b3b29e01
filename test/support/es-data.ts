import type { Client } from '@elastic/elasticsearch';
import { DEAD_LETTER_INDEX, MAIL_EVENTS_PATTERN, MAIL_MESSAGES_PATTERN, ZEEK_EVENTS_ALIAS, ZEEK_EVENTS_PATTERN } from '../../common/es/names';

const ALL = [ZEEK_EVENTS_PATTERN, MAIL_EVENTS_PATTERN, MAIL_MESSAGES_PATTERN, DEAD_LETTER_INDEX];

/** Deletes Vigil's event and dead-letter indices by name (wildcard deletes are refused by default). */
export async function resetVigilData(client: Client): Promise<void> {
  const indices = Object.keys(await client.indices.get({ index: ALL, allow_no_indices: true, ignore_unavailable: true }));
  // Mail from many days makes many daily indices: a few dozen names per request keep the URL short.
  for (let i = 0; i < indices.length; i += 50) await client.indices.delete({ index: indices.slice(i, i + 50) });
}

export async function refresh(client: Client): Promise<void> {
  // A day's index created a moment ago may not have its shard started yet: counting it then fails.
  await client.cluster.health({ index: ALL, wait_for_status: 'yellow', timeout: '30s' });
  await client.indices.refresh({ index: ALL, allow_no_indices: true, ignore_unavailable: true });
}

/**
 * `read` after a refresh. A worker running beside the test may create a day's index between the wait for started
 * shards and the read; a read that meets such a shard is made again once it has started.
 */
export async function afterRefresh<T>(client: Client, read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    await refresh(client);
    try {
      return await read();
    } catch (err) {
      if (attempt >= 5 || !JSON.stringify((err as { meta?: { body?: unknown } }).meta?.body ?? '').includes('no_shard_available_action_exception')) throw err;
    }
  }
}

export async function countEvents(client: Client): Promise<number> {
  return afterRefresh(client, async () => (await client.count({ index: ZEEK_EVENTS_ALIAS, ignore_unavailable: true, allow_no_indices: true })).count);
}

export async function countDeadLetters(client: Client): Promise<number> {
  return afterRefresh(client, async () => (await client.count({ index: DEAD_LETTER_INDEX, ignore_unavailable: true, allow_no_indices: true })).count);
}

/** Documents per `log.file.path` in events and dead letters together. */
export async function countByFile(client: Client): Promise<Map<string, { events: number; deadLetters: number }>> {
  await refresh(client);
  const out = new Map<string, { events: number; deadLetters: number }>();
  for (const [index, slot] of [[ZEEK_EVENTS_ALIAS, 'events'], [DEAD_LETTER_INDEX, 'deadLetters']] as const) {
    let after: Record<string, string | number | null> | undefined;
    for (;;) {
      const res = await client.search({
        index,
        size: 0,
        ignore_unavailable: true,
        aggs: { files: { composite: { size: 1000, sources: [{ path: { terms: { field: 'log.file.path' } } }], ...(after ? { after } : {}) } } },
      });
      const agg = res.aggregations?.files as { buckets: Array<{ key: { path: string }; doc_count: number }>; after_key?: Record<string, string> } | undefined;
      if (!agg || agg.buckets.length === 0) break;
      for (const b of agg.buckets) {
        const entry = out.get(b.key.path) ?? { events: 0, deadLetters: 0 };
        entry[slot] += b.doc_count;
        out.set(b.key.path, entry);
      }
      after = agg.after_key;
      if (!after) break;
    }
  }
  return out;
}
