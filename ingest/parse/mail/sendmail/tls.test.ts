/**
 * TLS sessions. The shared corpus holds no STARTTLS line; these follow the format of Sendmail's tls.c,
 * `STARTTLS=%s, relay=%.100s, version=%.16s, verify=%.16s, cipher=%.64s, bits=%.6s/%.6s`.
 */
import type { MailEvent } from '../types';
import { parseSendmail } from './index';

function parse(message: string): MailEvent | undefined {
  return parseSendmail({ timestamp: 0, timeFormat: 'rfc3164', program: 'sm-mta', message });
}

describe('Sendmail STARTTLS', () => {
  it('reads a session with a client: version, cipher, bits, and no client certificate', () => {
    expect(
      parse('STARTTLS=server, relay=client.example.org [192.0.2.30], version=TLSv1.2, verify=NO, cipher=ECDHE-RSA-AES256-GCM-SHA384, bits=256/256'),
    ).toEqual({
      mta: 'sendmail',
      daemon: 'sm-mta',
      action: 'tls',
      category: ['email', 'network'],
      outcome: 'success',
      client: { host: 'client.example.org', ip: '192.0.2.30' },
      tls: { version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384', bits: 256, trust: 'Anonymous' },
      extra: { verify: 'NO' },
    });
  });

  it('reads a session with a relay, whose certificate failed verification', () => {
    const event = parse('STARTTLS=client, relay=mx.example.com., version=TLSv1/SSLv3, verify=FAIL, cipher=AES128-SHA, bits=128/128');
    expect(event).toMatchObject({ relay: { host: 'mx.example.com' }, tls: { trust: 'Untrusted', bits: 128 } });
    expect(event?.client).toBeUndefined();
  });

  it('reads a failed handshake', () => {
    expect(
      parse('STARTTLS=server, error: accept failed=-1, reason=unknown protocol, SSL_error=1, errno=0, retry=-1, relay=[192.0.2.31]'),
    ).toMatchObject({ action: 'tls', outcome: 'failure', client: { ip: '192.0.2.31' }, extra: { reason: 'unknown protocol' } });
  });
});
