import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CORPUS } from '../../../test/support/corpus';
import { fail2banCases, fail2banFiles, FAIL2BAN_NOW } from '../../../test/support/fail2ban';
import { readHeader } from './header';
import { parseOtherDaemon } from './other';
import type { LineHeader, MailEvent } from './types';

const TIME = { reference: FAIL2BAN_NOW, timeZone: 'UTC' };

/** The corpus files of the daemons with their own parsers. */
const OWN_PARSERS = new Set(['postfix', 'exim', 'exim-spam', 'sendmail-auth', 'sendmail-reject', 'dovecot']);

function header(line: string): LineHeader {
  const result = readHeader(line, TIME);
  if ('error' in result) throw new Error(`no header for ${line}: ${result.error}`);
  return result;
}

function corpusLine(file: string, lineNo: number): string {
  const found = fail2banCases(file).find((c) => c.lineNo === lineNo);
  if (found === undefined) throw new Error(`no log line at ${file}:${lineNo}`);
  return found.line;
}

function parseLine(line: string): MailEvent | undefined {
  return parseOtherDaemon(header(line));
}

function parsed(file: string, lineNo: number): MailEvent {
  const event = parseLine(corpusLine(file, lineNo));
  if (event === undefined) throw new Error(`${file}:${lineNo} not recognised`);
  return event;
}

describe('parseOtherDaemon on the fail2ban corpus', () => {
  const files = fail2banFiles().filter((file) => !OWN_PARSERS.has(file));
  const cases = files.flatMap((file) => fail2banCases(file));

  it('has the files of seventeen daemons to read', () => {
    expect(files).toHaveLength(17);
  });

  it.each(cases.map((c) => [`${c.file}:${c.lineNo}`, c] as const))('reads %s as fail2ban does', (_key, c) => {
    const result = readHeader(c.line, TIME);
    expect(result).not.toHaveProperty('error');
    const lineHeader = result as LineHeader;
    if (c.expect?.time !== undefined && !(c.file === 'roundcube-auth' && c.line.startsWith('['))) {
      // fail2ban's times are wall clocks; Roundcube's own log carries a zone, checked in header.test.ts.
      expect(new Date(lineHeader.timestamp).toISOString().slice(0, 19)).toBe(c.expect.time);
    }
    const event = parseOtherDaemon(lineHeader);
    if (c.expect?.match === true) {
      expect(event).toBeDefined();
      expect(event?.mta).toBe('other');
      expect(event?.outcome).toBe('failure');
      if (c.expect.host !== undefined) expect(event?.client?.ip?.toLowerCase()).toBe(c.expect.host.toLowerCase());
      const user = (c.expect as { user?: string }).user;
      if (user !== undefined) expect(event?.auth?.user).toBe(user);
    } else if (c.expect?.match === false) {
      // A line fail2ban does not count is not reported as a failure (it may still be a success).
      expect(event?.outcome).not.toBe('failure');
    }
  });
});

describe('parseOtherDaemon leaves the lines of the other parsers alone', () => {
  it.each([...OWN_PARSERS])('recognises no line of %s', (file) => {
    const claimed = fail2banCases(file).filter((c) => parseLine(c.line) !== undefined);
    expect(claimed.map((c) => c.line)).toEqual([]);
  });

  it('recognises no Postfix message of postfix-grok-patterns, with or without its program', () => {
    const dir = path.join(CORPUS, 'mail', 'postfix-grok-patterns', 'test');
    const docs = readdirSync(dir).map((file) => parseYaml(readFileSync(path.join(dir, file), 'utf8')) as { pattern: string; data: string });
    expect(docs.length).toBeGreaterThan(150);
    for (const doc of docs) {
      const daemon = /POSTFIX_([A-Z]+)/.exec(doc.pattern)?.[1]?.toLowerCase() ?? 'smtpd';
      for (const program of [undefined, `postfix/${daemon}`]) {
        expect(parseOtherDaemon({ timestamp: 0, timeFormat: 'rfc3164', program, message: doc.data })).toBeUndefined();
      }
    }
  });
});

describe('parseOtherDaemon: what each daemon says', () => {
  it('Courier IMAP/POP3: user, method, port and the IPv4 address behind ::ffff:', () => {
    expect(parsed('courier-auth', 12)).toEqual({
      mta: 'other',
      daemon: 'imapd',
      action: 'auth-failure',
      category: ['authentication'],
      outcome: 'failure',
      protocol: 'IMAP',
      client: { ip: '192.0.2.5', port: 255 },
      auth: { user: 'tester' },
      extra: { product: 'courier' },
    });
    expect(parsed('courier-auth', 10).auth).toEqual({ method: 'PLAIN' });
    expect(parsed('courier-auth', 8)).toMatchObject({ daemon: 'courierpop3login', protocol: 'POP3' });
  });

  it('Courier: a successful login (the corpus line with the failure taken out of it)', () => {
    const line = corpusLine('courier-auth', 12).replace('LOGIN FAILED, ', 'LOGIN, ').concat(', protocol=IMAP');
    expect(parseLine(line)).toMatchObject({ action: 'auth-success', outcome: 'success', client: { ip: '192.0.2.5', port: 255 } });
  });

  it('Courier SMTP: a refused recipient keeps the envelope and the reply', () => {
    expect(parsed('courier-smtp', 2)).toMatchObject({
      action: 'reject',
      category: ['email'],
      outcome: 'failure',
      client: { ip: '1.2.3.4' },
      from: 'tmf@example.com',
      to: 'mailman-subscribe@example.com',
      reject: { code: 550, text: 'User unknown.' },
      extra: { product: 'courier', ident: 'tmf' },
    });
    expect(parsed('courier-smtp', 10)).toMatchObject({ from: '', to: '' });
    expect(parsed('courier-smtp', 8).to).toBe('admin at memcpy');
  });

  it('Courier SMTP: a refused login keeps the mechanism but not the credentials sent with it', () => {
    const line = corpusLine('courier-smtp', 14);
    const event = parsed('courier-smtp', 14);
    expect(event).toMatchObject({ action: 'auth-failure', auth: { method: 'PLAIN' }, reject: { code: 535, text: 'Authentication failed.' } });
    const credentials = line.slice(line.indexOf('AUTH PLAIN ') + 11).split(' ')[0];
    expect(credentials.length).toBeGreaterThan(8);
    expect(JSON.stringify(event)).not.toContain(credentials);
    expect(parsed('courier-smtp', 16).client).toEqual({ ip: '192.0.2.3', port: 43632 });
  });

  it('Cyrus: host, mechanism, user and the SASL reason; the instance from `cyrus/imap`', () => {
    expect(parsed('cyrus-imap', 2)).toMatchObject({
      daemon: 'imap',
      instance: 'cyrus',
      protocol: 'IMAP',
      client: { host: 'localhost.localdomain', ip: '127.0.0.1' },
      auth: { method: 'plaintext', user: 'cyrus@localdomain' },
      extra: { product: 'cyrus', reason: 'SASL(-13): authentication failure: checkpass failed' },
    });
    expect(parsed('cyrus-imap', 14).client).toEqual({ host: 'local-somehost', ip: '1.2.3.4' });
    expect(parsed('cyrus-imap', 21).client).toEqual({ host: undefined, ip: '192.0.2.4' });
    expect(parsed('cyrus-imap', 10).extra?.reason).toBe("SASL(-13): authentication failure: client response doesn't match what we generated");
    expect(parsed('sieve', 4)).toMatchObject({ daemon: 'timsieved', instance: 'cyrus', auth: { method: 'PLAIN' } });
  });

  it('UW IMAP: user and reverse name; `Failed uwmaster override` too', () => {
    expect(parsed('uwimap-auth', 5)).toMatchObject({
      daemon: 'ipop3d',
      protocol: 'POP3',
      client: { host: '74-115-52-198-dedicated.multacom.com', ip: '198.52.115.74' },
      auth: { user: 'info' },
      extra: { product: 'uw-imap' },
    });
    expect(parsed('uwimap-auth', 22)).toMatchObject({ auth: { user: 'pro1' }, client: { host: 'r22.j.de', ip: '127.0.55.22' } });
  });

  it('UW IMAP: a successful login (the corpus line with the failure taken out of it)', () => {
    const line = corpusLine('uwimap-auth', 2).replace('Login failed user=lizdy auth=lizdy ', 'Login user=lizdy ');
    expect(parseLine(line)).toMatchObject({ action: 'auth-success', outcome: 'success', auth: { user: 'lizdy' }, client: { ip: '81.169.154.112' } });
  });

  it('solid-pop3d: the user of every form of failure', () => {
    const users = fail2banCases('solid-pop3d').map((c) => parseLine(c.line)?.auth?.user);
    expect(users).toEqual(['adrian', 'adrian', 'adrain', 'adrain', 'root', 'adrian', 'adrian', 'jacques']);
    expect(parsed('solid-pop3d', 21).auth?.method).toBe('APOP');
  });

  it('Perdition: client address and port, user, protocol, server and status', () => {
    expect(parsed('perdition', 2)).toMatchObject({
      daemon: 'perdition.imaps',
      protocol: 'IMAP4S',
      client: { ip: '192.168.8.100', port: 2274 },
      auth: { user: 'carles' },
      extra: { product: 'perdition', status: 'failed: Re-Authentication Failure', server: 'imap.biotoul.fr:993' },
    });
    expect(parsed('perdition', 4).client).toEqual({ ip: '192.168.8.100', port: 2274 });
  });

  it('qmail: the block list and the reply, through splogger or alone', () => {
    expect(parsed('qmail', 2)).toMatchObject({
      daemon: 'rblsmtpd',
      action: 'reject',
      reject: { code: 451, reason: 'sbl-xbl.spamhaus.org', text: 'http://www.spamhaus.org/query/bl?ip=198.51.100.77' },
    });
    expect(parsed('qmail', 4)).toMatchObject({ daemon: 'qmail-smtpd', reject: { code: 421, reason: 'example.com' } });
    expect(parsed('qmail', 8)).toMatchObject({ daemon: 'rblsmtpd', reject: { reason: 'relays.ordb.org' } });
  });

  it('Roundcube: the address the server wrote, whatever the user name and the IMAP answer hold', () => {
    expect(parsed('roundcube-auth', 12).auth?.user).toBe('admin from 127.0.0.1');
    expect(parsed('roundcube-auth', 15).auth?.user).toBe('admin from 127.0.0.1.');
    expect(parsed('roundcube-auth', 24)).toMatchObject({ client: { ip: '1.2.3.4' }, auth: { user: 'admin from 127.0.0.1.', method: 'PLAIN' } });
    expect(parsed('roundcube-auth', 32).auth?.user).toBe('admin from 127.0.0.1 in');
    expect(parsed('roundcube-auth', 53).client?.ip).toBe('192.0.2.2');
    expect(parsed('roundcube-auth', 60)).toMatchObject({ auth: { user: 'admin@example.com' }, extra: { server: 'localhost' } });
    expect(parsed('roundcube-auth', 50)).toMatchObject({ daemon: 'roundcube', auth: { user: 'admin@example.com' } });
  });

  it('Horde: the user and the application', () => {
    expect(parsed('horde', 2)).toMatchObject({ daemon: 'horde', auth: { user: 'graham' }, extra: { product: 'horde' } });
    expect(parsed('horde', 5)).toMatchObject({ daemon: 'imp', auth: { user: 'emai.user@somedomain.com' }, client: { ip: '1.2.3.4' } });
  });

  it('SOGo: the first address of a forwarded list is the client', () => {
    expect(parsed('sogo-auth', 7)).toMatchObject({ daemon: 'sogod', auth: { user: 'hack0r' }, client: { ip: '173.194.44.31' } });
    expect(parsed('sogo-auth', 33)).toMatchObject({ client: { ip: '192.0.2.16' }, extra: { forwardedFor: '192.0.2.16, 10.0.0.1' } });
  });

  it('Domino: user names with spaces, and the refusal for policy reasons', () => {
    expect(parsed('domino-smtp', 11).auth?.user).toBe('user with space in name');
    expect(parsed('domino-smtp', 19)).toMatchObject({ auth: { user: 'Bad Hacker' }, client: { ip: '192.0.2.1' } });
    expect(parsed('domino-smtp', 21)).toMatchObject({
      action: 'reject',
      reject: { stage: 'CONNECT', reason: 'policy reasons. IP address of connecting host not found in reverse DNS lookup.' },
    });
  });

  it('Kerio: envelope, block list and mechanism', () => {
    expect(parsed('kerio', 2)).toMatchObject({ from: 'bekytnabvnvyx@aapug.org', to: 'advertise@aplawrence.com', reject: { stage: 'RCPT' } });
    expect(parsed('kerio', 11)).toMatchObject({ to: 'advertise@aplawrence.com', reject: { reason: 'DNS blacklist UCEProtect1' } });
    expect(parsed('kerio', 32)).toMatchObject({ to: 'printer@verinion.com', client: { ip: '185.140.108.26' } });
    expect(parsed('kerio', 41)).toMatchObject({ from: 'promo123@goodresponse.site', reject: { reason: 'sender domain does not exist' } });
    expect(parsed('kerio', 44)).toMatchObject({ action: 'auth-failure', auth: { method: 'CRAM-MD5' } });
    expect(parsed('kerio', 38)).toMatchObject({ action: 'auth-failure', daemon: 'admin', extra: { service: 'Web Administration' } });
  });

  it('ASSP: the SMTP reply of a refused login, relay attempts and failed TLS', () => {
    expect(parsed('assp', 18)).toMatchObject({ action: 'auth-failure', reject: { code: 535, dsn: '5.7.8', text: 'Error: authentication failed: UGFzc3dvcmQ6' } });
    expect(parsed('assp', 26)).toMatchObject({ action: 'reject', from: 'user@example.com', to: 'user@example.org' });
    expect(parsed('assp', 34)).toMatchObject({ from: 'user@example.com', to: 'user2@example' });
    expect(parsed('assp', 2)).toMatchObject({ action: 'tls', outcome: 'failure', client: { ip: '68.171.223.68' } });
    expect(parsed('assp', 12)).toMatchObject({ action: 'reject', category: ['authentication'], reject: { reason: 'too much AUTH errors (8)' } });
  });

  it('Group-Office: failure and success', () => {
    expect(parsed('groupoffice', 2)).toMatchObject({ action: 'auth-failure', auth: { user: 'asdsad' }, client: { ip: '127.0.0.1' } });
    expect(parsed('groupoffice', 4)).toMatchObject({ action: 'auth-success', outcome: 'success', auth: { user: 'admin' } });
  });

  it('SquirrelMail: user, domain and reason; `[LOGIN]` is a success (the corpus line with its event changed)', () => {
    expect(parsed('squirrelmail', 3)).toMatchObject({
      auth: { user: 'dadas' },
      extra: { domain: 'mydomain.org', reason: 'Unknown user or password incorrect.' },
    });
    const success = corpusLine('squirrelmail', 3).replace('[LOGIN_ERROR]', '[LOGIN]').replace(': Unknown user or password incorrect.', '');
    expect(parseLine(success)).toMatchObject({ action: 'auth-success', auth: { user: 'dadas' }, client: { ip: '151.64.44.11' } });
  });

  it('OpenWebMail: the user and what went wrong', () => {
    expect(parsed('openwebmail', 6)).toMatchObject({ auth: { user: 'myname' }, extra: { reason: 'login error - auth_unix.pl, ret -4, Password incorrect' } });
  });
});
