import { localNetworkMatcher } from '../../../enrich/direction';
import { findZeekRecord, readZeekLog } from '../corpus.fixture';
import { normalizeZeek } from '..';

const BTEST = 'zeek/zeek-btest-baseline/testing/btest/Baseline';
const SCENARIO = 'labeled/stratosphere-security-datasets/005-zeek-scenario-malicious';
const ctx = {
  isLocal: localNetworkMatcher(['192.168.0.0/16', '141.42.0.0/16']),
  fallbackTs: 1_763_985_600,
  ingested: '2026-11-24T12:00:00.000Z',
};
const COMMUNITY_ID = /^1:[A-Za-z0-9+/]{27}=$/;

describe('conn', () => {
  it('maps the connection: endpoints, payload and IP bytes, packets, L2 addresses, protocol', () => {
    const record = readZeekLog(`${BTEST}/core.history-flip/conn.log`)[0];
    const doc = normalizeZeek(record, ctx);
    expect(doc.event).toMatchObject({ dataset: 'zeek.conn', category: ['network'], type: ['connection'], duration: 1_550_793_000 });
    expect(doc.source).toEqual({ ip: '141.42.64.125', port: 56730, bytes: 98, packets: 11, mac: '00-D0-03-3B-F4-00' });
    expect(doc.destination).toEqual({ ip: '125.190.109.199', port: 80, bytes: 9417, packets: 10, mac: '00-B0-C2-86-EC-00' });
    // network.bytes counts what crossed the wire: the IP bytes of both sides (670 + 9945).
    expect(doc.network).toMatchObject({ transport: 'tcp', type: 'ipv4', iana_number: '6', protocol: 'http', bytes: 10615, packets: 21, direction: 'outbound' });
    expect((doc.network as { community_id: string }).community_id).toMatch(COMMUNITY_ID);
    expect((doc.zeek as Record<string, Record<string, unknown>>).conn).toMatchObject({ orig_ip_bytes: 670, resp_ip_bytes: 9945, local_orig: false });
  });

  it('gives the connection and the events within it the same community ID', () => {
    const dns = readZeekLog(`${SCENARIO}/dns.log`)[0];
    const http = readZeekLog(`${SCENARIO}/http.log`)[0];
    for (const event of [dns, http]) {
      const conn = findZeekRecord(`${SCENARIO}/conn.log`, (r) => r.fields.uid === event.fields.uid);
      const connId = (normalizeZeek(conn, ctx).network as { community_id: string }).community_id;
      expect(connId).toMatch(COMMUNITY_ID);
      expect((normalizeZeek(event, ctx).network as { community_id: string }).community_id).toBe(connId);
    }
  });

  it('keeps VLAN tags', () => {
    const doc = normalizeZeek(readZeekLog(`${BTEST}/scripts.policy.protocols.conn.vlan-logging/conn.log`)[0], ctx);
    expect(doc.network).toMatchObject({ vlan: { id: '13' }, inner: { vlan: { id: '10' } } });
  });

  it('names ICMP over IPv6 as ECS does and hashes it with type and code', () => {
    const record = findZeekRecord(`${BTEST}/core.tunnels.ayiya/conn.log`, (r) => r.fields['id.orig_p'] === 128);
    const doc = normalizeZeek(record, ctx);
    expect(doc.network).toMatchObject({ transport: 'ipv6-icmp', type: 'ipv6', iana_number: '58' });
    expect((doc.network as { community_id: string }).community_id).toMatch(COMMUNITY_ID);
  });

  it('gives a transport Zeek did not parse its protocol number but no community ID, having no ports', () => {
    const doc = normalizeZeek(readZeekLog(`${BTEST}/core.unknown-ip-protocol/conn.log`)[0], ctx);
    expect(doc.network).toMatchObject({ type: 'ipv4', iana_number: '132' });
    expect(doc.network).not.toHaveProperty('transport');
    expect(doc.network).not.toHaveProperty('community_id');
  });
});
