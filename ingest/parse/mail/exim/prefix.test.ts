/**
 * Exim lines that reach us through syslog or the journal keep Exim's own timestamp and `[pid]` in the message: the
 * parser reads past them. The lines are fail2ban's.
 */
import { fail2banCases } from '../../../../test/support/fail2ban';
import { parseExim } from './index';

function corpusLine(fragment: string): string {
  const line = fail2banCases('exim').find((c) => c.line.includes(fragment))?.line;
  if (line === undefined) throw new Error(`no line of exim contains ${fragment}`);
  return line;
}

describe('Exim messages after a syslog header', () => {
  it("reads past Exim's timestamp in a journal entry", () => {
    const line = corpusLine('exim[3751842]');
    const message = line.slice(line.indexOf(': ') + 2);
    expect(message.startsWith('2021-07-17 23:20:49 ')).toBe(true);
    expect(parseExim({ timestamp: 0, timeFormat: 'other', program: 'exim', message })).toMatchObject({
      action: 'auth-failure',
      auth: { method: 'plain_server' },
      client: { ip: '192.0.2.27' },
    });
  });

  it("reads past Exim's [pid] repeated after the syslog tag", () => {
    const line = corpusLine('info exim[8003]');
    const message = line.slice(line.indexOf(']: ') + 3);
    expect(message.startsWith('[8003] ')).toBe(true);
    expect(parseExim({ timestamp: 0, timeFormat: 'iso-local', program: 'exim', pid: 8003, message })).toMatchObject({
      action: 'reject',
      reject: { stage: 'AUTH', text: 'LOGIN authentication mechanism not supported' },
      client: { ip: '192.0.2.29', port: 4816 },
    });
  });

  it("leaves another program's lines alone", () => {
    const line = corpusLine('rrcs-24-106-174-74');
    expect(parseExim({ timestamp: 0, timeFormat: 'iso-local', program: 'postfix/smtpd', message: line.slice(20) })).toBeUndefined();
  });
});
