import { createHash } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { BASELINES_INDEX } from '../../common/es/names';

/**
 * Baselines are documents in Elasticsearch, one per model, kind and key (a device, a pair, a sender...). The store
 * reads the ones a page of aggregation buckets needs with one `mget`, keeps changed ones until they are written, and
 * writes them with one bulk `index` request. A model calls `spill` after each page: the changes are sent while it
 * reads and judges the next page, at most `MAX_WRITES_IN_FLIGHT` requests at a time, and stay readable from the store
 * until Elasticsearch has them (its `mget` is real-time, so a written baseline is read back as written). `flush`
 * waits until every change is written. The store holds at most the baselines of the pages not yet written, so
 * memory does not grow with the number of entities.
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
  return {
    ...ref,
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
  read: number;
  written: number;
  requests: number;
}

/** Bulk requests of baselines sent and not yet answered, at most. */
const MAX_WRITES_IN_FLIGHT = 2;
/** Ids per `mget` request. */
const MGET_CHUNK = 2000;

export class BaselineStore {
  private dirty = new Map<string, Baseline>();
  /** Baselines sent in requests not yet answered, newest request last. */
  private readonly sending: Array<{ docs: Map<string, Baseline>; done: Promise<void> }> = [];
  private failure: Error | undefined;
  readonly stats: BaselineStoreStats = { read: 0, written: 0, requests: 0 };

  constructor(
    private readonly client: Client,
    private readonly index = BASELINES_INDEX,
  ) {}

  /** The baselines of these keys that exist, by key. Changes not yet written are returned as they are now. */
  async getMany<S>(model: string, kind: string, keys: Iterable<string>): Promise<Map<string, Baseline<S>>> {
    const out = new Map<string, Baseline<S>>();
    const wanted: string[] = [];
    const ids: string[] = [];
    for (const key of keys) {
      const id = baselineId(model, kind, key);
      const pending = this.unwritten(id);
      if (pending) out.set(key, pending as Baseline<S>);
      else {
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
          out.set(wanted[i + j], fromStored(doc._source));
        }
      });
    }
    return out;
  }

  async get<S>(model: string, kind: string, key: string): Promise<Baseline<S> | undefined> {
    return (await this.getMany<S>(model, kind, [key])).get(key);
  }

  put(baseline: Baseline): void {
    this.dirty.set(baselineId(baseline.model, baseline.kind, baseline.key), baseline);
  }

  /** Changed baselines not yet sent. */
  get pending(): number {
    return this.dirty.size;
  }

  /**
   * Sends the changed baselines without waiting for Elasticsearch's answer, unless `MAX_WRITES_IN_FLIGHT` requests
   * are already out: then it waits for the oldest. A refused write is raised here or by `flush`.
   */
  async spill(now = Date.now()): Promise<void> {
    this.raise();
    if (this.dirty.size > 0) {
      const docs = this.dirty;
      this.dirty = new Map();
      const entry = { docs, done: Promise.resolve() };
      entry.done = this.write(docs, now).then(
        () => {
          this.sending.splice(this.sending.indexOf(entry), 1);
        },
        (err: Error) => {
          this.failure ??= err;
        },
      );
      this.sending.push(entry);
    }
    while (this.sending.length > MAX_WRITES_IN_FLIGHT && !this.failure) await this.sending[0].done;
    this.raise();
  }

  /** Writes every changed baseline and waits for all writes; refused documents are an error, since a lost baseline would re-alert. */
  async flush(now = Date.now()): Promise<void> {
    await this.spill(now);
    while (this.sending.length > 0 && !this.failure) await this.sending[0].done;
    this.raise();
  }

  /** The newest unwritten version of a baseline: changed and not sent, or sent and not yet answered. */
  private unwritten(id: string): Baseline | undefined {
    const changed = this.dirty.get(id);
    if (changed) return changed;
    for (let i = this.sending.length - 1; i >= 0; i--) {
      const sent = this.sending[i].docs.get(id);
      if (sent) return sent;
    }
    return undefined;
  }

  private async write(docs: Map<string, Baseline>, now: number): Promise<void> {
    const operations: unknown[] = [];
    for (const [id, b] of docs) operations.push({ index: { _index: this.index, _id: id } }, toStored(b, now));
    this.stats.requests++;
    const response = await this.client.bulk({ operations, refresh: false });
    if (response.errors) {
      const failed = response.items.find((item) => item.index?.error);
      throw new Error(`writing baselines failed: ${JSON.stringify(failed?.index?.error)}`);
    }
    this.stats.written += docs.size;
  }

  private raise(): void {
    if (this.failure) throw this.failure;
  }
}

function toStored<S>(b: Baseline<S>, now: number): StoredBaseline<S> {
  return {
    ...b,
    first_seen: new Date(b.first_seen).toISOString(),
    last_seen: new Date(b.last_seen).toISOString(),
    updated: new Date(now).toISOString(),
    window: b.window !== undefined ? new Date(b.window).toISOString() : undefined,
  };
}

function fromStored<S>(s: StoredBaseline<S>): Baseline<S> {
  return {
    ...s,
    first_seen: Date.parse(s.first_seen),
    last_seen: Date.parse(s.last_seen),
    updated: Date.parse(s.updated),
    window: s.window !== undefined ? Date.parse(s.window) : undefined,
  };
}
