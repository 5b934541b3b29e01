import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CORPUS } from '../../../test/support/corpus';
import { fail2banCases, fail2banFiles, FAIL2BAN_NOW } from '../../../test/support/fail2ban';
import { readHeader } from './header';
import type { LineHeader, TimeContext } from './types';

/** fail2ban runs its tests on a clock set to FAIL2BAN_NOW in Europe/Zurich; its expected times are Zurich wall clocks. */
const FAIL2BAN_TIME: TimeContext = { reference: FAIL2BAN_NOW, timeZone: 'Europe/Zurich' };
const UTC_AT_FAIL2BAN_NOW: TimeContext = { reference: FAIL2BAN_NOW, timeZone: 'UTC' };

/** The line at `lineNo` of a fail2ban corpus file. */
function corpusLine(file: string, lineNo: number): string {
  const found = fail2banCases(file).find((c) => c.lineNo === lineNo);
  if (found === undefined) throw new Error(`no log line at ${file}:${lineNo}`);
  return found.line;
}

function header(line: string, time: TimeContext = UTC_AT_FAIL2BAN_NOW): LineHeader {
  const result = readHeader(line, time);
  if ('error' in result) throw new Error(`no header for ${line}: ${result.error}`);
  return result;
}

/** `2005-08-14T12:51:04`: the wall clock of `ms` in `timeZone`, as fail2ban writes its expectations. */
function wallClock(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
    .format(ms)
    .replace(' ', 'T');
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Lines whose failJSON time this reader does not reproduce, each with the time it does give and why.
 */
const TIME_EXCEPTIONS = new Map<string, { time: string; why: string }>([
  ...[2, 5, 8, 10].map((lineNo): [string, { time: string; why: string }] => [
    `dovecot:${lineNo}`,
    {
      time: '2010-09-16T07:50:50',
      why: 'fail2ban reads TAI64N without the 10 s TAI offset that tai64nlocal subtracts (see tai64nToEpoch)',
    },
  ]),
  ['postfix:46', { time: '2005-03-07T02:09:33', why: 'the expectation is written "2005-03-7", without the zero of the day' }],
]);

describe('readHeader on the fail2ban corpus', () => {
  const cases = fail2banFiles().flatMap((file) => fail2banCases(file));

  it('covers every file of the corpus', () => {
    expect(new Set(cases.map((c) => c.file)).size).toBe(fail2banFiles().length);
    expect(cases.length).toBeGreaterThan(350);
  });

  it.each(cases.map((c) => [`${c.file}:${c.lineNo}`, c] as const))('reads %s', (key, c) => {
    const result = readHeader(c.line, FAIL2BAN_TIME);
    expect(result).not.toHaveProperty('error');
    const { timestamp, message } = result as LineHeader;
    expect(Number.isFinite(timestamp)).toBe(true);
    expect(message.length).toBeGreaterThan(0);
    const exception = TIME_EXCEPTIONS.get(key);
    const expected = exception?.time ?? c.expect?.time;
    if (expected !== undefined) expect(wallClock(timestamp, 'Europe/Zurich')).toBe(expected);
  });

  it('gives, with the zone left at UTC, the wall clock of every zoneless line as its UTC time', () => {
    let compared = 0;
    for (const c of cases) {
      const result = header(c.line);
      if (c.expect?.time === undefined || result.timeFormat === 'tai64n' || TIME_EXCEPTIONS.has(`${c.file}:${c.lineNo}`)) continue;
      // Roundcube's `[22-Jan-2013 22:28:21 +0200]` carries its own zone.
      if (c.file === 'roundcube-auth' && c.line.startsWith('[')) continue;
      expect(iso(result.timestamp).slice(0, 19)).toBe(c.expect.time);
      compared++;
    }
    expect(compared).toBeGreaterThan(300);
  });
});

describe('readHeader: RFC 3164 syslog', () => {
  it('reads host, program and pid', () => {
    const result = header(corpusLine('cyrus-imap', 2));
    expect(result).toMatchObject({ timeFormat: 'rfc3164', host: 'hostname', program: 'cyrus/imap', pid: 5355 });
    expect(result.message).toMatch(/^badlogin: localhost\.localdomain \[127\.0\.0\.1\]/);
    expect(iso(result.timestamp)).toBe('2005-01-04T21:51:05.000Z');
  });

  it('reads a single-digit day after two spaces or one', () => {
    expect(iso(header(corpusLine('courier-smtp', 4)).timestamp)).toBe('2005-07-03T23:07:20.000Z');
    expect(corpusLine('courier-smtp', 4).startsWith('Jul  3 ')).toBe(true);
    expect(iso(header(corpusLine('uwimap-auth', 2)).timestamp)).toBe('2005-07-03T20:56:53.000Z');
    expect(corpusLine('uwimap-auth', 2).startsWith('Jul 3 ')).toBe(true);
  });

  it('keeps every part of a program name: Postfix services, Cyrus services, Perdition', () => {
    const postfix = fail2banCases('postfix').find((c) => c.line.includes('postfix/submission/smtpd['));
    expect(header(postfix?.line ?? '')).toMatchObject({ host: 'trianon', program: 'postfix/submission/smtpd' });
    expect(header(corpusLine('perdition', 2))).toMatchObject({ host: 'ares', program: 'perdition.imaps', pid: 3194 });
    expect(header(corpusLine('sendmail-reject', 4))).toMatchObject({ program: 'sm-acceptingconnections', pid: 27713 });
  });

  it('reads a tag that follows the time directly as the program, with no host', () => {
    expect(header(corpusLine('cyrus-imap', 8))).toMatchObject({ host: undefined, program: 'cyrus/pop3', pid: 4297 });
    const dovecot = header(corpusLine('dovecot', 109));
    expect(dovecot).toMatchObject({ host: undefined, program: 'auth', pid: undefined });
    expect(dovecot.message).toBe('Info: ldap(dog,52.37.139.121,): invalid credentials');
  });

  it("reads SOGo's `sogod [26818]:` with the space before the pid", () => {
    const result = header(corpusLine('sogo-auth', 7));
    expect(result).toMatchObject({ host: undefined, program: 'sogod', pid: 26818 });
    expect(result.message.startsWith('SOGoRootPage Login from ')).toBe(true);
  });

  it("reads Horde's `HORDE [error]` as its program and keeps the priority in the message", () => {
    const result = header(corpusLine('horde', 2));
    expect(result).toMatchObject({ host: undefined, program: 'HORDE', pid: undefined });
    expect(result.message.startsWith('[error] [horde] FAILED LOGIN for graham')).toBe(true);
  });

  it('reads the facility and severity FreeBSD syslogd -v writes by name', () => {
    expect(header(corpusLine('sendmail-reject', 127))).toMatchObject({
      host: 'alarmpi',
      program: 'sm-mta',
      pid: 24291,
      facility: 2,
      severity: 5,
    });
  });

  it('reads a PRI before the timestamp', () => {
    const line = corpusLine('courier-smtp', 14);
    // mail.info: facility 2, severity 6.
    const result = header(`<22>${line}`);
    expect(result).toMatchObject({ facility: 2, severity: 6, host: 'mail.server', program: 'courieresmtpd', pid: 26762 });
    expect(result.message).toBe(header(line).message);
    expect(result.timestamp).toBe(header(line).timestamp);
  });

  it('infers the year from the reference: December read in January is last December', () => {
    const december = corpusLine('cyrus-imap', 12);
    const january = corpusLine('cyrus-imap', 2);
    expect(december.startsWith('Dec 21 ')).toBe(true);
    expect(january.startsWith('Jan 4 ')).toBe(true);
    const inJanuary: TimeContext = { reference: Date.UTC(2006, 0, 5, 8), timeZone: 'UTC' };
    expect(iso(header(december, inJanuary).timestamp)).toBe('2005-12-21T10:01:57.000Z');
    expect(iso(header(january, inJanuary).timestamp)).toBe('2006-01-04T21:51:05.000Z');
  });

  it('applies the configured zone to zoneless times', () => {
    const line = corpusLine('courier-auth', 2);
    expect(iso(header(line, { reference: FAIL2BAN_NOW, timeZone: 'America/New_York' }).timestamp)).toBe(
      '2005-04-24T01:59:01.000Z',
    );
  });

  it('leaves the carriage return of a CRLF file and trailing blanks out of the message', () => {
    const line = corpusLine('uwimap-auth', 22);
    expect(line.endsWith(' ')).toBe(true);
    expect(header(line).message.endsWith('[127.0.55.22]')).toBe(true);
    expect(header(`${corpusLine('sieve', 2)}\r`).message).toBe('badlogin: example.com[1.2.3.4] PLAIN authentication failure');
  });
});

describe('readHeader: ISO timestamps', () => {
  it("reads Exim's own log with and without its [pid]", () => {
    const plain = header(corpusLine('exim', 3));
    expect(plain).toMatchObject({ timeFormat: 'iso-local', host: undefined, program: undefined, pid: undefined });
    expect(plain.message.startsWith('login authenticator failed for ')).toBe(true);
    expect(iso(plain.timestamp)).toBe('2013-01-04T17:03:46.000Z');
    const withPid = header(corpusLine('exim', 53));
    expect(withPid).toMatchObject({ pid: 13314, program: undefined });
    expect(withPid.message.startsWith('SMTP protocol synchronization error')).toBe(true);
  });

  it('does not take the first word of an Exim or Dovecot message for a program', () => {
    expect(header(corpusLine('exim-spam', 22))).toMatchObject({ program: undefined, host: undefined });
    expect(header(corpusLine('exim-spam', 22)).message.startsWith('1VxHRO-000NiI-Ly SA: Action:')).toBe(true);
    expect(header(corpusLine('dovecot', 38))).toMatchObject({ program: undefined, host: undefined });
  });

  it("reads Exim's milliseconds and zone (log_timezone), here added to a real line", () => {
    const line = corpusLine('exim', 3).replace('17:03:46', '17:03:46.123 +0100');
    const result = header(line);
    expect(iso(result.timestamp)).toBe('2013-01-04T16:03:46.123Z');
    expect(result.timeFormat).toBe('other');
    expect(result.message).toBe(header(corpusLine('exim', 3)).message);
  });

  it('reads host and program that syslog-ng writes after an ISO time, and drops the repeated Exim pid', () => {
    expect(header(corpusLine('exim', 20))).toMatchObject({ host: 'mx1.fqdn.local', program: 'exim', pid: 29786 });
    const severityFirst = header(corpusLine('exim', 93));
    expect(severityFirst).toMatchObject({ host: undefined, program: 'exim', pid: 8003, severity: 6 });
    expect(severityFirst.message.startsWith('SMTP protocol error in "AUTH LOGIN"')).toBe(true);
  });

  it("reads the program's own timestamp after a journal's `host prog[pid]:`", () => {
    const result = header(corpusLine('exim', 40));
    expect(result).toMatchObject({ timeFormat: 'iso-local', host: 'mail.example.com', program: 'exim', pid: 3751842 });
    expect(iso(result.timestamp)).toBe('2021-07-17T23:20:49.000Z');
    expect(result.message.startsWith('plain_server authenticator failed for ')).toBe(true);
  });

  // No corpus file is written by rsyslog's high-precision template: these lines put a real line's fields in it.
  it('reads an RFC 3339 timestamp with fraction and offset, then host and tag', () => {
    const real = header(corpusLine('courier-smtp', 14));
    const line = `2005-08-14T12:51:04.123456+02:00 ${real.host} ${real.program}[${real.pid}]: ${real.message}`;
    const result = header(line);
    expect(result).toMatchObject({ timeFormat: 'rfc3339', host: 'mail.server', program: 'courieresmtpd', pid: 26762 });
    expect(result.message).toBe(real.message);
    expect(iso(result.timestamp)).toBe('2005-08-14T10:51:04.123Z');
    expect(iso(header(line.replace('+02:00', 'Z')).timestamp)).toBe('2005-08-14T12:51:04.123Z');
  });
});

// No corpus file is in RFC 5424: these lines put the fields of a real corpus line in its layout.
describe('readHeader: RFC 5424', () => {
  const real = header(corpusLine('courier-smtp', 14));

  it('reads PRI, timestamp, host, app, procid, skips structured data and the BOM, and keeps the message', () => {
    const line =
      `<22>1 2005-08-14T12:51:04.003+02:00 ${real.host} ${real.program} ${real.pid} ID47 ` +
      `[exampleSDID@32473 iut="3" eventSource="Application \\"quoted\\] bracket"][examplePriority@32473 class="high"] ` +
      `\uFEFF${real.message}`;
    const result = header(line);
    expect(result).toEqual({
      timestamp: Date.UTC(2005, 7, 14, 10, 51, 4, 3),
      timeFormat: 'rfc3339',
      host: 'mail.server',
      program: 'courieresmtpd',
      pid: 26762,
      facility: 2,
      severity: 6,
      message: real.message,
    });
  });

  it('reads NILVALUE fields as absent', () => {
    const result = header(`<22>1 2005-08-14T12:51:04Z - - - - - ${real.message}`);
    expect(result).toMatchObject({ host: undefined, program: undefined, pid: undefined, message: real.message });
  });

  it('gives the reason for a line whose timestamp is the NILVALUE', () => {
    expect(readHeader(`<22>1 - ${real.host} ${real.program} - - - ${real.message}`, UTC_AT_FAIL2BAN_NOW)).toEqual({
      error: 'RFC 5424 line whose timestamp is the NILVALUE "-"',
    });
  });
});

describe('readHeader: the other formats of the corpus', () => {
  it('reads TAI64N with the program and no host', () => {
    const result = header(corpusLine('dovecot', 2));
    expect(result).toMatchObject({ timeFormat: 'tai64n', host: undefined, program: 'imap-login' });
    expect(iso(result.timestamp)).toBe('2010-09-16T05:50:50.125Z');
    expect(result.message.startsWith('Info: Aborted login (auth failed, 1 attempts)')).toBe(true);
  });

  it.each([
    ['assp', 2, '2013-04-07T07:08:36', '[SSL-out] 68.171.223.68 SSL negotiation'],
    ['domino-smtp', 2, '2005-07-03T23:07:20', 'SMTP Server: Authentication failed'],
    ['kerio', 2, '2011-06-17T17:00:45', 'Attempt to deliver to unknown recipient'],
    ['groupoffice', 2, '2014-01-06T10:59:38', 'LOGIN FAILED for user: "asdsad"'],
    ['openwebmail', 2, '2013-12-28T19:03:53', '- [72926] (178.123.108.196) gsdfg'],
    ['squirrelmail', 3, '2013-10-06T15:50:41', '[LOGIN_ERROR] dadas (mydomain.org)'],
  ])('reads the timestamp of %s:%i', (file, lineNo, time, messageStart) => {
    const result = header(corpusLine(file, lineNo));
    expect(result).toMatchObject({ timeFormat: 'other', host: undefined, program: undefined });
    expect(iso(result.timestamp).slice(0, 19)).toBe(time);
    expect(result.message.startsWith(messageStart)).toBe(true);
  });

  it("reads Domino's `[pid:thread]` before its date", () => {
    const result = header(corpusLine('domino-smtp', 4));
    expect(result).toMatchObject({ pid: 28325, message: 'smtp: postmaster [1.2.3.4] authentication failure using internet password' });
    expect(iso(result.timestamp)).toBe('2014-06-22T09:56:12.000Z');
  });

  it("reads Roundcube's date with its own zone", () => {
    const result = header(corpusLine('roundcube-auth', 2));
    expect(iso(result.timestamp)).toBe('2013-01-22T20:28:21.000Z');
    expect(result.message).toBe('FAILED login for user1 from 192.0.43.10');
    expect(iso(header(corpusLine('roundcube-auth', 40)).timestamp)).toBe('2015-05-10T17:02:52.000Z');
  });

  it('reads the Apache common log lines in SOGo logs, keeping the whole line as the message', () => {
    const line = corpusLine('sogo-auth', 9);
    const result = header(line, { reference: FAIL2BAN_NOW, timeZone: 'Europe/Zurich' });
    expect(iso(result.timestamp)).toBe('2013-03-24T08:58:32.000Z');
    expect(result).toMatchObject({ host: undefined, program: undefined, message: line });
  });
});

describe('readHeader: lines without a header', () => {
  // Postfix messages as postfix-grok-patterns keeps them: the syslog prefix cut off.
  const grokDir = path.join(CORPUS, 'mail', 'postfix-grok-patterns', 'test');
  const messages = readdirSync(grokDir).map((file) => (parseYaml(readFileSync(path.join(grokDir, file), 'utf8')) as { data: string }).data);

  it('gives the reason for every message that lost its syslog prefix', () => {
    expect(messages.length).toBeGreaterThan(150);
    for (const message of messages) {
      expect(readHeader(message, UTC_AT_FAIL2BAN_NOW)).toEqual({ error: 'no timestamp in a format the mail reader knows' });
    }
  });

  it('refuses a date that does not exist', () => {
    const line = corpusLine('exim', 3);
    expect(readHeader(line.replace('2013-01-04', '2013-13-04'), UTC_AT_FAIL2BAN_NOW)).toEqual({
      error: 'timestamp with an impossible date or time of day',
    });
    expect(readHeader(line.replace('2013-01-04', '2013-02-29'), UTC_AT_FAIL2BAN_NOW)).toHaveProperty('error');
    expect(readHeader(corpusLine('cyrus-imap', 2).replace('21:51:05', '25:51:05'), UTC_AT_FAIL2BAN_NOW)).toHaveProperty('error');
  });
});
