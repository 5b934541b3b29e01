/**
 * `@timestamp` of a Zeek event: its `ts`, when that is a time events can be filed under. Index names carry the
 * event's day with a four-digit year, so only the years 1970 to 9999 are usable; a `ts` outside them (Zeek's test
 * suite writes negative ones), a masked one (`XXXXXXXXXX.XXXXXX`, which the parser leaves absent) or none at all
 * gives the context's fallback time, and the document says so with a tag.
 */
import type { NormalizeContext } from './context';
import { isoFromEpoch } from './values';

export const TS_FALLBACK_TAG = 'vigil_ts_fallback';

/** The ISO time of a usable `ts`, else undefined. */
export function eventTime(ts: unknown): string | undefined {
  return typeof ts === 'number' ? isoFromEpoch(ts, 0) : undefined;
}

// The fallback is the same for every record of a file: its ISO form is kept rather than rebuilt per record.
let lastFallbackTs = Number.NaN;
let lastFallbackIso = '';

/**
 * The context's fallback time as ISO 8601. Should that be unusable too, the ingestion time stands in: a document
 * must have a time to be filed under.
 */
export function fallbackTime(ctx: NormalizeContext): string {
  if (ctx.fallbackTs === lastFallbackTs) return lastFallbackIso;
  const iso = isoFromEpoch(ctx.fallbackTs, 0);
  if (iso === undefined) return ctx.ingested;
  lastFallbackTs = ctx.fallbackTs;
  lastFallbackIso = iso;
  return iso;
}
