/** SMTP sessions without a message, read from the real lines of fail2ban's Exim log. */
import { parseCorpusLine } from './corpus.fixture';

describe('Exim SMTP sessions', () => {
  it('reads a session without MAIL as a disconnect with its commands and duration', () => {
    expect(parseCorpusLine('exim', 'D=2m42s C=QUIT')).toEqual({
      mta: 'exim',
      action: 'disconnect',
      category: ['email', 'network'],
      outcome: 'unknown',
      client: { host: 'host.example.com', ip: '192.0.2.2', port: 1418 },
      helo: 'SERVER',
      commands: { quit: '1' },
      extra: { server_ip: '172.89.0.6', server_port: '25', duration: '162' },
    });
  });

  it('reads a connection closed by a DROP in an ACL as a refusal, under the id Exim gave it', () => {
    expect(parseCorpusLine('exim', '1ahrVl-0006mY-79')).toMatchObject({
      action: 'reject',
      queueId: '1ahrVl-0006mY-79',
      client: { host: 'riveruse.com', ip: '206.214.71.53', port: 39865 },
      reject: { text: 'closed by DROP in ACL' },
    });
  });

  it('reads a call dropped after too many errors, with the last command in the text', () => {
    expect(parseCorpusLine('exim', 'too many nonmail commands')).toMatchObject({
      action: 'reject',
      client: { host: 'pc012-6201.spo.scu.edu.tw', ip: '163.14.21.161', port: 3767 },
      reject: { text: 'too many nonmail commands (last was "RSET")', reason: 'dropped' },
    });
  });

  it('reads failed host lookups with the client they were about', () => {
    expect(parseCorpusLine('exim', 'no host name found for IP address 192.0.2.8')).toMatchObject({ action: 'warning', client: { ip: '192.0.2.8' } });
    expect(parseCorpusLine('exim', 'hos-t.example.tld (during')).toMatchObject({
      action: 'warning',
      client: { host: 'hos-t.example.tld', ip: '63.85.123.6', port: 49390 },
    });
  });
});
