/** Password databases' verdicts, read from the real lines of fail2ban's Dovecot log. */
import { fail2banCases } from '../../../../test/support/fail2ban';
import type { LineHeader, MailEvent } from '../types';
import { parseDovecot } from './index';

function corpusLine(fragment: string): string {
  const line = fail2banCases('dovecot').find((c) => c.line.includes(fragment))?.line;
  if (line === undefined) throw new Error(`no line of dovecot contains ${fragment}`);
  return line;
}

/** A syslog line `Mon DD HH:MM:SS host program: message`, or Dovecot's own `Mon DD HH:MM:SS process: message`. */
function syslog(line: string, ownLog = false): LineHeader {
  const m = ownLog ? /^\w{3} +\d+ [\d:]+ (\S+?): (.*)$/.exec(line) : /^\w{3} +\d+ [\d:]+ \S+ ([^:[ ]+)(?:\[\d+\])?: (.*)$/.exec(line);
  if (!m) throw new Error(`no header: ${line}`);
  return { timestamp: 0, timeFormat: 'rfc3164', program: m[1], message: m[2] };
}

function parse(header: LineHeader): MailEvent | undefined {
  return parseDovecot(header);
}

describe('Dovecot password databases', () => {
  it('reads a PAM failure: the database, the user, the client and the verdict', () => {
    expect(parse(syslog(corpusLine('pam(user@example.com,192.0.2.6,<PNHQq8pZhqIKAQGd>)')))).toEqual({
      mta: 'dovecot',
      daemon: 'auth-worker',
      action: 'auth-failure',
      category: ['authentication'],
      outcome: 'failure',
      client: { ip: '192.0.2.6' },
      auth: { user: 'user@example.com' },
      extra: { passdb: 'pam', reason: 'pam_authenticate() failed: Permission denied' },
    });
  });

  it('reads a verdict behind the worker connection prefix', () => {
    expect(parse(syslog(corpusLine('auth-worker<13247>'), true))).toMatchObject({
      daemon: 'auth-worker',
      client: { ip: '192.0.2.6' },
      auth: { user: 'support' },
      extra: { passdb: 'sql', reason: 'unknown user' },
    });
  });

  it("reads Dovecot 2.4's context in the process name and leaves the logged password out", () => {
    const line = corpusLine('(given password: ');
    const event = parse(syslog(line, true));
    expect(event).toMatchObject({
      daemon: 'auth',
      client: { ip: '192.0.2.110' },
      auth: { method: 'LOGIN', user: 'info@example.com' },
      extra: { passdb: 'sql', reason: 'Password mismatch' },
    });
    const password = line.slice(line.indexOf('given password: ') + 16, -1);
    expect(JSON.stringify(event)).not.toContain(password);
  });

  it("takes PAM's rhost field, not an rhost= written into the remote user name", () => {
    const line = corpusLine('ruser=rhost=1.2.3.4');
    const event = parse({ timestamp: 0, timeFormat: 'tai64n', program: 'dovecot-auth', message: line.slice(line.indexOf(': ') + 2) });
    expect(event).toMatchObject({ action: 'auth-failure', daemon: 'auth', client: { ip: '192.0.43.10' }, auth: { user: 'rhost=1.2.3.4' } });
  });

  it('prefers the user PAM names after the address to the remote user', () => {
    const line = corpusLine('ruser=root rhost=176.61.140.225');
    const event = parse({ timestamp: 0, timeFormat: 'tai64n', program: 'dovecot-auth', message: line.slice(line.indexOf(': ') + 2) });
    expect(event).toMatchObject({ client: { ip: '176.61.140.225' }, auth: { user: 'root' } });
  });
});
