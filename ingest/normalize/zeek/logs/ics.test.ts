import { localNetworkMatcher } from '../../../enrich/direction';
import { REDACTED } from '../../../enrich/redact';
import { findZeekRecord, readZeekLog } from '../corpus.fixture';
import { normalizeZeek } from '..';

const ICSNPP = 'zeek/icsnpp';
const ctx = { isLocal: localNetworkMatcher(['10.0.0.0/8', '192.168.0.0/16']), fallbackTs: 0, ingested: '2026-11-24T12:00:00.000Z' };

describe('ICS logs: the true direction of requests and responses', () => {
  const records = readZeekLog(`${ICSNPP}/icsnpp-dnp3/testing/baseline/analyzer.basic/dnp3_control.log`);
  const select = records.find((r) => r.fields.function_code === 'SELECT')!;
  const response = records.find((r) => r.fields.function_code === 'RESPONSE' && r.fields.uid === select.fields.uid)!;

  it('has the client as the source of a request', () => {
    const doc = normalizeZeek(select, ctx);
    expect(doc.source).toEqual({ ip: '10.10.20.5', port: 55355 });
    expect(doc.destination).toEqual({ ip: '10.10.20.8', port: 20000 });
    expect(doc.event).toMatchObject({ dataset: 'zeek.dnp3_control', action: 'SELECT', category: ['network'], type: ['protocol'] });
    expect(doc.network).toMatchObject({ protocol: 'dnp3' });
  });

  it('has the outstation as the source of its response, and the same connection community ID', () => {
    const request = normalizeZeek(select, ctx);
    const doc = normalizeZeek(response, ctx);
    expect(doc.source).toEqual({ ip: '10.10.20.8', port: 20000 });
    expect(doc.destination).toEqual({ ip: '10.10.20.5', port: 55355 });
    expect(doc.event.action).toBe('RESPONSE');
    expect((doc.zeek as Record<string, Record<string, unknown>>).dnp3_control['id.orig_h']).toBe('10.10.20.5');
    // DNP3 runs over TCP and UDP and this log does not say which: no flow hash is guessed.
    expect(doc.network).not.toHaveProperty('community_id');
    expect(request.network).not.toHaveProperty('community_id');
  });

  it('hashes the connection, not the message, where the transport is known (S7comm over TCP)', () => {
    const s7 = readZeekLog(`${ICSNPP}/icsnpp-s7comm/tests/baseline/analyzer.snap7/s7comm.log`);
    const job = normalizeZeek(s7.find((r) => r.fields.is_orig === true)!, ctx);
    const ack = normalizeZeek(s7.find((r) => r.fields.is_orig === false)!, ctx);
    expect(job.source).toEqual({ ip: '134.217.61.131', port: 51212 });
    expect(ack.source).toEqual({ ip: '134.217.61.211', port: 102 });
    const id = (job.network as { community_id?: string }).community_id;
    expect(id).toMatch(/^1:/);
    expect((ack.network as { community_id?: string }).community_id).toBe(id);
    expect(job.event).toMatchObject({ action: 'Setup Communication' });
  });

  it("takes Zeek's modbus responses as sent by the server", () => {
    const record = findZeekRecord('zeek/zed-sample-data/zeek-default/modbus.log.gz', (r) => r.fields.pdu_type === 'RESP');
    const doc = normalizeZeek(record, ctx);
    expect(doc.source).toEqual({ ip: record.fields['id.resp_h'], port: 502 });
    expect(doc.destination).toMatchObject({ ip: record.fields['id.orig_h'] });
    expect(doc.event).toMatchObject({ dataset: 'zeek.modbus', action: record.fields.func });
  });
});

describe('bacnet_device_control', () => {
  it('never stores the device password in clear', () => {
    const record = findZeekRecord(`${ICSNPP}/icsnpp-bacnet/testing/baseline/analyzer.services/bacnet_device_control.log`, (r) => r.fields.password === 'filister');
    const doc = normalizeZeek(record, ctx);
    expect((doc.zeek as Record<string, Record<string, unknown>>).bacnet_device_control.password).toBe(REDACTED);
    expect(doc.vigil).toEqual({ redacted: ['password'] });
    expect(JSON.stringify(doc)).not.toContain('filister');
    expect(doc.network).toMatchObject({ transport: 'udp', protocol: 'bacnet' });
  });
});
