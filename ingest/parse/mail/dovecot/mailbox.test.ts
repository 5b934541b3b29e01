/**
 * The end of mail sessions and local deliveries. The shared corpus holds neither; the lines follow Dovecot's default
 * formats: deliver_log_format `msgid=%m: %$` after the `lmtp(user)<pid><session>` process name of Dovecot 2.3, and
 * imap_logout_format `in=%i out=%o`.
 */
import type { MailEvent } from '../types';
import { parseDovecot } from './index';

function parse(message: string): MailEvent | undefined {
  return parseDovecot({ timestamp: 0, timeFormat: 'rfc3164', program: 'dovecot', message });
}

describe('Dovecot mail processes', () => {
  it('reads an LMTP delivery to a mailbox', () => {
    expect(parse('lmtp(alice@example.org)<4101><EfteYmQcMAB/AAAB>: msgid=<20240101.1234@example.org>: saved mail to INBOX')).toEqual({
      mta: 'dovecot',
      daemon: 'lmtp',
      action: 'delivery',
      category: ['email'],
      outcome: 'success',
      status: 'sent',
      to: 'alice@example.org',
      messageId: '20240101.1234@example.org',
      statusText: 'saved mail to INBOX',
    });
  });

  it("reads a failed delivery, with Dovecot 2.0's process id before the user", () => {
    expect(parse('lmtp(29468, bob@example.org): msgid=<x1@example.org>: save failed to INBOX: Quota exceeded (mailbox for user is full)')).toMatchObject({
      status: 'failed',
      outcome: 'failure',
      to: 'bob@example.org',
      statusText: 'save failed to INBOX: Quota exceeded (mailbox for user is full)',
    });
  });

  it("reads the end of a user's IMAP session", () => {
    expect(parse('imap(alice@example.org)<4103><EfteYmQcMAB/AAAB>: Disconnected: Logged out in=56 out=834')).toEqual({
      mta: 'dovecot',
      daemon: 'imap',
      protocol: 'IMAP',
      action: 'disconnect',
      category: ['email', 'network'],
      outcome: 'unknown',
      auth: { user: 'alice@example.org' },
      extra: { reason: 'Disconnected: Logged out in=56 out=834' },
    });
  });

  it('leaves other lines of those processes alone', () => {
    expect(parse('lmtp(29468): Connect from local')).toBeUndefined();
    expect(parse('imap(alice@example.org): Error: Mailbox INBOX: Corrupted index cache file')).toBeUndefined();
  });
});
