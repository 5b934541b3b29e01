import { createHash } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { BASELINES_INDEX } from '../../common/es/names';

/**
 * Baselines are documents in Elasticsearch, one per model, kind and key (a device, a pair, a sender...). The store
 * reads the ones a page of aggregation buckets needs with one `mget` and keeps changed ones until they are written
 * with bulk `index` requests. A model calls `spill` after each page and `flush` when it is done: the changes are sent
 * while it reads and judges the next page, at most `MAX_WRITES_IN_FLIGHT` requests at a time, and stay readable from
 * the store until Elasticsearch has them (its `mget` is real-time, so a written baseline is read back as written).
 *
 * With a cache (`cacheBytes`), the store also keeps changed baselines across models and windows, up to that many
 * bytes: a device or pair active in every window of a pass is then written once per checkpoint instead of once per
 * window, and read from memory instead of with `mget`. `spill` and `flush` write only when the cache is full, and
 * `commit` writes everything; the pass commits before it moves its watermark. A crash between checkpoints loses
 * nothing: the windows after the watermark are run again, and a baseline already written with one of them is not
 * counted twice (`alreadyLearned`). Memory is bounded by `cacheBytes`, whatever the number of entities.
 *
 * Baselines are values: `put` freezes the one it is given, and every baseline read is frozen, so the store keeps and
 * hands out the objects themselves instead of copies. A model changes a baseline by making a new one
 * (`learnedBaseline`, spreads); changing a frozen one throws. A baseline is serialized once, when it is written.
 */
export interface Baseline<S = unknown> {
  model: string;
  kind: string;
  entity: { type: string; id: string };
  key: string;
  partition?: number;
  status?: string;
  first_seen: number;
  last_seen: number;
  updated?: number;
  /** Start of the last window folded in: a window re-run after a crash is not counted twice. */
  window?: number;
  observations: number;
  state: S;
}

interface StoredBaseline<S> extends Omit<Baseline<S>, 'first_seen' | 'last_seen' | 'updated' | 'window'> {
  first_seen: string;
  last_seen: string;
  updated: string;
  window?: string;
}

/** Whether this window was already folded into the baseline (a window re-run after a crash). */
export function alreadyLearned(b: Baseline | undefined, windowStart: number): boolean {
  return b?.window !== undefined && b.window >= windowStart;
}

/** What names a baseline: its model, kind and key, and the entity it describes. */
export type BaselineRef = Pick<Baseline, 'model' | 'kind' | 'entity' | 'key'>;

/** How a window's baseline differs from the usual one: see `learnedBaseline`. */
export interface LearnedOptions {
  /** The entity's last event; the window's end by default. */
  lastSeen?: number;
  /** `known` by default. */
  status?: string;
  /** Whether the window counts as one more observation (by default it does). */
  observed?: boolean;
}

/**
 * A baseline with this window folded in: first seen as before (at `first` when new), seen until the window's end,
 * one more observation, and marked with the window so that a re-run does not count it twice (`alreadyLearned`).
 */
export function learnedBaseline<S>(
  at: { window: { start: number; end: number }; partition: { index: number } },
  ref: BaselineRef,
  base: Baseline<unknown> | undefined,
  first: number,
  state: S,
  options: LearnedOptions = {},
): Baseline<S> {
  // Fields named one by one: spreading objects of many shapes is many times slower, and this runs for every change.
  return {
    model: ref.model,
    kind: ref.kind,
    entity: ref.entity,
    key: ref.key,
    partition: at.partition.index,
    status: options.status ?? 'known',
    first_seen: base?.first_seen ?? first,
    last_seen: options.lastSeen ?? at.window.end,
    window: at.window.start,
    observations: (base?.observations ?? 0) + (options.observed === false ? 0 : 1),
    state,
  };
}

export function baselineId(model: string, kind: string, key: string): string {
  const id = `${model}:${kind}:${key}`;
  // Elasticsearch ids are limited to 512 bytes; long keys (URLs, subjects) are hashed.
  return Buffer.byteLength(id) <= 256 ? id : `${model}:${kind}:sha256:${createHash('sha256').update(key).digest('base64url')}`;
}

export interface BaselineStoreStats {
  /** Baselines read from Elasticsearch. */
  read: number;
  /** Baselines read from the cache instead. */
  cached: number;
  written: number;
  requests: number;
}

export interface BaselineStoreOptions {
  /** Bytes of baselines (as estimated by `frozenBytes`) kept in memory across models and windows; 0 (the default) writes at each `flush`. */
  cacheBytes?: number;
}

/** Bulk requests of baselines sent and not yet answered, at most. */
const MAX_WRITES_IN_FLIGHT = 2;
/** Ids per `mget` request. */
const MGET_CHUNK = 2000;
/** Baselines per bulk request, at most, and bytes of them (as `frozenBytes` estimates them). */
const BULK_DOCS = 5000;
const BULK_BYTES = 8 * 2 ** 20;
/** What a cached baseline costs beyond its object and its id's characters: the map entry, its record and the id's header. */
const ENTRY_OVERHEAD = 128;
/** Share of `cacheBytes` a full cache is brought down to: room for the next pages, so that it does not write a few baselines at every page. */
const EVICT_TO = 0.75;

interface Entry {
  /** The baseline, frozen. */
  baseline: Baseline;
  /** When it was changed: its `updated` once written. */
  changed: number;
  /** Changed and not sent, sent and not yet answered, or as Elasticsearch has it. */
  state: 'dirty' | 'sending' | 'clean';
  bytes: number;
  /** Sent to make room: given up once written. */
  leaves?: boolean;
  /** The request that carries it, once sent. */
  written?: Promise<void>;
  /**
   * The request carrying an older version of it, still out when it was changed again: it is sent after that one is
   * answered, since two requests out at once may be applied in either order.
   */
  after?: Promise<void>;
}

export class BaselineStore {
  /** Baselines changed in this pass, least recently used first. */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private dirty = 0;
  /** Bulk requests sent and not yet answered, oldest first. */
  private readonly sending: Array<Promise<void>> = [];
  private failure: Error | undefined;
  private readonly cacheBytes: number;
  readonly stats: BaselineStoreStats = { read: 0, cached: 0, written: 0, requests: 0 };

  constructor(
    private readonly client: Client,
    private readonly index = BASELINES_INDEX,
    options: BaselineStoreOptions = {},
  ) {
    this.cacheBytes = options.cacheBytes ?? 0;
  }

  /** The baselines of these keys that exist, by key. Changes not yet written are returned as they are now. */
  async getMany<S>(model: string, kind: string, keys: Iterable<string>): Promise<Map<string, Baseline<S>>> {
    const out = new Map<string, Baseline<S>>();
    const wanted: string[] = [];
    const ids: string[] = [];
    for (const key of keys) {
      const id = baselineId(model, kind, key);
      const entry = this.entries.get(id);
      if (entry) {
        // Most recently used last: the cache gives up the baselines nobody asked for in longest.
        this.entries.delete(id);
        this.entries.set(id, entry);
        this.stats.cached++;
        out.set(key, entry.baseline as Baseline<S>);
      } else {
        wanted.push(key);
        ids.push(id);
      }
    }
    for (let i = 0; i < wanted.length; i += MGET_CHUNK) {
      this.stats.requests++;
      const response = await this.client.mget<StoredBaseline<S>>({ index: this.index, ids: ids.slice(i, i + MGET_CHUNK) });
      response.docs.forEach((doc, j) => {
        if ('found' in doc && doc.found && doc._source) {
          this.stats.read++;
          const baseline = fromStored(doc._source);
          // Frozen like the ones the store keeps, so that a model that changes a baseline in place fails either way.
          frozenBytes(baseline);
          out.set(wanted[i + j], baseline);
        }
      });
    }
    return out;
  }

  async get<S>(model: string, kind: string, key: string): Promise<Baseline<S> | undefined> {
    return (await this.getMany<S>(model, kind, [key])).get(key);
  }

  /** Keeps a changed baseline until it is written. It is frozen: changing it afterwards throws. */
  put(baseline: Baseline, now = Date.now()): void {
    const id = baselineId(baseline.model, baseline.kind, baseline.key);
    const bytes = frozenBytes(baseline) + id.length + ENTRY_OVERHEAD;
    const old = this.entries.get(id);
    const after = old?.state === 'sending' ? old.written : old?.after;
    this.forget(id);
    const entry: Entry = { baseline, changed: now, state: 'dirty', bytes, after };
    this.entries.set(id, entry);
    this.bytes += entry.bytes;
    this.dirty++;
  }

  /** Changed baselines not yet sent. */
  get pending(): number {
    return this.dirty;
  }

  /** Bytes the store holds: changed baselines, and written ones kept as a cache. */
  get heldBytes(): number {
    return this.bytes;
  }

  /**
   * Sends the changed baselines without waiting for Elasticsearch's answer, unless `MAX_WRITES_IN_FLIGHT` requests
   * are already out: then it waits for the oldest. With a cache, only when the cache is full, and then only the least
   * recently used ones: see `send`. A refused write is raised here, or by `flush` or `commit`.
   */
  async spill(): Promise<void> {
    this.raise();
    if (this.cacheBytes === 0) await this.send();
    else if (this.bytes > this.cacheBytes) await this.send(this.bytes - this.cacheBytes * EVICT_TO);
  }

  /** Writes every changed baseline and waits for all writes; with a cache, only what `spill` writes. */
  async flush(): Promise<void> {
    if (this.cacheBytes > 0) return this.spill();
    return this.commit();
  }

  /** Writes every changed baseline and waits for all writes; refused documents are an error, since a lost baseline would re-alert. */
  async commit(): Promise<void> {
    this.raise();
    await this.send();
    while (this.sending.length > 0 && !this.failure) await this.sending[0];
    this.raise();
  }

  /**
   * Sends changed baselines, in requests of at most `BULK_DOCS` and `BULK_BYTES`: every one, or, to make `room`
   * bytes, the least recently used ones. These are given up once written, as are written ones in their way: a
   * device or pair changed in every window stays, a baseline changed once (a new edge) leaves.
   */
  private async send(room?: number): Promise<void> {
    let batch: Array<[string, Entry]> = [];
    let size = 0;
    for (const [id, entry] of this.entries) {
      if (room !== undefined) {
        if (room <= 0) break;
        room -= entry.bytes;
        if (entry.state === 'clean') {
          this.forget(id);
          continue;
        }
        entry.leaves = true;
      }
      if (entry.state !== 'dirty') continue;
      entry.state = 'sending';
      this.dirty--;
      batch.push([id, entry]);
      size += entry.bytes;
      if (batch.length >= BULK_DOCS || size >= BULK_BYTES) {
        await this.sendBatch(batch);
        batch = [];
        size = 0;
      }
    }
    if (batch.length > 0) await this.sendBatch(batch);
  }

  private async sendBatch(batch: Array<[string, Entry]>): Promise<void> {
    const earlier = new Set<Promise<void>>();
    for (const [, entry] of batch) if (entry.after) earlier.add(entry.after);
    // The requests waited for never fail: their failure is kept in `failure`.
    const done: Promise<void> = Promise.all(earlier)
      .then(() => this.write(batch))
      .then(
        () => {
          this.sending.splice(this.sending.indexOf(done), 1);
          for (const [id, entry] of batch) {
            // A baseline changed again while it was sent stays changed.
            if (this.entries.get(id) !== entry) continue;
            entry.state = 'clean';
            if (this.cacheBytes === 0 || entry.leaves) this.forget(id);
          }
        },
        (err: Error) => {
          this.failure ??= err;
        },
      );
    for (const [, entry] of batch) {
      entry.written = done;
      entry.after = undefined;
    }
    this.sending.push(done);
    while (this.sending.length > MAX_WRITES_IN_FLIGHT && !this.failure) await this.sending[0];
    this.raise();
  }

  private async write(batch: Array<[string, Entry]>): Promise<void> {
    const operations: string[] = [];
    for (const [id, entry] of batch) operations.push(JSON.stringify({ index: { _index: this.index, _id: id } }), JSON.stringify(toStored(entry.baseline, entry.changed)));
    this.stats.requests++;
    const response = await this.client.bulk({ operations, refresh: false });
    if (response.errors) {
      const failed = response.items.find((item) => item.index?.error);
      throw new Error(`writing baselines failed: ${JSON.stringify(failed?.index?.error)}`);
    }
    this.stats.written += batch.length;
  }

  private forget(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.bytes -= entry.bytes;
    if (entry.state === 'dirty') this.dirty--;
  }

  private raise(): void {
    if (this.failure) throw this.failure;
  }
}

/** The document of a baseline, its times as dates; fields named one by one, as in `learnedBaseline`. */
function toStored<S>(b: Baseline<S>, now: number): StoredBaseline<S> {
  return {
    model: b.model,
    kind: b.kind,
    entity: b.entity,
    key: b.key,
    partition: b.partition,
    status: b.status,
    first_seen: new Date(b.first_seen).toISOString(),
    last_seen: new Date(b.last_seen).toISOString(),
    updated: new Date(now).toISOString(),
    window: b.window !== undefined ? new Date(b.window).toISOString() : undefined,
    observations: b.observations,
    state: b.state,
  };
}

function fromStored<S>(s: StoredBaseline<S>): Baseline<S> {
  return {
    model: s.model,
    kind: s.kind,
    entity: s.entity,
    key: s.key,
    partition: s.partition,
    status: s.status,
    first_seen: Date.parse(s.first_seen),
    last_seen: Date.parse(s.last_seen),
    updated: Date.parse(s.updated),
    window: s.window !== undefined ? Date.parse(s.window) : undefined,
    observations: s.observations,
    state: s.state,
  };
}

/**
 * Freezes a baseline, and every object and array in it, and estimates the memory V8 gives it: a header per object
 * and array, a slot per property or element, a box for each number (unless its array holds only numbers), the
 * characters of strings, and for objects with many properties (kept as dictionaries) the keys and a larger entry.
 * On the baselines of the benchmark's day of conn events, every model's together, it came to 96 % of the heap they
 * took. Parts already frozen (shared with an earlier version of the baseline) are counted again.
 */
export function frozenBytes(value: unknown): number {
  if (typeof value === 'string') return 24 + value.length;
  // A number property is boxed as soon as one object of its shape holds a fraction, which is the rule in baselines.
  if (typeof value === 'number') return 16;
  if (typeof value !== 'object' || value === null) return 0;
  let bytes: number;
  if (Array.isArray(value)) {
    bytes = 48 + 8 * value.length;
    // An array of numbers only keeps them unboxed.
    if (!value.every((item) => typeof item === 'number')) for (const item of value) bytes += frozenBytes(item);
  } else {
    // Baselines are plain data: every enumerable property is their own. `for...in` lists them without an array.
    let count = 0;
    for (const _ in value) count++;
    const dictionary = count > 20;
    bytes = 24;
    for (const key in value) bytes += (dictionary ? 48 + key.length : 8) + frozenBytes((value as Record<string, unknown>)[key]);
  }
  Object.freeze(value);
  return bytes;
}
