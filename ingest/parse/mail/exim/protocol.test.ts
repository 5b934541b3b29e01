/** SMTP protocol violations, read from the real lines of fail2ban's Exim logs. */
import { parseCorpusLine } from './corpus.fixture';

describe('Exim protocol errors', () => {
  it('reads a protocol error: the command verb is the stage, the explanation the text', () => {
    expect(parseCorpusLine('exim', '[45.32.34.167]:60723')).toEqual({
      mta: 'exim',
      action: 'reject',
      category: ['email'],
      outcome: 'failure',
      client: { ip: '45.32.34.167', port: 60723 },
      helo: 'ylmf-pc',
      reject: { text: 'AUTH command used when not advertised', reason: 'SMTP protocol error', stage: 'AUTH' },
      extra: { server_ip: '172.89.0.6', server_port: '587' },
    });
  });

  it('takes the host after a command that quotes a forged one', () => {
    const event = parseCorpusLine('exim', '[8.8.8.8]" H=(roxzgj)');
    expect(event?.client).toEqual({ ip: '192.0.2.6' });
    expect(event?.helo).toBe('roxzgj');
  });

  it('reads a client that spoke before the greeting as a refusal at CONNECT', () => {
    expect(parseCorpusLine('exim', 'input sent without waiting for greeting')).toMatchObject({
      client: { ip: '211.148.195.192', port: 25936 },
      reject: { stage: 'CONNECT', text: 'input sent without waiting for greeting', reason: 'SMTP protocol synchronization error' },
    });
  });

  it('reads a pipelining violation with the command it refused', () => {
    expect(parseCorpusLine('exim', 'rejected "RSET"')).toMatchObject({
      client: { host: 'ba77.mx83.fr', ip: '82.96.160.77', port: 58302 },
      reject: { stage: 'RSET', text: 'next input sent too soon: pipelining was not advertised' },
    });
  });
});
