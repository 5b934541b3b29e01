/** Sessions Sendmail logs by the client's name and address, read from the real lines of fail2ban's Sendmail logs. */
import { parseCorpusLine } from './corpus.fixture';

describe('Sendmail sessions', () => {
  it('reads a session without MAIL as a disconnect, with the daemon it reached', () => {
    expect(parseCorpusLine('sendmail-reject', '[IPv6:2001:DB8::1]')).toEqual({
      mta: 'sendmail',
      daemon: 'sm-mta',
      queueId: '06QDQnNf050438',
      action: 'disconnect',
      category: ['email', 'network'],
      outcome: 'unknown',
      client: { host: 'example.com', ip: '2001:DB8::1' },
      extra: { daemon_name: 'IPv6' },
    });
  });

  it('reads a lost input channel with the stage it was lost at', () => {
    expect(parseCorpusLine('sendmail-reject', 'lost input channel')).toMatchObject({
      action: 'disconnect',
      outcome: 'failure',
      client: { host: 'mail.aqicn.org', ip: '139.162.120.196' },
      extra: { daemon_name: 'MTA-v4', stage: 'rcpt' },
    });
  });

  it('reads pre-greeting traffic from a client without a name', () => {
    expect(parseCorpusLine('sendmail-reject', 'from  [209.15.212.253]')).toMatchObject({
      action: 'reject',
      client: { ip: '209.15.212.253' },
      reject: { stage: 'CONNECT', text: 'pre-greeting traffic after 0 seconds' },
    });
  });

  it('reads a refused EXPN or VRFY with the command as the stage', () => {
    expect(parseCorpusLine('sendmail-reject', 'vrfy info [rejected]')).toMatchObject({
      action: 'reject',
      client: { ip: '217.193.142.180' },
      reject: { stage: 'VRFY', text: 'vrfy info [rejected]' },
    });
  });

  it('reads a refused recipient', () => {
    expect(parseCorpusLine('sendmail-reject', '<baduser@yourhost.com>... User unknown')).toMatchObject({
      action: 'reject',
      queueId: '55HIbcGI002794',
      to: 'baduser@yourhost.com',
      reject: { stage: 'RCPT', text: 'User unknown' },
    });
  });
});
