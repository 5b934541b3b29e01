/**
 * smtpd lines the shared corpus has no file for, written as Postfix's smtpd.c and smtpd_peer.c write them, with
 * documentation addresses.
 */
import type { LineHeader } from '../types';
import { parsePostfix } from './index';

function smtpd(message: string) {
  const header: LineHeader = { timestamp: 0, timeFormat: 'rfc3164', program: 'postfix/submission/smtpd', message };
  return parsePostfix(header);
}

describe('smtpd', () => {
  it('reads a queued message authenticated with SASL as its client line with the login', () => {
    const line = '3Xf0Lh6Wkmz9v2b: client=unknown[192.0.2.7]:51234, sasl_method=PLAIN, sasl_username=ann@example.com';
    expect(smtpd(line)).toEqual({
      mta: 'postfix',
      instance: 'postfix/submission',
      daemon: 'smtpd',
      action: 'client',
      category: ['email', 'authentication'],
      outcome: 'success',
      queueId: '3Xf0Lh6Wkmz9v2b',
      client: { host: 'unknown', ip: '192.0.2.7', port: 51234 },
      auth: { method: 'PLAIN', user: 'ann@example.com' },
    });
  });

  it('keeps the link a content filter re-injection writes back to the first queue id', () => {
    const event = smtpd(
      '7EE668039: client=localhost[127.0.0.1], orig_queue_id=0F5383D, orig_client=mx.example.org[192.0.2.9]',
    );
    expect(event?.extra).toEqual({ orig_queue_id: '0F5383D', orig_client: 'mx.example.org[192.0.2.9]' });
    expect(event?.auth).toBeUndefined();
  });

  it('names the client of a failed forward-confirmed reverse DNS check', () => {
    const failed = 'warning: 192.0.2.8: hostname mail.example.org verification failed: Name or service not known';
    expect(smtpd(failed)).toMatchObject({
      action: 'hostname-mismatch',
      client: { host: 'mail.example.org', ip: '192.0.2.8' },
    });
    expect(smtpd('warning: 2001:db8::8: address not listed for hostname mail.example.org')).toMatchObject({
      action: 'hostname-mismatch',
      client: { host: 'mail.example.org', ip: '2001:db8::8' },
    });
  });

  it('reads a client speaking another protocol', () => {
    expect(smtpd('warning: non-SMTP command from unknown[192.0.2.3]: GET / HTTP/1.1')).toMatchObject({
      action: 'non-smtp-command',
      client: { host: 'unknown', ip: '192.0.2.3' },
      extra: { command: 'GET / HTTP/1.1' },
    });
  });

  it('reads a SASL library failure that names no mechanism or client as an authentication failure', () => {
    const event = smtpd('warning: SASL authentication failure: Password verification failed');
    expect(event).toMatchObject({ action: 'auth-failure', outcome: 'failure' });
    expect(event?.auth).toBeUndefined();
  });

  it('leaves a line it does not know unread rather than guess', () => {
    expect(smtpd('setting up TLS connection from unknown[192.0.2.3]')).toBeUndefined();
  });
});
