import { localNetworkMatcher } from '../../../enrich/direction';
import { readZeekLog } from '../corpus.fixture';
import { normalizeZeek } from '..';

const ctx = { isLocal: localNetworkMatcher(['128.2.0.0/16']), fallbackTs: 0, ingested: '2026-11-24T12:00:00.000Z' };

describe('dhcp', () => {
  it('has the client, with its MAC address, as the source and the server as the destination', () => {
    const [record] = readZeekLog('zeek/zeek-btest-baseline/testing/btest/Baseline/scripts.base.protocols.dhcp.dhcp-all-msg-types/dhcp.log');
    const doc = normalizeZeek(record, ctx);
    expect(doc.event).toMatchObject({ dataset: 'zeek.dhcp', category: ['network'], type: ['protocol'], duration: 3_058_797_000 });
    expect(doc.source).toEqual({ ip: '128.2.6.97', mac: '90-B1-1C-99-49-29' });
    expect(doc.destination).toEqual({ ip: '128.2.6.152' });
    expect(doc.network).toMatchObject({ transport: 'udp', protocol: 'dhcp', direction: 'internal' });
    expect(doc.related).toEqual({ ip: ['128.2.6.189', '128.2.6.97', '128.2.6.152'], hosts: ['btest.is.cool'] });
    expect((doc.zeek as { session_id: unknown }).session_id).toEqual(record.fields.uids);
  });
});
