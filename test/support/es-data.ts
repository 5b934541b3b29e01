import type { Client } from '@elastic/elasticsearch';
import { DEAD_LETTER_INDEX, ZEEK_EVENTS_ALIAS, ZEEK_EVENTS_PATTERN } from '../../common/es/names';

/** Deletes Vigil's event and dead-letter indices by name (wildcard deletes are refused by default). */
export async function resetVigilData(client: Client): Promise<void> {
  const indices = Object.keys(await client.indices.get({ index: [ZEEK_EVENTS_PATTERN, DEAD_LETTER_INDEX], allow_no_indices: true, ignore_unavailable: true }));
  if (indices.length) await client.indices.delete({ index: indices });
}

export async function refresh(client: Client): Promise<void> {
  // A day's index created a moment ago may not have its shard started yet: counting it then fails.
  await client.cluster.health({ index: [ZEEK_EVENTS_PATTERN, DEAD_LETTER_INDEX], wait_for_status: 'yellow', timeout: '30s' });
  await client.indices.refresh({ index: [ZEEK_EVENTS_PATTERN, DEAD_LETTER_INDEX], allow_no_indices: true, ignore_unavailable: true });
}

export async function countEvents(client: Client): Promise<number> {
  await refresh(client);
  return (await client.count({ index: ZEEK_EVENTS_ALIAS, ignore_unavailable: true, allow_no_indices: true })).count;
}

export async function countDeadLetters(client: Client): Promise<number> {
  await refresh(client);
  return (await client.count({ index: DEAD_LETTER_INDEX, ignore_unavailable: true, allow_no_indices: true })).count;
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
