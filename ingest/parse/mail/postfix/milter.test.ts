/**
 * No file of the shared corpus holds milter or policy service lines: these are written in the formats OpenDKIM,
 * OpenDMARC and python-policyd-spf log, with documentation addresses.
 */
import type { LineHeader } from '../types';
import { parsePostfix } from './index';

function parse(program: string, message: string) {
  const header: LineHeader = { timestamp: 0, timeFormat: 'rfc3164', program, pid: 415, message };
  return parsePostfix(header);
}

describe('milters logging Postfix queue ids', () => {
  it('reads an OpenDKIM signature with its queue id and signing domain', () => {
    expect(parse('opendkim', '3Xf0Lh6Wkmz9v2b: DKIM-Signature field added (s=mail, d=example.com)')).toEqual({
      mta: 'postfix',
      daemon: 'opendkim',
      action: 'milter',
      category: ['email'],
      queueId: '3Xf0Lh6Wkmz9v2b',
      milter: { name: 'opendkim', result: 'signed', domain: 'example.com' },
    });
    expect(parse('opendkim', '5169E419: DKIM verification successful')?.milter).toEqual({
      name: 'opendkim',
      result: 'pass',
    });
  });

  it('keeps other OpenDKIM lines of a message as text', () => {
    const event = parse('opendkim', '5169E419: no signing table match for \'a@example.com\'');
    expect(event?.queueId).toBe('5169E419');
    expect(event?.milter).toEqual({ name: 'opendkim' });
    expect(event?.statusText).toBe("no signing table match for 'a@example.com'");
  });

  it('leaves OpenDKIM lines without a queue id to the unrecognised', () => {
    expect(parse('opendkim', 'OpenDKIM Filter v2.11.0 starting (args: -x /etc/opendkim.conf)')).toBeUndefined();
  });

  it('reads an OpenDMARC verdict and its SPF result', () => {
    expect(parse('opendmarc', '5169E419: example.com pass')?.milter).toEqual({
      name: 'opendmarc',
      domain: 'example.com',
      result: 'pass',
    });
    const spf = parse('opendmarc', '5169E419: SPF(mailfrom): example.org fail');
    expect(spf?.milter).toEqual({ name: 'opendmarc', domain: 'example.org', result: 'fail' });
    expect(spf?.extra).toEqual({ spf_scope: 'mailfrom' });
  });

  it('reads the SPF policy service result with the client it was about', () => {
    const event = parse(
      'policyd-spf',
      'prepend Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.30; helo=mail.example.org; ' +
        'envelope-from=<bob@example.org>; receiver=<UNKNOWN>',
    );
    expect(event).toMatchObject({
      action: 'milter',
      milter: { name: 'policyd-spf', result: 'pass', domain: 'example.org' },
      client: { ip: '192.0.2.30' },
      helo: 'mail.example.org',
      from: 'bob@example.org',
      extra: { spf_scope: 'mailfrom' },
    });
    expect(event?.queueId).toBeUndefined();
    const helo = parse(
      'policyd-spf',
      'prepend Received-SPF: None (no SPF record) identity=helo; client-ip=192.0.2.4; helo=smtp.example.org; ' +
        'envelope-from=jdoe@example.org; receiver=<UNKNOWN>',
    );
    expect(helo?.milter).toEqual({ name: 'policyd-spf', result: 'none', domain: 'smtp.example.org' });
  });

  it('ignores programs that are neither Postfix nor a known milter', () => {
    expect(parse('amavis', '(12345-01) Passed CLEAN')).toBeUndefined();
  });
});
