import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { DETECTOR_STATE_INDEX } from '../common/es/names';
import { PassRunningError } from '../common/errors';
import type { Partition } from './partition';

interface LeaseDoc {
  kind: 'lease';
  partition: { index: number; count: number };
  holder: string;
  until: string;
  updated: string;
}

interface WatermarkDoc {
  kind: 'watermark';
  partition: { index: number; count: number };
  watermark: string;
  passes: number;
  updated: string;
  last_summary?: Record<string, unknown>;
}

/**
 * Where a partition's detection stands, kept in Elasticsearch so that a restarted detector, or one on another
 * machine, continues where the last stopped. The lease keeps two passes of one partition from running at once,
 * across processes: it is taken with optimistic concurrency (`if_seq_no`) and lapses by itself if its holder dies.
 */
export class DetectorState {
  readonly holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly client: Client,
    private readonly partition: Partition,
    private readonly leaseMs = 10 * 60_000,
    /** What the lease guards, for messages. */
    private readonly what = `detection pass of partition ${partition.name}`,
  ) {}

  private get leaseId(): string {
    return `lease-${this.partition.name}`;
  }

  private get watermarkId(): string {
    return `watermark-${this.partition.name}`;
  }

  async acquire(now = Date.now()): Promise<void> {
    const current = await this.client.get<LeaseDoc>({ index: DETECTOR_STATE_INDEX, id: this.leaseId }, { ignore: [404] });
    const doc: LeaseDoc = {
      kind: 'lease',
      partition: { index: this.partition.index, count: this.partition.count },
      holder: this.holder,
      until: new Date(now + this.leaseMs).toISOString(),
      updated: new Date(now).toISOString(),
    };
    try {
      if (current.found && current._source) {
        if (Date.parse(current._source.until) > now && current._source.holder !== this.holder) {
          throw new PassRunningError(`another ${this.what} is running (${current._source.holder}, lease until ${current._source.until})`, {
            holder: current._source.holder,
          });
        }
        await this.client.index({ index: DETECTOR_STATE_INDEX, id: this.leaseId, document: doc, if_seq_no: current._seq_no!, if_primary_term: current._primary_term!, refresh: true });
      } else {
        await this.client.create({ index: DETECTOR_STATE_INDEX, id: this.leaseId, document: doc, refresh: true });
      }
    } catch (err) {
      if ((err as { meta?: { statusCode?: number } }).meta?.statusCode === 409) {
        throw new PassRunningError(`another ${this.what} took the lease first`);
      }
      throw err;
    }
  }

  /** Extends the lease; a pass calls it after each window. */
  async renew(now = Date.now()): Promise<void> {
    await this.client.update({
      index: DETECTOR_STATE_INDEX,
      id: this.leaseId,
      doc: { until: new Date(now + this.leaseMs).toISOString(), updated: new Date(now).toISOString() },
    });
  }

  async release(now = Date.now()): Promise<void> {
    await this.client.update(
      { index: DETECTOR_STATE_INDEX, id: this.leaseId, doc: { until: new Date(now).toISOString(), updated: new Date(now).toISOString() }, refresh: true },
      { ignore: [404] },
    );
  }

  /**
   * The watermark, and when it was last saved (`updated`): the end of the last pass, or its last checkpoint if it
   * stopped before its end. Events that arrived after that with times before the watermark were not looked at.
   */
  async watermark(): Promise<{ watermark?: number; passes: number; updated?: number; summary?: Record<string, unknown> }> {
    const r = await this.client.get<WatermarkDoc>({ index: DETECTOR_STATE_INDEX, id: this.watermarkId }, { ignore: [404] });
    if (!r.found || !r._source) return { passes: 0 };
    const doc = r._source;
    return { watermark: Date.parse(doc.watermark), passes: doc.passes, updated: Date.parse(doc.updated), ...(doc.last_summary ? { summary: doc.last_summary } : {}) };
  }

  async saveWatermark(watermark: number, passes: number, summary?: Record<string, unknown>, now = Date.now()): Promise<void> {
    const doc: WatermarkDoc = {
      kind: 'watermark',
      partition: { index: this.partition.index, count: this.partition.count },
      watermark: new Date(watermark).toISOString(),
      passes,
      updated: new Date(now).toISOString(),
      ...(summary ? { last_summary: summary } : {}),
    };
    await this.client.index({ index: DETECTOR_STATE_INDEX, id: this.watermarkId, document: doc });
  }

  /** Marks the watermark as current at `now` without moving it: a pass that found no complete window. */
  async touchWatermark(now = Date.now()): Promise<void> {
    await this.client.update({ index: DETECTOR_STATE_INDEX, id: this.watermarkId, doc: { updated: new Date(now).toISOString() } }, { ignore: [404] });
  }
}
