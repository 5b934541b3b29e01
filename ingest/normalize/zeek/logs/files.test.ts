import { localNetworkMatcher } from '../../../enrich/direction';
import { readZeekLog } from '../corpus.fixture';
import { normalizeZeek } from '..';

const ctx = { isLocal: localNetworkMatcher(['141.142.0.0/16']), fallbackTs: 0, ingested: '2026-11-24T12:00:00.000Z' };

describe('files', () => {
  it('maps the file and its hashes, with the sending side as the source', () => {
    const [record] = readZeekLog('zeek/zeek-btest-baseline/testing/btest/Baseline/scripts.base.frameworks.file-analysis.logging/files.log');
    expect(record.fields.is_orig).toBe(false);
    const doc = normalizeZeek(record, ctx);
    expect(doc.event).toMatchObject({ dataset: 'zeek.files', category: ['file'], type: ['info'], duration: 263_000 });
    expect(doc.file).toEqual({
      mime_type: 'text/plain',
      size: 4705,
      hash: {
        md5: '397168fd09991a0e712254df7bc639ac',
        sha1: '1dd7ac0398df6cbc0696445a91ec681facf4dc47',
        sha256: '4e7c7ef0984119447e743e3ec77e1de52713e345cde03fe7df753a35849bed18',
      },
    });
    // The web server sent the file to the client that opened the connection.
    expect(doc.source).toEqual({ ip: '192.150.187.43', port: 80 });
    expect(doc.destination).toEqual({ ip: '141.142.228.5', port: 59856 });
    expect(doc.network).toMatchObject({ protocol: 'http', direction: 'inbound' });
    expect((doc.zeek as { session_id: unknown }).session_id).toBe('CHhAvVGS1DHFjwGM9');
  });

  it('takes source and destination from the hosts lists of older Zeek versions', () => {
    const record = readZeekLog('labeled/stratosphere-security-datasets/009-zeek-malicious/data/files.log.labeled')[0];
    expect(record.fields['id.orig_h']).toBeUndefined();
    const doc = normalizeZeek(record, ctx);
    expect(doc.source).toEqual({ ip: (record.fields.tx_hosts as string[])[0] });
    expect(doc.destination).toEqual({ ip: (record.fields.rx_hosts as string[])[0] });
    expect(doc.source).toEqual({ ip: '195.113.232.73' });
    expect((doc.zeek as { session_id: unknown }).session_id).toEqual(record.fields.conn_uids);
    expect(doc.file).toMatchObject({ hash: { md5: 'cd5a4d3fdd5bffc16bf959ef75cf37bc' } });
    expect((doc.zeek as Record<string, Record<string, unknown>>).files).toMatchObject({ label: 'Benign', detailedlabel: 'Windows' });
  });
});
