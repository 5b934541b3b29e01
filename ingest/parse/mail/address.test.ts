/** The peer and address notation shared by the Exim, Sendmail and Dovecot parsers. */
import { looksLikeIp, normalizeIp, readPeer, unwrapAddress } from './address';

describe('normalizeIp', () => {
  it('reads an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(normalizeIp('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normalizeIp('::FFFF:192.0.2.1')).toBe('192.0.2.1');
  });

  it("drops Sendmail's IPv6: tag and keeps other addresses as written", () => {
    expect(normalizeIp('IPv6:2001:DB8::1')).toBe('2001:DB8::1');
    expect(normalizeIp('::ffff:c000:201')).toBe('::ffff:c000:201');
    expect(normalizeIp('2001:db8::1')).toBe('2001:db8::1');
  });
});

describe('unwrapAddress', () => {
  it('takes the angle brackets off, and reads <> as the null sender', () => {
    expect(unwrapAddress('<a@example.org>')).toBe('a@example.org');
    expect(unwrapAddress('<>')).toBe('');
    expect(unwrapAddress('a@example.org')).toBe('a@example.org');
    expect(unwrapAddress('<a@example.org')).toBe('<a@example.org');
  });

  it('reads from a start to the end of the text', () => {
    expect(unwrapAddress('message-id=<1@example.org>', 11)).toBe('1@example.org');
    expect(unwrapAddress('message-id=1@example.org', 11)).toBe('1@example.org');
    expect(unwrapAddress('message-id=<', 11)).toBe('<');
    expect(unwrapAddress('message-id=', 11)).toBe('');
  });
});

describe('looksLikeIp', () => {
  it('tells addresses from names and session ids', () => {
    expect(looksLikeIp('192.0.2.1')).toBe(true);
    expect(looksLikeIp('2001:db8::1')).toBe(true);
    expect(looksLikeIp('user')).toBe(false);
    expect(looksLikeIp('<LZmGp6mZaMrAqLIZ>')).toBe(false);
    expect(looksLikeIp('1.2.3')).toBe(false);
    expect(looksLikeIp('deadbeef')).toBe(false);
  });

  it('tests a range, as the Postfix peer reader asks', () => {
    expect(looksLikeIp('mx[192.0.2.1]:25', 3, 12)).toBe(true);
    expect(looksLikeIp('mx[2001:db8::ffff:192.0.2.1]', 3, 27)).toBe(true);
    expect(looksLikeIp('dict_ldap_get_values[1]', 21, 22)).toBe(false);
    expect(looksLikeIp('private/anvil[/var/run]', 14, 22)).toBe(false);
  });

  it('wants seven characters in a dotted address', () => {
    expect(looksLikeIp('...')).toBe(false);
    expect(looksLikeIp('1.2.3.')).toBe(false);
  });
});

describe('readPeer', () => {
  it("reads Exim's name (helo) [ip]:port and where it ends", () => {
    const text = 'H=mail.example.org (helo.example) [192.0.2.1]:2525 P=esmtp';
    expect(readPeer(text, 2)).toEqual({ host: 'mail.example.org', helo: 'helo.example', ip: '192.0.2.1', port: 2525, end: text.indexOf(' P=') });
  });

  it('reads a HELO name without a verified name, and an address alone', () => {
    expect(readPeer('([10.21.32.43]) [192.168.8.34] rest', 0)).toMatchObject({ helo: '[10.21.32.43]', ip: '192.168.8.34' });
    expect(readPeer('[192.0.2.1]* X=', 0)).toEqual({ ip: '192.0.2.1', end: 12 });
  });

  it("reads Postfix's name[ip] and Sendmail's literal standing in for a name", () => {
    expect(readPeer('mx.example.org[192.0.2.2]:25', 0)).toMatchObject({ host: 'mx.example.org', ip: '192.0.2.2', port: 25 });
    expect(readPeer('[127.0.0.1] [127.0.0.1]', 0)).toEqual({ ip: '127.0.0.1', end: 11 });
  });

  it('reads a name alone', () => {
    expect(readPeer('localhost', 0)).toEqual({ host: 'localhost', end: 9 });
    expect(readPeer('host.example. rest', 0)).toEqual({ host: 'host.example.', end: 13 });
  });
});
