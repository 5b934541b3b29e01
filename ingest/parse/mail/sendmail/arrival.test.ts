/** Accepted messages (`from=`), read from the real lines of fail2ban's Sendmail log. */
import { parseCorpusLine } from './corpus.fixture';

describe('Sendmail from= lines', () => {
  it('reads sender, size, recipient count, protocol, daemon and client', () => {
    expect(parseCorpusLine('sendmail-reject', 'from=<davaojk25@domain.com>')).toEqual({
      mta: 'sendmail',
      daemon: 'sendmail',
      queueId: 'rA37ZTSC026254',
      action: 'queued',
      category: ['email'],
      outcome: 'success',
      from: 'davaojk25@domain.com',
      size: 0,
      recipientCount: 0,
      protocol: 'ESMTP',
      client: { host: '163.23.32.95.dsl-dynamic.vsi.ru', ip: '95.32.23.163' },
      extra: { daemon_name: 'MTA', bodytype: '8BITMIME' },
    });
  });

  it('reads a client written as an address alone', () => {
    expect(parseCorpusLine('sendmail-reject', 'from=<root@yourhost.com>')).toMatchObject({ size: 108, client: { ip: '192.168.1.45' }, extra: { daemon_name: 'MTA-v4' } });
  });
});
