/**
 * Every line of fail2ban's Dovecot log is a Dovecot event, and every line fail2ban bans an address for yields that
 * address as the client, with no line excepted. The headers are split here with the layouts the file uses, so that
 * this test pins down the Dovecot parser alone.
 */
import { fail2banCases, fail2banFiles } from '../../../../test/support/fail2ban';
import type { LineHeader } from '../types';
import { parseDovecot } from './index';

/**
 * `@4000000063a1b2c3... imap-login: Info: ...` (multilog's TAI64N), `2013-08-11 03:56:40 auth-worker(default): ...`
 * (Dovecot's own log with ISO dates: no program), `Jan 29 09:33:58 pop3-login: Info: ...` (its own log with syslog
 * dates: the process is the program), and syslog's `Dec 12 11:19:11 host dovecot: pop3-login: ...`.
 */
function headerOf(line: string): LineHeader {
  const tai64n = /^@[0-9a-f]{24} ([^:]+): (.*)$/.exec(line);
  if (tai64n) return { timestamp: 0, timeFormat: 'tai64n', program: tai64n[1], message: tai64n[2] };
  const iso = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (.*)$/.exec(line);
  if (iso) return { timestamp: 0, timeFormat: 'iso-local', message: iso[1] };
  const own = /^\w{3} +\d+ [\d:]+ (\S+?): (.*)$/.exec(line);
  if (own) return { timestamp: 0, timeFormat: 'rfc3164', program: own[1], message: own[2] };
  const syslog = /^\w{3} +\d+ [\d:]+ (\S+) ([^:[ ]+)(?:\[(\d+)\])?: (.*)$/.exec(line);
  if (syslog) return { timestamp: 0, timeFormat: 'rfc3164', host: syslog[1], program: syslog[2], message: syslog[4] };
  throw new Error(`no header layout fits: ${line}`);
}

describe('fail2ban dovecot log', () => {
  const cases = fail2banCases('dovecot');

  it('has the lines this proof is about', () => {
    expect(cases.filter((c) => c.expect?.match && c.expect.host).length).toBeGreaterThan(40);
  });

  it.each(cases.map((c) => [c.lineNo, c] as const))('line %i', (_lineNo, c) => {
    const event = parseDovecot(headerOf(c.line));
    expect(event?.mta).toBe('dovecot');
    if (c.expect?.match && c.expect.host !== undefined) expect(event?.client?.ip).toBe(c.expect.host);
  });
});

describe("other daemons' logs", () => {
  /** Every line of fail2ban's other logs with a syslog header, or an ISO timestamp and no program as Exim's own log. */
  const foreign = fail2banFiles()
    .filter((file) => file !== 'dovecot')
    .flatMap((file) => fail2banCases(file))
    .flatMap((c): Array<[string, LineHeader]> => {
      const syslog = /^\w{3} +\d+ [\d:]+ (?:<[\w.]+> )?(\S+) ([^:[ ]+)(?:\[(\d+)\])?: (.*)$/.exec(c.line);
      if (syslog) return [[c.line, { timestamp: 0, timeFormat: 'rfc3164', host: syslog[1], program: syslog[2], message: syslog[4] }]];
      const iso = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (.*)$/.exec(c.line);
      return iso ? [[c.line, { timestamp: 0, timeFormat: 'iso-local', message: iso[1] }]] : [];
    });

  it('are many', () => {
    expect(foreign.length).toBeGreaterThan(200);
  });

  it('have no line the Dovecot parser takes for its own', () => {
    expect(foreign.filter(([, header]) => parseDovecot(header) !== undefined).map(([line]) => line)).toEqual([]);
  });
});
