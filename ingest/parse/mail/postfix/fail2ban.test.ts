/**
 * fail2ban's Postfix test log: real smtpd and postscreen lines, each annotated with the attacker's address
 * fail2ban's filters take from it. Every line must be read, and every line fail2ban bans on must name that address
 * as the client.
 */
import { fail2banCases, type Fail2banCase } from '../../../../test/support/fail2ban';
import type { LineHeader } from '../types';
import { parsePostfix } from './index';

/**
 * The RFC 3164 prefix, split here because the header reader is not what this test is about: date, host, program,
 * pid, message.
 */
const SYSLOG = /^(\w{3} +\d+ [\d:]+) (\S+) ([^:[]+)(?:\[(\d+)\])?: (.*)$/;

function headerOf(c: Fail2banCase): LineHeader {
  const m = SYSLOG.exec(c.line);
  if (m === null) throw new Error(`line ${c.lineNo} has no RFC 3164 prefix: ${c.line}`);
  return { timestamp: 0, timeFormat: 'rfc3164', host: m[2], program: m[3], pid: Number(m[4]), message: m[5] };
}

const cases = fail2banCases('postfix');
const label = (c: Fail2banCase): string => `line ${c.lineNo}: ${c.line.slice(16, 110)}`;

describe('fail2ban postfix log', () => {
  it('has the lines this test reads', () => {
    expect(cases.length).toBeGreaterThan(50);
  });

  it.each(cases.map((c) => [label(c), c] as const))('reads %s', (_, c) => {
    const event = parsePostfix(headerOf(c));
    expect(event).toBeDefined();
    expect(event?.mta).toBe('postfix');
  });

  const banned = cases.filter((c) => c.expect?.match === true && c.expect.host !== undefined);

  it.each(banned.map((c) => [label(c), c] as const))('names the client fail2ban bans in %s', (_, c) => {
    expect(parsePostfix(headerOf(c))?.client?.ip).toBe(c.expect?.host);
  });

  it('reads SASL failures as authentication failures with their mechanism', () => {
    const sasl = cases.filter((c) => /SASL \w+ authentication failed/.test(c.line));
    expect(sasl.length).toBeGreaterThan(10);
    for (const c of sasl) {
      const event = parsePostfix(headerOf(c));
      expect(event?.action).toBe('auth-failure');
      expect(event?.outcome).toBe('failure');
      expect(event?.category).toContain('authentication');
      expect(event?.auth?.method).toBe(/SASL (\S+)/.exec(c.line)?.[1].toUpperCase());
    }
    const withUser = cases.find((c) => c.line.includes('sasl_username='));
    expect(parsePostfix(headerOf(withUser as Fail2banCase))?.auth?.user).toBe('admin');
  });

  it('reads restriction rejects with their stage, reply code and enhanced status code', () => {
    const rejects = cases.filter((c) => / reject: [A-Z]+ from /.test(c.line));
    expect(rejects.length).toBeGreaterThan(20);
    for (const c of rejects) {
      const event = parsePostfix(headerOf(c));
      const [, stage, code, dsn] = / reject: ([A-Z]+) from \S+: (\d{3}) (\d\.\d+\.\d+)/.exec(c.line) ?? [];
      expect(event?.action).toBe('reject');
      expect(event?.reject?.stage).toBe(stage);
      expect(event?.reject?.code).toBe(Number(code));
      expect(event?.reject?.dsn).toBe(dsn);
    }
  });

  it('tells instances apart by the syslog name and keeps the daemon', () => {
    const programs = new Map(cases.map((c) => [headerOf(c).program, parsePostfix(headerOf(c))]));
    expect(programs.get('postfix-incoming/smtpd')).toMatchObject({ instance: 'postfix-incoming', daemon: 'smtpd' });
    expect(programs.get('postfix-smo/submission/smtpd')).toMatchObject({
      instance: 'postfix-smo/submission',
      daemon: 'smtpd',
      queueId: '44JCRG5tYPzCqt2',
    });
    expect(programs.get('postfix/postscreen')).toMatchObject({ instance: 'postfix', daemon: 'postscreen' });
  });
});
