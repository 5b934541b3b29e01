/**
 * Bounce notices and system errors. The shared corpus holds neither; the lines follow the formats of Sendmail's
 * savemail.c (`<id>: <notice id>: DSN: <reason>`) and err.c (`SYSERR(<user>): <reason>`).
 */
import type { MailEvent } from '../types';
import { parseSendmail } from './index';

function parse(message: string): MailEvent | undefined {
  return parseSendmail({ timestamp: 0, timeFormat: 'rfc3164', program: 'sendmail', message });
}

describe('Sendmail notices', () => {
  it("reads a bounce notice under the message's id, with the notice's own id", () => {
    expect(parse('t4MN5e0U004833: t4MN5e0V004835: DSN: Host unknown (Name server: mail.example.org: host not found)')).toEqual({
      mta: 'sendmail',
      daemon: 'sendmail',
      queueId: 't4MN5e0U004833',
      nextQueueId: 't4MN5e0V004835',
      action: 'bounce-notice',
      category: ['email'],
      statusText: 'Host unknown (Name server: mail.example.org: host not found)',
      extra: { notice_kind: 'DSN' },
    });
  });

  it('reads a system error with the user it ran as', () => {
    expect(parse('t4MP6f1W004901: SYSERR(root): collect: I/O error on connection from client.example.org, from=<a@example.org>')).toMatchObject({
      action: 'error',
      outcome: 'failure',
      queueId: 't4MP6f1W004901',
      extra: { user: 'root', reason: 'collect: I/O error on connection from client.example.org, from=<a@example.org>' },
    });
  });

  it('does not take a word such as STARTTLS for a queue id', () => {
    expect(parse('STARTTLS: read error=generic SSL error (-1), errno=104, get_error=error:00000000:lib(0):func(0):reason(0)')).toBeUndefined();
  });
});
