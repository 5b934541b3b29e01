/** SMTP AUTH failures, read from the real lines of fail2ban's Exim log. */
import { parseCorpusLine } from './corpus.fixture';

describe('Exim authenticator failures', () => {
  it('reads the authenticator, the client, its HELO name, the reply and the set_id user', () => {
    expect(parseCorpusLine('exim', 'rrcs-24-106-174-74')).toEqual({
      mta: 'exim',
      action: 'auth-failure',
      category: ['authentication'],
      outcome: 'failure',
      auth: { method: 'login', user: 'brian' },
      client: { host: 'rrcs-24-106-174-74.se.biz.rr.com', ip: '24.106.174.74' },
      helo: '[192.168.2.33]',
      reject: { code: 535, text: 'Incorrect authentication data', stage: 'AUTH' },
    });
  });

  it('reads the port, the interface and the connection id before the reply', () => {
    expect(parseCorpusLine('exim', 'Ci=30416')).toMatchObject({
      auth: { method: 'dovecot_login', user: 'uaf589@example.com' },
      client: { ip: '194.169.175.1', port: 21298 },
      extra: { server_ip: '22.33.44.55', server_port: '465' },
      reject: { code: 535, text: 'Incorrect authentication data' },
    });
  });

  it('has no user when the authenticator set none', () => {
    const event = parseCorpusLine('exim', '(gkzwsoju)');
    expect(event?.auth).toEqual({ method: 'login' });
    expect(event?.client).toEqual({ ip: '118.233.20.68' });
  });
});
