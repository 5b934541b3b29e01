/**
 * Every line of fail2ban's Sendmail logs is a Sendmail event, and every line fail2ban bans an address for yields
 * that address as the client, with no line excepted. The syslog header is split here, so that this test pins down
 * the Sendmail parser alone.
 */
import { fail2banCases, fail2banFiles } from '../../../../test/support/fail2ban';
import type { LineHeader } from '../types';
import { parseSendmail } from './index';

/** `Feb 16 23:33:20 host sm-mta[5133]: message`, with FreeBSD's `<mail.info>` before the host in some lines. */
function headerOf(line: string): LineHeader {
  const m = /^\w{3} +\d+ [\d:]+ (?:<[\w.]+> )?(\S+) ([^:[ ]+)(?:\[(\d+)\])?: (.*)$/.exec(line);
  if (!m) throw new Error(`no syslog header: ${line}`);
  return { timestamp: 0, timeFormat: 'rfc3164', host: m[1], program: m[2], pid: m[3] === undefined ? undefined : Number(m[3]), message: m[4] };
}


describe.each(['sendmail-auth', 'sendmail-reject'])('fail2ban %s log', (file) => {
  const cases = fail2banCases(file);

  it('has the lines this proof is about', () => {
    expect(cases.filter((c) => c.expect?.match && c.expect.host).length).toBeGreaterThan(10);
  });

  it.each(cases.map((c) => [c.lineNo, c] as const))('line %i', (_lineNo, c) => {
    const event = parseSendmail(headerOf(c.line));
    expect(event).toBeDefined();
    expect(event?.action).not.toBe('other');
    if (c.expect?.match && c.expect.host !== undefined) expect(event?.client?.ip).toBe(c.expect.host);
  });
});

describe("other daemons' logs", () => {
  const foreign = fail2banFiles()
    .filter((file) => !file.startsWith('sendmail'))
    .flatMap((file) => fail2banCases(file))
    .filter((c) => /^\w{3} +\d+ [\d:]+ (?:<[\w.]+> )?\S+ [^:[ ]+(?:\[\d+\])?: /.test(c.line));

  it('are many', () => {
    expect(foreign.length).toBeGreaterThan(100);
  });

  it('have no syslog line the Sendmail parser takes for its own', () => {
    expect(foreign.filter((c) => parseSendmail(headerOf(c.line)) !== undefined).map((c) => c.line)).toEqual([]);
  });
});
