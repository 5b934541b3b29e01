import { localNetworkMatcher } from '../../../enrich/direction';
import { findZeekRecord } from '../corpus.fixture';
import { normalizeZeek } from '..';

const ctx = { isLocal: localNetworkMatcher(['10.0.0.0/8', '172.16.0.0/12']), fallbackTs: 0, ingested: '2026-11-24T12:00:00.000Z' };
const ZED = 'zeek/zed-sample-data/zeek-default';
const BTEST = 'zeek/zeek-btest-baseline/testing/btest/Baseline';
const AUTHENTICATION = { category: ['network', 'authentication'], type: ['protocol', 'info'] };

describe('authentication logs', () => {
  it('ntlm: who, in which domain, against which server, and whether it worked', () => {
    const record = findZeekRecord(`${ZED}/ntlm.log.gz`, (r) => r.fields.username === 'Administrator' && r.fields.domainname === 'FACTORY');
    const doc = normalizeZeek(record, ctx);
    expect(doc.event).toMatchObject({ dataset: 'zeek.ntlm', ...AUTHENTICATION });
    expect(doc.user).toEqual({ name: 'Administrator', domain: 'FACTORY' });
    expect(doc.destination).toMatchObject({ domain: 'gummybacon.factory.oompa.loompa' });
    expect(doc.related).toMatchObject({ user: ['Administrator'], hosts: ['ZA3Mb5kF7rTTSw7N', 'GUMMYBACON', 'gummybacon.factory.oompa.loompa'] });
    expect(doc.network).toMatchObject({ transport: 'tcp', community_id: expect.stringMatching(/^1:/) });
  });

  it('kerberos: the principal split into user and realm, the outcome and the error', () => {
    const record = findZeekRecord(`${BTEST}/scripts.base.protocols.tcp.krb-tcp-tso/kerberos.log`, (r) => r.fields.success === false);
    const doc = normalizeZeek(record, ctx);
    expect(doc.user).toEqual({ name: 'administrator', domain: 'TEST.LOCAL' });
    expect(doc.event).toMatchObject({ outcome: 'failure', ...AUTHENTICATION });
    expect(doc.error).toEqual({ message: 'KDC_ERR_PREAUTH_REQUIRED' });
  });

  it('ssh: a failed login is a failure', () => {
    const record = findZeekRecord(`${ZED}/ssh.log.gz`, (r) => r.fields.auth_success === false);
    const doc = normalizeZeek(record, ctx);
    expect(doc.event).toMatchObject({ dataset: 'zeek.ssh', outcome: 'failure', ...AUTHENTICATION });
    expect(doc.network).toMatchObject({ transport: 'tcp', protocol: 'ssh' });
  });

  it('rdp: the user name the client offers in its cookie', () => {
    const record = findZeekRecord(`${ZED}/rdp.log.gz`, (r) => r.fields.cookie === 'nessus');
    const doc = normalizeZeek(record, ctx);
    expect(doc.user).toEqual({ name: 'nessus' });
    expect(doc.related).toMatchObject({ hosts: ['tenablese'] });
    expect(doc.network).toMatchObject({ protocol: 'rdp' });
  });
});
