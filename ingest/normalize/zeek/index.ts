/**
 * Zeek record -> ECS document. Every log path gets the common fields (time, event, observer, source, destination,
 * network with direction and community ID, related), its own ECS fields from the mapper of its family, and the
 * original record, secrets redacted, under `zeek.<path>`. A path no mapper knows is indexed the same way with the
 * common fields only: nothing is dropped.
 *
 * Runs once per log line: documents are plain object literals, the original fields object is shared rather than
 * copied (it is copied only to redact a secret or add undeclared columns), and everything that depends on the
 * path alone is worked out once per path.
 */
import type { ZeekRecord, ZeekValue } from '../../parse/zeek/record';
import { redactZeekSecrets } from '../../enrich/redact';
import type { EcsDocument, NormalizeContext } from './context';
import { finishEndpoints, setEndpoints } from './endpoints';
import { mapperFor } from './logs';
import type { LogMapper } from './mapper';
import { eventTime, fallbackTime, TS_FALLBACK_TAG } from './timestamp';
import { nanoseconds, str } from './values';

export type { EcsDocument, NormalizeContext } from './context';

/** The ECS version the documents follow. */
export const ECS_VERSION = '8.11.0';
const ECS = Object.freeze({ version: ECS_VERSION });
const FALLBACK_TAGS = Object.freeze([TS_FALLBACK_TAG]);
const GENERIC: LogMapper = {};

interface PathEntry {
  /** Key of the originals under `zeek` and suffix of `event.dataset`. */
  key: string;
  dataset: string;
  mapper: LogMapper;
  kind: string;
}

/** Names under `zeek` that are not log paths. */
const RESERVED_KEYS = new Set(['session_id']);

/**
 * The name a log path is filed under. A dot would turn the key into an object path (`ssh.failure` would land
 * inside `ssh`), so anything but letters, digits, `_` and `-` becomes `_`.
 */
export function datasetKey(path: string): string {
  let key = /^[A-Za-z0-9_-]+$/.test(path) ? path : path.replace(/[^A-Za-z0-9_-]/g, '_');
  if (key.length === 0) key = 'unknown';
  return RESERVED_KEYS.has(key) ? `${key}_log` : key;
}

const entries = new Map<string, PathEntry>();
/** Paths come from log headers, so there are few; the bound only guards the cache against junk input. */
const MAX_CACHED_PATHS = 10_000;

function entryFor(path: string): PathEntry {
  let entry = entries.get(path);
  if (entry === undefined) {
    const key = datasetKey(path);
    const mapper = mapperFor(key) ?? GENERIC;
    entry = { key, dataset: `zeek.${key}`, mapper, kind: mapper.kind ?? 'event' };
    if (entries.size < MAX_CACHED_PATHS) entries.set(path, entry);
  }
  return entry;
}

/** The Zeek connection (or connections) an event belongs to: the key that joins it to its `conn` record. */
function sessionId(f: Readonly<Record<string, ZeekValue>>): ZeekValue | undefined {
  return f.uid ?? f.uids ?? f.conn_uids;
}

export function normalizeZeek(record: ZeekRecord, ctx: NormalizeContext): EcsDocument {
  const entry = entryFor(record.path);
  const mapper = entry.mapper;
  const f = record.fields;

  const time = eventTime(f.ts);
  const event: EcsDocument['event'] = { kind: entry.kind, module: 'zeek', dataset: entry.dataset };
  if (mapper.category !== undefined) event.category = mapper.category;
  if (mapper.type !== undefined) event.type = mapper.type;
  if (mapper.action !== undefined) {
    const action = str(f[mapper.action]);
    if (action !== undefined) event.action = action;
  }
  const duration = nanoseconds(f.duration);
  if (duration !== undefined) event.duration = duration;
  event.ingested = ctx.ingested;

  const doc: EcsDocument = { '@timestamp': time ?? fallbackTime(ctx), ecs: ECS, event };
  const observer = ctx.sensor ?? str(f._node_name);
  if (observer !== undefined) doc.observer = { name: observer };

  setEndpoints(f, doc, mapper);
  if (mapper.protocol !== undefined) {
    const network = (doc.network ??= {}) as Record<string, unknown>;
    network.protocol = mapper.protocol;
  }
  mapper.map?.(f, doc, ctx);
  finishEndpoints(doc, ctx);

  const redaction = redactZeekSecrets(record.path, f, record.types);
  let originals: Record<string, unknown> = redaction === undefined ? f : redaction.fields;
  if (record.extra !== undefined) {
    // Columns beyond the declared ones (site additions, labels) are kept, never dropped.
    if (originals === f) originals = { ...f };
    originals._extra = record.extra;
  }
  const zeek: Record<string, unknown> = {};
  const session = sessionId(f);
  if (session !== undefined) zeek.session_id = session;
  zeek[entry.key] = originals;
  doc.zeek = zeek;

  if (time === undefined) doc.tags = FALLBACK_TAGS;
  if (redaction !== undefined) {
    // `vigil` may already hold the endpoints' zone and role.
    const vigil = doc.vigil as Record<string, unknown> | undefined;
    if (vigil === undefined) doc.vigil = { redacted: redaction.redacted };
    else vigil.redacted = redaction.redacted;
  }
  return doc;
}
