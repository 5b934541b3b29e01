import type { Logger } from 'pino';
import { VigilError } from '../../../common/errors';
import { DEAD_LETTER_INDEX } from '../../../common/es/names';
import { backoffDelay, decideItem, decideRequest, type BackoffPolicy, type BulkItemResult } from './retry';
import { deadLetterDocument } from './dead-letter';
import { BatchBody, type BatchItem } from './batch';

export type { BatchItem } from './batch';
export { BatchBody } from './batch';

/**
 * The Elasticsearch sink: batches pre-serialized `create` actions into `_bulk` requests within visible limits,
 * keeps at most `concurrency` requests in flight (the caller awaits `submit`, which is the backpressure into the
 * reader), retries transient failures without limit, and sends documents rejected for good to the dead-letter
 * index. A batch's `onDone` runs only after every document in it is created, found already present, or
 * dead-lettered, so the caller can commit source offsets there.
 */

/** What the sink needs from an HTTP transport: one raw request. Satisfied by `client.transport` of @elastic/elasticsearch. */
export interface BulkTransport {
  request(
    params: { method: string; path: string; bulkBody?: string | Buffer; querystring?: Record<string, string> },
    options?: { meta?: boolean; requestTimeout?: number; maxRetries?: number; redaction?: { type: 'off' | 'remove' | 'replace' } },
  ): Promise<unknown>;
}

export interface BulkLimits {
  maxDocs: number;
  maxBytes: number;
  concurrency: number;
  flushIntervalMs: number;
}


export interface BatchOutcome {
  created: number;
  duplicates: number;
  /** Lines that failed to parse and documents Elasticsearch rejected, now in the dead-letter index. */
  deadLettered: number;
  /** Per log type: [created, duplicates, deadLettered]. */
  byLogType: Map<string, [number, number, number]>;
  latencySeconds: number;
  retries: number;
}

export interface SinkEvents {
  onBatchDone?(outcome: BatchOutcome): void;
  onRetry?(reason: string, attempt: number, delayMs: number): void;
}

export class BulkFatalError extends VigilError {
  constructor(message: string, cause?: unknown) {
    super('VIGIL_ES_REJECTED', message, { cause });
  }
}

const FILTER_PATH = 'errors,items.*.status,items.*.error.type,items.*.error.reason,items.*.error.caused_by.type,items.*.error.caused_by.reason';

export class BulkSink {
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];
  private readonly running = new Set<Promise<void>>();
  private fatal: Error | undefined;

  constructor(
    private readonly transport: BulkTransport,
    readonly limits: BulkLimits,
    private readonly backoff: BackoffPolicy,
    private readonly log: Logger,
    private readonly events: SinkEvents = {},
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Starts sending the batch; resolves once the request is under way (waits while `concurrency` requests are in flight). */
  async submit(batch: BatchBody, onDone: (outcome: BatchOutcome) => void): Promise<void> {
    this.throwIfFailed();
    while (this.inFlight >= this.limits.concurrency) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      this.throwIfFailed();
    }
    this.inFlight++;
    const task = this.send(batch.view(), batch.items)
      .then((outcome) => {
        this.events.onBatchDone?.(outcome);
        onDone(outcome);
      })
      .catch((err: unknown) => {
        this.fatal ??= err instanceof Error ? err : new Error(String(err));
      })
      .finally(() => {
        this.inFlight--;
        this.running.delete(task);
        this.waiters.shift()?.();
      });
    this.running.add(task);
  }

  /** Waits for every batch in flight; throws the first fatal error if one happened. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.fatal) throw this.fatal;
  }

  private async send(firstBody: Buffer, items: BatchItem[]): Promise<BatchOutcome> {
    const started = process.hrtime.bigint();
    const outcome: BatchOutcome = { created: 0, duplicates: 0, deadLettered: 0, byLogType: new Map(), latencySeconds: 0, retries: 0 };
    let pending = items;
    let body = firstBody;
    let attempt = 0;
    while (pending.length > 0) {
      const response = await this.request(body, outcome);
      const retry: BatchItem[] = [];
      const rejected: Array<{ item: BatchItem; reason: string; status: number }> = [];
      let lastReason = '';
      for (let i = 0; i < pending.length; i++) {
        const item = pending[i];
        const result = response.errors ? firstValue(response.items[i]) : undefined;
        const decision = result ? decideItem(result) : { action: 'done' as const, outcome: 'created' as const };
        if (item.index === DEAD_LETTER_INDEX && decision.action === 'done') {
          // A line that failed to parse, now safely in the dead-letter index.
          tally(outcome, item.logType, 2);
        } else if (!response.errors) {
          // Without errors every item is 2xx: skip reading each one.
          tally(outcome, item.logType, 0);
        } else if (decision.action === 'done') {
          tally(outcome, item.logType, decision.outcome === 'created' ? 0 : 1);
        } else if (decision.action === 'retry') {
          retry.push(item);
          lastReason = decision.reason;
        } else {
          rejected.push({ item, reason: decision.reason, status: result!.status });
        }
      }
      if (rejected.length > 0) await this.deadLetter(rejected, outcome);
      if (retry.length > 0) ({ body, items: pending } = BatchBody.subset(body, retry));
      else pending = retry;
      if (pending.length > 0) {
        const delay = backoffDelay(attempt++, this.backoff);
        outcome.retries++;
        this.events.onRetry?.(lastReason, attempt, delay);
        this.log.warn({ documents: pending.length, reason: lastReason, delayMs: delay }, 'Elasticsearch asked to retry some documents later.');
        await this.sleep(delay);
      }
    }
    outcome.latencySeconds = Number(process.hrtime.bigint() - started) / 1e9;
    return outcome;
  }

  /** Sends one `_bulk` body, retrying the whole request on transient failure until it gets an answer. */
  private async request(body: string | Buffer, outcome: BatchOutcome): Promise<{ errors: boolean; items: Array<Record<string, BulkItemResult>> }> {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = (await this.transport.request(
          { method: 'POST', path: '/_bulk', bulkBody: body, querystring: { filter_path: FILTER_PATH } },
          // The body goes out as it is: a Buffer is written to the socket without a copy, where a string would be
          // decoded and encoded again. `remove` redaction strips credentials from the client's errors without
          // cloning them, since the default (`replace`) copies the request key by key, and a Buffer body byte by byte
          // (a megabyte of body became over 100 MB of heap on a connection error).
          { maxRetries: 0, redaction: { type: 'remove' } },
        )) as { errors: boolean; items?: Array<Record<string, BulkItemResult>> };
        return { errors: response.errors, items: response.items ?? [] };
      } catch (err) {
        const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
        const decision = decideRequest(status, (err as Error).message, (err as Error).name);
        if (decision.action === 'fail') throw new BulkFatalError(decision.reason, err);
        const delay = backoffDelay(attempt, this.backoff);
        outcome.retries++;
        this.events.onRetry?.(decision.reason, attempt + 1, delay);
        this.log.warn({ reason: decision.reason, attempt: attempt + 1, delayMs: delay }, 'A bulk request failed; it will be sent again.');
        await this.sleep(delay);
      }
    }
  }

  /** Writes rejected documents to the dead-letter index with the reason; a rejection there is fatal. */
  private async deadLetter(rejected: Array<{ item: BatchItem; reason: string; status: number }>, outcome: BatchOutcome): Promise<void> {
    const now = new Date().toISOString();
    let body = '';
    for (const { item, reason, status } of rejected) {
      const doc = deadLetterDocument(
        { ...item.deadLetter, stage: 'index', reason, code: 'VIGIL_ES_REJECTED', httpStatus: status, targetIndex: item.index },
        now,
      );
      body += `{"create":{"_index":"${DEAD_LETTER_INDEX}","_id":${JSON.stringify(deadLetterId(item))}}}\n${JSON.stringify(doc)}\n`;
    }
    const response = await this.request(body, outcome);
    if (response.errors) {
      for (let i = 0; i < rejected.length; i++) {
        const result = firstValue(response.items[i]);
        const decision = result ? decideItem(result) : undefined;
        if (decision && decision.action !== 'done') {
          throw new BulkFatalError(`the dead-letter index refused a document too (${decision.reason}); run \`vigil setup\``);
        }
      }
    }
    for (const { item, reason } of rejected) {
      tally(outcome, item.logType, 2);
      this.log.warn({ logType: item.logType, file: item.deadLetter.line?.file.path, offset: item.deadLetter.line?.offset, reason }, 'Elasticsearch rejected a document; it was dead-lettered.');
    }
  }
}

/** The dead-letter id of a rejected document derives from its own id, so a replay does not add a second one. */
function deadLetterId(item: BatchItem): string {
  return `index-${item.id}`;
}

function firstValue(item: Record<string, BulkItemResult> | undefined): BulkItemResult | undefined {
  if (!item) return undefined;
  for (const key in item) return item[key];
  return undefined;
}

function tally(outcome: BatchOutcome, logType: string, slot: 0 | 1 | 2): void {
  if (slot === 0) outcome.created++;
  else if (slot === 1) outcome.duplicates++;
  else outcome.deadLettered++;
  let counts = outcome.byLogType.get(logType);
  if (!counts) outcome.byLogType.set(logType, (counts = [0, 0, 0]));
  counts[slot]++;
}
