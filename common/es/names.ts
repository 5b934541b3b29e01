/**
 * Index and alias names. Events go to one index per dataset family and day so that retention can drop whole
 * indices; readers use the aliases. The day comes from the event's own `@timestamp`, so a replayed event lands
 * in the same index with the same id and overwrites instead of duplicating.
 */
export const INDEX_PREFIX = 'vigil';

/** Read alias over every Zeek event index. */
export const ZEEK_EVENTS_ALIAS = `${INDEX_PREFIX}-zeek`;
/** Pattern matched by the Zeek index template. */
export const ZEEK_EVENTS_PATTERN = `${INDEX_PREFIX}-zeek-*`;
/** Dead-letter index: lines that could not be parsed and documents Elasticsearch rejected for good. */
export const DEAD_LETTER_INDEX = `${INDEX_PREFIX}-dead-letter`;

export type IndexRollover = 'daily' | 'monthly';

/** `vigil-zeek-2026.11.24` (daily) or `vigil-zeek-2026.11` (monthly), from an ISO8601 timestamp. */
export function zeekEventsIndex(isoTimestamp: string, rollover: IndexRollover): string {
  // ISO strings from Date#toISOString always start with YYYY-MM-DD; negative or 5-digit years are clamped
  // upstream by the normalizer's timestamp validation.
  const y = isoTimestamp.slice(0, 4);
  const m = isoTimestamp.slice(5, 7);
  if (rollover === 'monthly') return `${INDEX_PREFIX}-zeek-${y}.${m}`;
  return `${INDEX_PREFIX}-zeek-${y}.${m}.${isoTimestamp.slice(8, 10)}`;
}
