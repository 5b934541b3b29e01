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
  return datedIndex(`${INDEX_PREFIX}-zeek`, isoTimestamp, rollover);
}

/** Read alias over the mail event indices: one document per mail log line. */
export const MAIL_EVENTS_ALIAS = `${INDEX_PREFIX}-mail-events`;
export const MAIL_EVENTS_PATTERN = `${INDEX_PREFIX}-mail-events-*`;
/** Read alias over the mail message indices: one document per message, rebuilt from its lines. */
export const MAIL_MESSAGES_ALIAS = `${INDEX_PREFIX}-mail-messages`;
export const MAIL_MESSAGES_PATTERN = `${INDEX_PREFIX}-mail-messages-*`;

/** `vigil-mail-events-2026.11.24`: the index of a mail line's event, from its ISO8601 timestamp. */
export function mailEventsIndex(isoTimestamp: string, rollover: IndexRollover): string {
  return datedIndex(MAIL_EVENTS_ALIAS, isoTimestamp, rollover);
}

/** `vigil-mail-messages-2026.11.24`: the index of a message document, from the time of its first line. */
export function mailMessagesIndex(isoTimestamp: string, rollover: IndexRollover): string {
  return datedIndex(MAIL_MESSAGES_ALIAS, isoTimestamp, rollover);
}

/** `<prefix>-2026.11.24` (daily) or `<prefix>-2026.11` (monthly), from an ISO8601 timestamp. */
export function datedIndex(prefix: string, isoTimestamp: string, rollover: IndexRollover): string {
  const y = isoTimestamp.slice(0, 4);
  const m = isoTimestamp.slice(5, 7);
  if (rollover === 'monthly') return `${prefix}-${y}.${m}`;
  return `${prefix}-${y}.${m}.${isoTimestamp.slice(8, 10)}`;
}

/** Baselines: one document per model and entity (or pair), rewritten as the detector learns. */
export const BASELINES_INDEX = `${INDEX_PREFIX}-baselines`;
/** Anomalies: create-only evidence, one index per month of detection window, read through the alias. */
export const ANOMALIES_ALIAS = `${INDEX_PREFIX}-anomalies`;
export const ANOMALIES_PATTERN = `${INDEX_PREFIX}-anomalies-*`;
/** Incidents: anomalies grouped by shared entities; a document grows as anomalies join. */
export const INCIDENTS_INDEX = `${INDEX_PREFIX}-incidents`;
/** Triage decisions: append-only, hash-chained. */
export const EVALUATIONS_INDEX = `${INDEX_PREFIX}-evaluations`;
/** The detector's own progress (watermark per partition) and its pass leases. */
export const DETECTOR_STATE_INDEX = `${INDEX_PREFIX}-detector-state`;

/** `vigil-anomalies-2026.11`: anomalies by month of their window's start. */
export function anomaliesIndex(isoTimestamp: string): string {
  return datedIndex(ANOMALIES_ALIAS, isoTimestamp, 'monthly');
}

/** Asset inventory: one document per device (id: its IP), rewritten by `vigil assets` when what is known changes. */
export const ASSETS_INDEX = `${INDEX_PREFIX}-assets`;
/** Observed conduits: one document per pair of zones, with the protocols and volume that crossed between them. */
export const CONDUITS_INDEX = `${INDEX_PREFIX}-conduits`;
