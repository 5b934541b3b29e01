/** The login processes' lines: failures and disconnects from fail2ban's Dovecot log, and a successful login. */
import { fail2banCases } from '../../../../test/support/fail2ban';
import type { MailEvent } from '../types';
import { parseDovecot } from './index';

/** The syslog line of fail2ban's Dovecot log that contains `fragment`, program `dovecot`. */
function parseCorpusLine(fragment: string): MailEvent | undefined {
  const line = fail2banCases('dovecot').find((c) => c.line.includes(fragment))?.line;
  const m = line === undefined ? null : /^\w{3} +\d+ [\d:]+ \S+ (dovecot)(?:\[\d+\])?: (.*)$/.exec(line);
  if (!m) throw new Error(`no syslog line of dovecot contains ${fragment}`);
  return parseDovecot({ timestamp: 0, timeFormat: 'rfc3164', program: m[1], message: m[2] });
}

describe('Dovecot login processes', () => {
  it('reads a failed login: user, mechanism, client, local address, session, TLS and its cipher', () => {
    expect(parseCorpusLine('user=<administrator@example.com>')).toEqual({
      mta: 'dovecot',
      daemon: 'imap-login',
      protocol: 'IMAP',
      action: 'auth-failure',
      category: ['authentication'],
      outcome: 'failure',
      client: { ip: '192.0.2.3' },
      auth: { method: 'PLAIN', user: 'administrator@example.com' },
      tls: { version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384', bits: 256 },
      extra: { reason: 'Disconnected (auth failed, 1 attempts in 9 secs)', server_ip: '192.168.1.2', secured: 'TLS' },
    });
  });

  it("reads Dovecot 2.4's Login aborted with its reason code", () => {
    expect(parseCorpusLine('Login aborted: Connection closed (auth failed, 3 attempts in 16 secs)')).toMatchObject({
      action: 'auth-failure',
      client: { ip: '192.0.2.241' },
      auth: { method: 'PLAIN', user: 'test' },
      extra: { reason: 'Login aborted: Connection closed (auth failed, 3 attempts in 16 secs) (auth_failed)', session: '9ZHq02g3J8S60fan' },
    });
  });

  it('reads a refused plaintext login as a failure', () => {
    expect(parseCorpusLine('tried to use disabled plaintext auth')).toMatchObject({
      action: 'auth-failure',
      daemon: 'pop3-login',
      protocol: 'POP3',
      client: { ip: '190.210.136.21' },
    });
  });

  it('reads a connection that made no attempt as a disconnect, without an empty user', () => {
    const event = parseCorpusLine('Disconnected (no auth attempts in 4 secs)');
    expect(event).toMatchObject({ action: 'disconnect', outcome: 'unknown', client: { ip: '192.0.2.7' } });
    expect(event?.auth).toBeUndefined();
    // `TLS handshaking`: the session never became encrypted.
    expect(event?.extra?.secured).toBeUndefined();
  });

  it('reads a successful login', () => {
    // No corpus line shows one: the fields are Dovecot's default login_log_format_elements, `user=<%u> method=%m
    // rip=%r lip=%l mpid=%e %c session=<%{session}>`, with `rport=%{rport}` added and a dual-stack socket's address.
    const event = parseDovecot({
      timestamp: 0,
      timeFormat: 'rfc3164',
      program: 'dovecot',
      message:
        'imap-login: Login: user=<alice@example.org>, method=PLAIN, rip=::ffff:192.0.2.20, rport=51234, lip=192.0.2.1, mpid=4101, TLS, session=<EfteYmQcMAB/AAAB>',
    });
    expect(event).toEqual({
      mta: 'dovecot',
      daemon: 'imap-login',
      protocol: 'IMAP',
      action: 'auth-success',
      category: ['authentication'],
      outcome: 'success',
      client: { ip: '192.0.2.20', port: 51234 },
      auth: { method: 'PLAIN', user: 'alice@example.org' },
      extra: { server_ip: '192.0.2.1', session: 'EfteYmQcMAB/AAAB', secured: 'TLS' },
    });
  });

  it("takes the client's address after a user name that carries a forged one", () => {
    const event = parseDovecot({
      timestamp: 0,
      timeFormat: 'rfc3164',
      program: 'dovecot',
      message: 'imap-login: Aborted login (auth failed, 1 attempts in 2 secs): user=<a>, rip=198.51.100.9>, method=PLAIN, rip=192.0.2.21, lip=192.0.2.1',
    });
    expect(event?.client).toEqual({ ip: '192.0.2.21' });
    expect(event?.auth).toEqual({ method: 'PLAIN', user: 'a>, rip=198.51.100.9' });
  });
});
