import { localNetworkMatcher } from '../../enrich/direction';
import { findZeekRecord, readZeekLog } from './corpus.fixture';
import { datasetKey, ECS_VERSION, normalizeZeek } from '.';
import { TS_FALLBACK_TAG } from './timestamp';

const BTEST = 'zeek/zeek-btest-baseline/testing/btest/Baseline';
const LABELED_CONN = 'labeled/stratosphere-security-datasets/008-zeek-mixed/data/conn.log.labeled';

const ctx = {
  isLocal: localNetworkMatcher(['147.32.0.0/16']),
  fallbackTs: 1_763_985_600, // 2025-11-24T12:00:00Z
  ingested: '2026-11-24T12:00:00.000Z',
  sensor: 'plant-1',
};

describe('normalizeZeek: what every document gets', () => {
  const record = readZeekLog(LABELED_CONN)[0];
  const doc = normalizeZeek(record, ctx);

  it('files the event under its own time and dataset', () => {
    expect(doc['@timestamp']).toBe(new Date((record.fields.ts as number) * 1000).toISOString());
    expect(doc.event).toMatchObject({ kind: 'event', module: 'zeek', dataset: 'zeek.conn', ingested: ctx.ingested });
    expect(doc.ecs).toEqual({ version: ECS_VERSION });
    expect(doc.observer).toEqual({ name: 'plant-1' });
    expect(doc.tags).toBeUndefined();
  });

  it('keeps the original record, labels included, under zeek.<path> and its uid as the session id', () => {
    expect((doc.zeek as Record<string, unknown>).conn).toBe(record.fields);
    expect((doc.zeek as Record<string, Record<string, unknown>>).conn).toMatchObject({ label: 'Benign', detailedlabel: 'Microsoft' });
    expect((doc.zeek as Record<string, unknown>).session_id).toBe(record.fields.uid);
  });

  it('names the observer after the Zeek cluster node when no sensor is configured', () => {
    expect(normalizeZeek(record, { ...ctx, sensor: undefined }).observer).toBeUndefined();
    // Zeek's cluster log extension adds `_node_name`; no corpus log was written by a cluster, so a real record
    // is given one.
    const fromNode = { ...record, fields: { ...record.fields, _node_name: 'worker-3' } };
    expect(normalizeZeek(fromNode, { ...ctx, sensor: undefined }).observer).toEqual({ name: 'worker-3' });
    expect(normalizeZeek(fromNode, ctx).observer).toEqual({ name: 'plant-1' });
  });
});

describe('normalizeZeek: the event time', () => {
  it('falls back to the context time, and says so, for a masked ts', () => {
    const masked = readZeekLog(`${BTEST}/scripts.base.protocols.ftp.ftp-password-pass-command/ftp.log`)[0];
    expect(masked.fields.ts).toBeUndefined();
    const doc = normalizeZeek(masked, ctx);
    expect(doc['@timestamp']).toBe('2025-11-24T12:00:00.000Z');
    expect(doc.tags).toEqual([TS_FALLBACK_TAG]);
  });

  it('falls back for a time before 1970, which no index name can carry', () => {
    for (const variant of ['ts_epoch', 'ts_iso8601', 'ts_millis', 'ts_millis_unsigned']) {
      const [negative] = readZeekLog(`${BTEST}/scripts.base.frameworks.logging.ascii-negative-ts/test.log.${variant}`);
      expect(negative.fields.ts).toBeLessThan(0);
      const doc = normalizeZeek(negative, ctx);
      expect(doc['@timestamp']).toBe('2025-11-24T12:00:00.000Z');
      expect(doc.tags).toEqual([TS_FALLBACK_TAG]);
    }
  });

  it('takes a tiny but valid epoch time as it is', () => {
    const [early] = readZeekLog('labeled/stratosphere-security-datasets/001-zeek-scenario-malicious/labeled-conn.log');
    expect(early.fields.ts).toBeLessThan(100);
    expect(normalizeZeek(early, ctx)['@timestamp']).toMatch(/^1970-01-01T00:00:/);
  });

  it('uses the ingestion time when the fallback time is unusable too', () => {
    const masked = readZeekLog(`${BTEST}/scripts.base.protocols.ftp.ftp-password-pass-command/ftp.log`)[0];
    expect(normalizeZeek(masked, { ...ctx, fallbackTs: -1 })['@timestamp']).toBe(ctx.ingested);
  });
});

describe('normalizeZeek: a log type nobody mapped', () => {
  // A path with a dot, no `ts` (its time column is `t`) and the connection fields every Zeek log may have.
  const records = readZeekLog(`${BTEST}/scripts.base.frameworks.logging.remove/ssh.failure.log`);
  const doc = normalizeZeek(records[0], ctx);

  it('is indexed under a dataset named after its path', () => {
    expect(records[0].path).toBe('ssh.failure');
    expect(doc.event).toMatchObject({ kind: 'event', module: 'zeek', dataset: 'zeek.ssh_failure' });
    expect(doc.event.category).toBeUndefined();
    expect((doc.zeek as Record<string, unknown>).ssh_failure).toBe(records[0].fields);
  });

  it('still gets source, destination and direction from its connection fields', () => {
    expect(doc.source).toEqual({ ip: '1.2.3.4', port: 1234 });
    expect(doc.destination).toEqual({ ip: '2.3.4.5', port: 80 });
    expect(doc.network).toMatchObject({ type: 'ipv4', direction: 'external' });
    expect(doc.related).toEqual({ ip: ['1.2.3.4', '2.3.4.5'] });
    expect(doc.tags).toEqual([TS_FALLBACK_TAG]);
  });
});

describe('normalizeZeek: columns beyond the declared ones', () => {
  it('keeps them in zeek.<path>._extra without touching the parsed record', () => {
    // No corpus file has undeclared trailing columns: a real record is given some, as the TSV parser would.
    const record = { ...readZeekLog(LABELED_CONN)[0], extra: ['site-a', 'rack-7'] };
    const doc = normalizeZeek(record, ctx);
    const conn = (doc.zeek as Record<string, Record<string, unknown>>).conn;
    expect(conn._extra).toEqual(['site-a', 'rack-7']);
    expect(conn.uid).toBe(record.fields.uid);
    expect(record.fields).not.toHaveProperty('_extra');
  });
});

describe('datasetKey', () => {
  it.each([
    ['conn', 'conn'],
    ['modbus_detailed', 'modbus_detailed'],
    ['conn-exc', 'conn-exc'],
    ['ssh.failure', 'ssh_failure'],
    ['/dev/stdout', '_dev_stdout'],
    ['', 'unknown'],
    ['session_id', 'session_id_log'],
  ])('%j -> %j', (path, key) => {
    expect(datasetKey(path)).toBe(key);
  });
});

it('finds the fixture records it is asked for', () => {
  expect(() => findZeekRecord(LABELED_CONN, () => false)).toThrow(/no matching record/);
});
