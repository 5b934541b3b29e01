/**
 * Delivery attempts (`to=`). The shared corpus holds no Sendmail delivery line, so these are written in the field
 * order of `logdelivery()` in Sendmail's deliver.c: `to=, ctladdr=, delay=, xdelay=, mailer=, pri=, relay=, dsn=,
 * stat=`.
 */
import type { MailEvent } from '../types';
import { parseSendmail } from './index';

function parse(message: string): MailEvent | undefined {
  return parseSendmail({ timestamp: 0, timeFormat: 'rfc3164', program: 'sm-mta', message });
}

describe('Sendmail deliveries', () => {
  it('reads a delivery: recipient, delays, relay, dsn, the next hop text and its queue id', () => {
    expect(
      parse(
        't4MJ1k2Q004411: to=<ops@example.net>, ctladdr=<www@app.example.net> (33/33), delay=00:00:01, xdelay=00:00:01, ' +
          'mailer=esmtp, pri=121104, relay=mx.example.net. [192.0.2.14], dsn=2.0.0, stat=Sent (Ok: queued as 4F2A3B1C)',
      ),
    ).toEqual({
      mta: 'sendmail',
      daemon: 'sm-mta',
      queueId: 't4MJ1k2Q004411',
      action: 'delivery',
      category: ['email'],
      outcome: 'success',
      status: 'sent',
      to: 'ops@example.net',
      delay: 1,
      dsn: '2.0.0',
      relay: { host: 'mx.example.net', ip: '192.0.2.14' },
      statusText: 'Ok: queued as 4F2A3B1C',
      nextQueueId: '4F2A3B1C',
      extra: { ctladdr: '<www@app.example.net> (33/33)', mailer: 'esmtp', xdelay: '1' },
    });
  });

  it("takes the next queue id from another Sendmail's reply", () => {
    const event = parse(
      't4MJ0a9P004390: to=ops@example.net, ctladdr=www (33/33), delay=00:05:12, xdelay=00:00:00, mailer=relay, ' +
        'pri=120933, relay=[127.0.0.1] [127.0.0.1], dsn=2.0.0, stat=Sent (t4MJ1k2Q004411 Message accepted for delivery)',
    );
    expect(event).toMatchObject({ to: 'ops@example.net', delay: 312, relay: { ip: '127.0.0.1' }, nextQueueId: 't4MJ1k2Q004411' });
    expect(event?.relay?.host).toBeUndefined();
  });

  it('reads a deferral and a delay of more than a day', () => {
    expect(
      parse(
        't4MK2b7R004502: to=<user@example.org>, delay=1+11:40:00, xdelay=00:00:00, mailer=relay, pri=2140113, relay=[127.0.0.1] ' +
          '[127.0.0.1], dsn=4.0.0, stat=Deferred: Connection refused by [127.0.0.1]',
      ),
    ).toMatchObject({ status: 'deferred', outcome: 'failure', delay: 128400, statusText: 'Connection refused by [127.0.0.1]' });
  });

  it('reads a permanent failure by its dsn class', () => {
    expect(
      parse(
        't4ML3c8S004617: to=<nobody@example.com>, delay=00:00:06, xdelay=00:00:06, mailer=esmtp, pri=131020, relay=mx.example.com. ' +
          '[192.0.2.20], dsn=5.1.1, stat=User unknown',
      ),
    ).toMatchObject({ status: 'bounced', outcome: 'failure', dsn: '5.1.1', statusText: 'User unknown' });
  });

  it('leaves the status open when delivery was left to a queue run', () => {
    const event = parse('t4MJ0a9P004390: to=ops@example.net, delay=00:00:00, mailer=relay, pri=30933, stat=queued');
    expect(event).toMatchObject({ action: 'delivery', statusText: 'queued' });
    expect(event?.status).toBeUndefined();
  });

  it('counts the recipients of one attempt', () => {
    const event = parse(
      't4MM4d9T004720: to=ann@example.com,bob, ctladdr=ann (1000/1000), delay=00:00:03, xdelay=00:00:00, mailer=relay, pri=60210, ' +
        'dsn=4.0.0, stat=Deferred',
    );
    expect(event).toMatchObject({ to: 'ann@example.com', recipientCount: 2, status: 'deferred', extra: { recipients: 'ann@example.com,bob' } });
  });
});
