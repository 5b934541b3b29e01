import { localNetworkMatcher } from '../../../enrich/direction';
import { findZeekRecord, readZeekLog } from '../corpus.fixture';
import { normalizeZeek } from '..';

const ctx = { isLocal: localNetworkMatcher(['10.0.0.0/8', '192.168.0.0/16']), fallbackTs: 0, ingested: '2026-11-24T12:00:00.000Z' };
const ZED = 'zeek/zed-sample-data/zeek-default';

describe('notice', () => {
  it('is an alert named after the notice type, with its message', () => {
    const record = findZeekRecord(`${ZED}/notice.log.gz`, (r) => r.fields.note === 'SSL::Invalid_Server_Cert');
    const doc = normalizeZeek(record, ctx);
    expect(doc.event).toMatchObject({ kind: 'alert', dataset: 'zeek.notice', category: ['intrusion_detection'], type: ['info'] });
    expect(doc.rule).toEqual({ name: 'SSL::Invalid_Server_Cert', category: 'SSL' });
    expect(doc.message).toBe(record.fields.msg);
    expect(doc.source).toMatchObject({ ip: record.fields['id.orig_h'] });
  });

  it('takes the parties from src and dst when the notice is not about one connection', () => {
    const [record] = readZeekLog('zeek/zeek-btest-baseline/testing/btest/Baseline/scripts.policy.protocols.http.sql-injection-plus-dvwa2/notice.log');
    const doc = normalizeZeek(record, ctx);
    expect(doc.source).toEqual({ ip: '192.168.111.148' });
    expect(doc.destination).toEqual({ ip: '192.168.111.154' });
    expect(doc.network).toMatchObject({ direction: 'internal' });
    expect(doc.rule).toEqual({ name: 'HTTP::SQL_Injection_Attacker', category: 'HTTP' });
  });
});

describe('weird', () => {
  it('names the anomaly and says what Zeek added to it', () => {
    const record = findZeekRecord(`${ZED}/weird.log.gz`, (r) => r.fields.addl === 'PRI');
    const doc = normalizeZeek(record, ctx);
    expect(doc.event).toMatchObject({ kind: 'event', dataset: 'zeek.weird', category: ['network'], type: ['info'] });
    expect(doc.rule).toEqual({ name: 'unknown_HTTP_method' });
    expect(doc.message).toBe('unknown_HTTP_method: PRI');
  });
});
