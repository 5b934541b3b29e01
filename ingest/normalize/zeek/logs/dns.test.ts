import { localNetworkMatcher } from '../../../enrich/direction';
import { findZeekRecord } from '../corpus.fixture';
import { normalizeZeek } from '..';

const ctx = { isLocal: localNetworkMatcher(['10.0.0.0/8']), fallbackTs: 0, ingested: '2026-11-24T12:00:00.000Z' };

describe('dns', () => {
  for (const file of ['zeek/zed-sample-data/zeek-default/dns.log.gz', 'zeek/zed-sample-data/zeek-json/dns.json.gz']) {
    it(`maps the query and its answers (${file.includes('json') ? 'JSON' : 'TSV'})`, () => {
      const record = findZeekRecord(file, (r) => r.fields.uid === 'CqKst53mF3det3eDV9');
      const doc = normalizeZeek(record, ctx);
      expect(doc['@timestamp']).toBe('2018-03-24T17:15:20.865Z');
      expect(doc.event).toMatchObject({ dataset: 'zeek.dns', category: ['network'], type: ['protocol'] });
      expect(doc.dns).toEqual({
        type: 'answer',
        id: '36329',
        question: { name: 'ise.wrccdc.org', type: 'A', class: 'C_INTERNET' },
        response_code: 'NOERROR',
        header_flags: ['RD', 'RA'],
        answers: [
          { data: 'ise.wrccdc.cpp.edu', ttl: 2230 },
          { data: '134.71.3.16', ttl: 41830 },
        ],
        resolved_ip: ['134.71.3.16'],
      });
      expect(doc.network).toMatchObject({ transport: 'udp', protocol: 'dns', direction: 'internal' });
      expect(doc.related).toEqual({ hosts: ['ise.wrccdc.org'], ip: ['134.71.3.16', '10.47.1.100', '10.0.0.100'] });
    });
  }

  it('marks a query without an answer as a query', () => {
    const record = findZeekRecord('zeek/zed-sample-data/zeek-default/dns.log.gz', (r) => r.fields.rcode === undefined);
    const doc = normalizeZeek(record, ctx);
    expect((doc.dns as { type: string }).type).toBe('query');
    expect(doc.dns).not.toHaveProperty('answers');
  });
});
