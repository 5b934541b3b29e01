import type { Client } from '@elastic/elasticsearch';
import { MAIL_MESSAGES_PATTERN } from '../../../common/es/names';
import { fromDocument, type Message } from './message';

/**
 * The messages a previous run left open, and those it closed within `recentMs` of log time before its last line,
 * read back from Elasticsearch so that a restarted worker folds their remaining lines into them (the lines after
 * its last checkpoint are read again, and may belong to a message closed meanwhile). Only this sensor's
 * messages: several workers may share the cluster. The documents were written before the offsets of their lines
 * were committed, so they hold at least what the checkpoint says was read; lines read again are recognised by
 * their event ids and not folded twice.
 */
/**
 * The index pattern, not the alias: the ingest role is granted the indices, and a name it holds no privilege on
 * (the alias) would be skipped in silence by `ignore_unavailable`.
 */
const INDICES = MAIL_MESSAGES_PATTERN;

export async function* openMessages(client: Client, sensor: string | undefined, recentMs: number, pageSize = 1000): AsyncGenerator<Message> {
  // Messages refresh every second; a worker restarted at once must still see the last ones written.
  await client.indices.refresh({ index: INDICES, ignore_unavailable: true, allow_no_indices: true }, { ignore: [404] });
  const filter: Array<Record<string, unknown>> = [];
  const mustNot: Array<Record<string, unknown>> = [];
  if (sensor) filter.push({ term: { 'observer.name': sensor } });
  else mustNot.push({ exists: { field: 'observer.name' } });
  const latest = await client.search(
    { index: INDICES, ignore_unavailable: true, allow_no_indices: true, size: 0, query: { bool: { filter, must_not: mustNot } }, aggs: { last: { max: { field: 'vigil.mail.last_seen' } } } },
    { ignore: [404] },
  );
  const last = (latest.aggregations?.last as { value: number | null } | undefined)?.value;
  if (last === null || last === undefined) return;
  filter.push({
    bool: {
      should: [{ terms: { 'vigil.mail.state': ['open', 'expired'] } }, { range: { 'vigil.mail.last_seen': { gte: new Date(last - recentMs).toISOString() } } }],
      minimum_should_match: 1,
    },
  });
  let after: Array<string | number> | undefined;
  for (;;) {
    const page = await client.search<Record<string, unknown>>(
      {
        index: INDICES,
        ignore_unavailable: true,
        allow_no_indices: true,
        size: pageSize,
        query: { bool: { filter, must_not: mustNot } },
        sort: [{ 'vigil.mail.key': 'asc' }],
        ...(after ? { search_after: after } : {}),
      },
      { ignore: [404] },
    );
    const hits = page.hits?.hits ?? [];
    for (const hit of hits) {
      const m = hit._id && hit._source ? fromDocument(hit._id, hit._source) : undefined;
      if (m) yield m;
    }
    if (hits.length < pageSize) return;
    after = hits[hits.length - 1].sort as Array<string | number>;
  }
}
