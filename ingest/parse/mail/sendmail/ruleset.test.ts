/** Access rules that refused a command, read from the real lines of fail2ban's Sendmail log. */
import { parseCorpusLine } from './corpus.fixture';

describe('Sendmail ruleset rejections', () => {
  it('reads check_rcpt: the recipient, the client, the reply with its target taken off', () => {
    expect(parseCorpusLine('sendmail-reject', 'asservnew@freemailhost.ru')).toEqual({
      mta: 'sendmail',
      daemon: 'sm-acceptingconnections',
      queueId: 's1P819mk027713',
      action: 'reject',
      category: ['email'],
      outcome: 'failure',
      to: 'asservnew@freemailhost.ru',
      client: { host: '128-68-136-133.broadband.corbina.ru', ip: '128.68.136.133' },
      reject: {
        code: 550,
        dsn: '5.7.1',
        text: '<asservnew@freemailhost.ru>... Relaying denied. Proper authentication required.',
        reason: 'Relaying denied. Proper authentication required.',
        stage: 'RCPT',
      },
      extra: { ruleset: 'check_rcpt' },
    });
  });

  it('notes a client whose name does not resolve back to its address', () => {
    expect(parseCorpusLine('sendmail-reject', 'dautareuk2@hotmail.it')?.extra).toEqual({ may_be_forged: 'true', ruleset: 'check_rcpt' });
  });

  it('reads check_relay, which has no queue id, as a refusal of the connection', () => {
    const event = parseCorpusLine('sendmail-reject', 'Too many open connections');
    expect(event).toMatchObject({
      client: { host: '189-30-205-74.paebv701.dsl.brasiltelecom.net.br', ip: '189.30.205.74' },
      reject: { code: 421, dsn: '4.3.2', text: 'Too many open connections.', stage: 'CONNECT' },
    });
    expect(event?.queueId).toBeUndefined();
  });

  it('reads a temporary refusal with its 4xx code', () => {
    expect(parseCorpusLine('sendmail-reject', 'Cannot resolve PTR record')?.reject).toMatchObject({ code: 450, dsn: '4.4.0', stage: 'RCPT' });
  });
});
