import { silentLogger } from '../../../common/log';
import { DEAD_LETTER_INDEX } from '../../../common/es/names';
import { BatchBody } from './batch';
import { BulkSink, BulkFatalError, type BatchOutcome, type BulkTransport } from './bulk';

/** A small fake of `_bulk` for unit tests; the real Elasticsearch is exercised by the integration tests. */
class FakeBulk implements BulkTransport {
  readonly requests: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(private readonly answer: (body: string, n: number) => unknown) {}
  async request(params: { bulkBody?: string | Buffer }): Promise<unknown> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, 5));
      this.requests.push(params.bulkBody!.toString());
      const result = this.answer(params.bulkBody!.toString(), this.requests.length);
      if (result instanceof Error) throw result;
      return result;
    } finally {
      this.inFlight--;
    }
  }
}

/** A batch of real-looking documents with ids `k.<n>`. */
function batchOf(ns: number[], index = 'vigil-zeek-2018.03.24'): BatchBody {
  const body = new BatchBody(64);
  for (const n of ns) body.add(index, `k.${n}`, `{"n":${n}}`, 'dns', { logType: 'dns' });
  return body;
}

const limits = { maxDocs: 10, maxBytes: 1e6, concurrency: 2, flushIntervalMs: 100 };
const noWait = async () => undefined;

function ids(body: string): string[] {
  return [...body.matchAll(/"_id":"([^"]+)"/g)].map((m) => m[1]);
}

describe('BulkSink', () => {
  it('never has more than `concurrency` requests in flight', async () => {
    const fake = new FakeBulk((body) => ({ errors: false, items: ids(body).map(() => ({ create: { status: 201 } })) }));
    const sink = new BulkSink(fake, limits, { initialMs: 1, maxMs: 1 }, silentLogger, {}, noWait);
    const outcomes: BatchOutcome[] = [];
    for (let b = 0; b < 8; b++) await sink.submit(batchOf([b]), (o) => outcomes.push(o));
    await sink.drain();
    expect(fake.maxInFlight).toBeLessThanOrEqual(2);
    expect(outcomes.reduce((n, o) => n + o.created, 0)).toBe(8);
  });

  it('retries a whole request after a connection error, then settles the batch once', async () => {
    const fake = new FakeBulk((body, n) =>
      n <= 2 ? Object.assign(new Error('connect ECONNREFUSED'), { name: 'ConnectionError', meta: {} }) : { errors: false, items: ids(body).map(() => ({ create: { status: 201 } })) },
    );
    const sink = new BulkSink(fake, limits, { initialMs: 1, maxMs: 1 }, silentLogger, {}, noWait);
    const done = jest.fn();
    await sink.submit(batchOf([1, 2]), done);
    await sink.drain();
    expect(done).toHaveBeenCalledTimes(1);
    expect(done.mock.calls[0][0]).toMatchObject({ created: 2, retries: 2 });
  });

  it('sends again only the documents answered 429, counts 409 as present, dead-letters a 400', async () => {
    const fake = new FakeBulk((body, n) => {
      if (body.includes(DEAD_LETTER_INDEX)) return { errors: false, items: ids(body).map(() => ({ create: { status: 201 } })) };
      if (n === 1) {
        return {
          errors: true,
          items: [
            { create: { status: 201 } },
            { create: { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } } },
            { create: { status: 409, error: { type: 'version_conflict_engine_exception', reason: 'exists' } } },
            { create: { status: 400, error: { type: 'document_parsing_exception', reason: 'failed to parse field [source.ip]' } } },
          ],
        };
      }
      return { errors: false, items: ids(body).map(() => ({ create: { status: 201 } })) };
    });
    const sink = new BulkSink(fake, limits, { initialMs: 1, maxMs: 1 }, silentLogger, {}, noWait);
    const done = jest.fn();
    await sink.submit(batchOf([1, 2, 3, 4]), done);
    await sink.drain();
    expect(done.mock.calls[0][0]).toMatchObject({ created: 2, duplicates: 1, deadLettered: 1 });
    const deadLetterBody = fake.requests.find((b) => b.includes(DEAD_LETTER_INDEX))!;
    expect(ids(deadLetterBody)).toEqual(['index-k.4']);
    expect(deadLetterBody).toContain('failed to parse field [source.ip]');
    // The retry carried only the document answered 429.
    expect(fake.requests.filter((b) => !b.includes(DEAD_LETTER_INDEX)).map(ids)).toEqual([['k.1', 'k.2', 'k.3', 'k.4'], ['k.2']]);
  });

  it('stops with a clear error when the credentials are refused', async () => {
    const fake = new FakeBulk(() => Object.assign(new Error('security_exception'), { meta: { statusCode: 401 } }));
    const sink = new BulkSink(fake, limits, { initialMs: 1, maxMs: 1 }, silentLogger, {}, noWait);
    const done = jest.fn();
    await sink.submit(batchOf([1]), done);
    await expect(sink.drain()).rejects.toThrow(BulkFatalError);
    expect(done).not.toHaveBeenCalled();
  });
});
