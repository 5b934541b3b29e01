import { localNetworkMatcher } from '../../../enrich/direction';
import { findZeekRecord } from '../corpus.fixture';
import { normalizeZeek } from '..';
import { tlsVersion } from './ssl';

const ctx = { isLocal: localNetworkMatcher(['10.0.0.0/8']), fallbackTs: 0, ingested: '2026-11-24T12:00:00.000Z' };
const ZED = 'zeek/zed-sample-data/zeek-default';

describe('ssl', () => {
  it('maps the handshake to ECS tls, with the server name from SNI', () => {
    const record = findZeekRecord(`${ZED}/ssl.log.gz`, (r) => r.fields.uid === 'CDLhGCgEpRou8IFhg');
    const doc = normalizeZeek(record, ctx);
    expect(doc.tls).toEqual({
      version: '1.2',
      version_protocol: 'tls',
      cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      resumed: true,
      established: true,
      client: { server_name: 'ise.wrccdc.org' },
    });
    expect(doc.network).toMatchObject({ transport: 'tcp', protocol: 'ssl', direction: 'outbound' });
    expect(doc.related).toMatchObject({ hosts: ['ise.wrccdc.org'] });
  });

  it('claims the leaf certificate fingerprint as SHA-256', () => {
    const record = findZeekRecord(`${ZED}/ssl.log.gz`, (r) => Array.isArray(r.fields.cert_chain_fps) && r.fields.cert_chain_fps.length > 0);
    const doc = normalizeZeek(record, ctx);
    expect(doc.tls).toMatchObject({ server: { hash: { sha256: (record.fields.cert_chain_fps as string[])[0] } } });
  });
});

describe('x509', () => {
  it('maps the certificate to ECS file.x509, with the parts of its distinguished names', () => {
    const record = findZeekRecord(`${ZED}/x509.log.gz`, (r) => r.fields['certificate.issuer'] === 'O=VMware Installer');
    const doc = normalizeZeek(record, ctx);
    expect(doc.event).toMatchObject({ dataset: 'zeek.x509', category: ['file'], type: ['info'] });
    const x509 = (doc.file as { x509: Record<string, unknown> }).x509;
    expect(x509).toMatchObject({
      version_number: '3',
      serial_number: 'CC57FE54011E',
      issuer: { distinguished_name: 'O=VMware Installer', organization: ['VMware Installer'] },
      not_before: '2011-09-10T12:15:02.000Z',
      not_after: '2023-03-11T12:15:02.000Z',
      public_key_algorithm: 'rsaEncryption',
      signature_algorithm: 'sha256WithRSAEncryption',
      public_key_size: 2048,
      public_key_exponent: 65537,
      alternative_names: ['localhost.localdomain'],
    });
    // An escaped comma stays inside its attribute: `O=VMware\, Inc`.
    expect(x509.subject).toMatchObject({
      common_name: ['localhost.localdomain'],
      organization: ['VMware, Inc'],
      organizational_unit: ['VMware ESX Server Default Certificate'],
      locality: ['Palo Alto'],
      state_or_province: ['California'],
      country: ['US'],
    });
  });

  it('reads the certificate times of a JSON log, where Zeek writes them as ISO text', () => {
    const record = findZeekRecord('zeek/zed-sample-data/zeek-json/x509.json.gz', (r) => r.fields['certificate.issuer'] === 'O=VMware Installer');
    expect(record.fields['certificate.not_valid_before']).toBe('2011-09-10T12:15:02.000000Z');
    const x509 = (normalizeZeek(record, ctx).file as { x509: Record<string, unknown> }).x509;
    expect(x509).toMatchObject({ not_before: '2011-09-10T12:15:02.000Z', not_after: '2023-03-11T12:15:02.000Z' });
  });
});

describe('tlsVersion', () => {
  it.each([
    ['TLSv10', 'tls', '1.0'],
    ['TLSv13', 'tls', '1.3'],
    ['SSLv3', 'ssl', '3.0'],
    ['DTLSv12', 'dtls', '1.2'],
  ])('%s -> %s %s', (zeek, protocol, version) => {
    expect(tlsVersion(zeek)).toEqual({ protocol, version });
  });
});
