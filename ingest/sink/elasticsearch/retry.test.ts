import { backoffDelay, decideItem, decideRequest } from './retry';

// Item results as Elasticsearch 8.19 returns them in a `_bulk` response for `create` actions.
const created = { status: 201 };
const versionConflict = {
  status: 409,
  error: { type: 'version_conflict_engine_exception', reason: '[Cq1]: version conflict, document already exists (current version [1])' },
};
const mapperParsing = {
  status: 400,
  error: {
    type: 'document_parsing_exception',
    reason: "[1:120] failed to parse field [source.ip] of type [ip] in document with id 'x'. Preview of field's value: 'not-an-ip'",
    caused_by: { type: 'illegal_argument_exception', reason: "'not-an-ip' is not an IP string literal." },
  },
};
const rejectedExecution = {
  status: 429,
  error: { type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' },
};
const unavailableShards = {
  status: 503,
  error: { type: 'unavailable_shards_exception', reason: '[vigil-zeek-2018.03.24][0] primary shard is not active Timeout: [1m]' },
};

describe('decideItem', () => {
  it('counts 2xx as created and 409 as already present', () => {
    expect(decideItem(created)).toEqual({ action: 'done', outcome: 'created' });
    expect(decideItem(versionConflict)).toEqual({ action: 'done', outcome: 'duplicate' });
  });

  it('retries 429 and 5xx', () => {
    expect(decideItem(rejectedExecution)).toMatchObject({ action: 'retry', reason: expect.stringContaining('es_rejected_execution_exception') });
    expect(decideItem(unavailableShards).action).toBe('retry');
  });

  it('dead-letters a document rejected for good, with the cause in the reason', () => {
    const decision = decideItem(mapperParsing);
    expect(decision.action).toBe('dead-letter');
    expect(decision).toMatchObject({ reason: expect.stringContaining("'not-an-ip' is not an IP string literal") });
    expect(decision).toMatchObject({ reason: expect.stringContaining('[status 400]') });
  });
});

describe('decideRequest', () => {
  it('retries when there is no answer, on 429 and on 5xx', () => {
    expect(decideRequest(undefined, 'connect ECONNREFUSED 127.0.0.1:9200').action).toBe('retry');
    // The client's ConnectionError carries status 0, as seen when the node stops in the middle of a request.
    expect(decideRequest(0, 'write EPIPE', 'ConnectionError').action).toBe('retry');
    expect(decideRequest(undefined, 'Request timed out', 'TimeoutError').action).toBe('retry');
  });

  it('fails on an error that is not the lack of an answer, instead of retrying it forever', () => {
    expect(decideRequest(undefined, 'x.match is not a function', 'TypeError')).toMatchObject({ action: 'fail', reason: expect.stringContaining('TypeError') });
    expect(decideRequest(429, 'circuit_breaking_exception').action).toBe('retry');
    expect(decideRequest(502, 'bad gateway').action).toBe('retry');
  });

  it('fails on errors that every later request would hit too', () => {
    expect(decideRequest(401, 'unable to authenticate')).toMatchObject({ action: 'fail', reason: expect.stringContaining('credentials') });
    expect(decideRequest(403, 'action [indices:data/write/bulk[s]] is unauthorized')).toMatchObject({ action: 'fail', reason: expect.stringContaining('vigil setup') });
    expect(decideRequest(413, 'too large')).toMatchObject({ action: 'fail', reason: expect.stringContaining('ingest.bulk.maxBytes') });
  });
});

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 5000 };
  it('grows exponentially within [delay/2, delay] and stays under the cap', () => {
    expect(backoffDelay(0, policy, () => 0)).toBe(50);
    expect(backoffDelay(0, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(800);
    expect(backoffDelay(40, policy, () => 1)).toBe(5000);
    expect(backoffDelay(40, policy, () => 0)).toBe(2500);
  });
});
