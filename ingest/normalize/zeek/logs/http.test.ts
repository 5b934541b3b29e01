import { localNetworkMatcher } from '../../../enrich/direction';
import { REDACTED } from '../../../enrich/redact';
import { readZeekLog } from '../corpus.fixture';
import { normalizeZeek } from '..';
import { hostWithoutPort } from './http';

const ctx = { isLocal: localNetworkMatcher(['192.168.0.0/16']), fallbackTs: 0, ingested: '2026-11-24T12:00:00.000Z' };

describe('http', () => {
  it('maps the request and response to ECS http, url and user_agent', () => {
    const [record] = readZeekLog('labeled/stratosphere-security-datasets/005-zeek-scenario-malicious/http.log');
    const doc = normalizeZeek(record, ctx);
    expect(doc.event).toMatchObject({ dataset: 'zeek.http', category: ['network', 'web'], type: ['protocol'], outcome: 'success' });
    expect(doc.http).toEqual({
      request: { method: 'GET', referrer: 'http://www.google.com', body: { bytes: 6 } },
      response: { status_code: 302, body: { bytes: 154 }, mime_type: 'text/html' },
      version: '1.1',
    });
    expect(doc.url).toEqual({ original: '/login.php', path: '/login.php', domain: 'gatyfus.com' });
    expect((doc.user_agent as { original: string }).original).toMatch(/^Mozilla\/4\.0 \(compatible; MSIE 2\.0/);
    expect(doc.network).toMatchObject({ transport: 'tcp', protocol: 'http', direction: 'outbound' });
    expect(doc.related).toMatchObject({ hosts: ['gatyfus.com'] });
  });

  it('takes the basic-auth user name and never the password', () => {
    const record = readZeekLog('zeek/zeek-btest-baseline/testing/btest/Baseline/scripts.base.protocols.http.http-basic-auth-colon/http.log').find(
      (r) => r.fields.password !== undefined,
    );
    expect(record).toBeDefined();
    const doc = normalizeZeek(record!, ctx);
    expect(doc.user).toEqual({ name: record!.fields.username });
    expect((doc.zeek as Record<string, Record<string, unknown>>).http.password).toBe(REDACTED);
    expect(doc.vigil).toEqual({ redacted: ['password'] });
    expect(JSON.stringify(doc)).not.toContain(`"${record!.fields.password as string}"`);
  });
});

describe('hostWithoutPort', () => {
  it.each([
    ['gatyfus.com', 'gatyfus.com'],
    ['localhost:8080', 'localhost'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['2001:db8::1', '2001:db8::1'],
  ])('%s -> %s', (host, expected) => {
    expect(hostWithoutPort(host)).toBe(expected);
  });
});
