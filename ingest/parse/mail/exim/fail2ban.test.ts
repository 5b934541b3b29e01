/**
 * Every line of fail2ban's Exim logs is an Exim event, and every line fail2ban bans an address for yields that
 * address as the client, with no line excepted. The headers are split here with the three layouts these files
 * use, so that this test pins down the Exim parser alone.
 */
import { fail2banCases, fail2banFiles } from '../../../../test/support/fail2ban';
import type { LineHeader } from '../types';
import { parseExim } from './index';

/**
 * `2013-01-04 17:03:46 [pid] message` (Exim's own log), `2019-10-22 03:39:17 host exim[pid]: message` (syslog-ng
 * with ISO dates) and `host exim[pid]: 2021-07-17 23:20:49 message` (the journal, whose message keeps Exim's own
 * timestamp). The timestamp is not under test.
 */
function headerOf(line: string): LineHeader {
  const tagged = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (\S+) ([\w.-]+)\[(\d+)\]: (.*)$/.exec(line);
  if (tagged) return { timestamp: 0, timeFormat: 'iso-local', host: tagged[1], program: tagged[2], pid: Number(tagged[3]), message: tagged[4] };
  const own = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?:\[(\d+)\] )?(.*)$/.exec(line);
  if (own) return { timestamp: 0, timeFormat: 'iso-local', pid: own[1] === undefined ? undefined : Number(own[1]), message: own[2] };
  const journal = /^(\S+) ([\w.-]+)\[(\d+)\]: (.*)$/.exec(line);
  if (journal) return { timestamp: 0, timeFormat: 'other', host: journal[1], program: journal[2], pid: Number(journal[3]), message: journal[4] };
  throw new Error(`no header layout fits: ${line}`);
}


describe.each(['exim', 'exim-spam'])('fail2ban %s log', (file) => {
  const cases = fail2banCases(file);

  it('has the lines this proof is about', () => {
    expect(cases.filter((c) => c.expect?.match && c.expect.host).length).toBeGreaterThan(file === 'exim' ? 30 : 5);
  });

  it.each(cases.map((c) => [c.lineNo, c] as const))('line %i', (_lineNo, c) => {
    const event = parseExim(headerOf(c.line));
    expect(event).toBeDefined();
    expect(event?.action).not.toBe('other');
    if (c.expect?.match && c.expect.host !== undefined) expect(event?.client?.ip).toBe(c.expect.host);
  });
});

describe("other daemons' logs", () => {
  /** Lines with an ISO timestamp as Exim's own log has, which reach the parser without a program name. */
  const foreign = fail2banFiles()
    .filter((file) => !file.startsWith('exim'))
    .flatMap((file) => fail2banCases(file))
    .filter((c) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /.test(c.line));

  it('include a line of Dovecot\'s own log', () => {
    expect(foreign.some((c) => c.file === 'dovecot')).toBe(true);
  });

  it('have no line the Exim parser takes for its own', () => {
    expect(foreign.filter((c) => parseExim(headerOf(c.line)) !== undefined).map((c) => c.line)).toEqual([]);
  });
});
