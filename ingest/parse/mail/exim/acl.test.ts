/** What ACLs and local_scan() decided, read from the real lines of fail2ban's Exim logs. */
import { parseCorpusLine } from './corpus.fixture';

describe('Exim ACL decisions', () => {
  it('reads a rejected RCPT: client with HELO and port, interface, sender, recipient, reason', () => {
    expect(parseCorpusLine('exim-spam', 'F=fantasizesg4@google.com rejected RCPT')).toEqual({
      mta: 'exim',
      action: 'reject',
      category: ['email'],
      outcome: 'failure',
      client: { ip: '2.181.148.95', port: 52391 },
      helo: '[2.181.148.95]',
      from: 'fantasizesg4@google.com',
      to: 'some@email.com',
      reject: { text: 'rejected found in dnsbl zen.spamhaus.org', stage: 'RCPT' },
      extra: { server_ip: '1.2.3.4', server_port: '25' },
    });
  });

  it('unwraps bracketed addresses and reads the fields between the host and the sender', () => {
    expect(parseCorpusLine('exim', 'SNI=mail.leone.tld')).toMatchObject({
      client: { host: 'm05.horp.tld', ip: '9.12.1.21', port: 43030 },
      from: 'user@example.tld',
      to: 'locus@leone.tld',
      reject: { text: 'relay not permitted', stage: 'RCPT' },
    });
  });

  it('reads a local_scan() rejection as a refusal of DATA, under the message id', () => {
    expect(parseCorpusLine('exim-spam', '1Ai79e-0000Dq-8i')).toMatchObject({
      action: 'reject',
      queueId: '1Ai79e-0000Dq-8i',
      from: 'uzwltcmwto24@melissacam.biz',
      protocol: 'SMTP',
      client: { ip: '4.47.28.40' },
      reject: { stage: 'DATA', reason: 'local_scan()', text: 'Rejected: hits=7.5 required=5.0 trigger=5.0' },
    });
  });

  it('reads a rejection after DATA', () => {
    expect(parseCorpusLine('exim-spam', 'rejected after DATA')).toMatchObject({
      queueId: '1Unmew-0000ea-SE',
      reject: { stage: 'DATA', text: 'This message contains a virus (Sanesecurity.Junk.39934.UNOFFICIAL).' },
    });
  });

  it('reads a sender verification failure as its own action, not as a second rejection', () => {
    expect(parseCorpusLine('exim', 'sender verify fail for <mailer@treeladders.kiev.ua>')).toEqual({
      mta: 'exim',
      action: 'sender-verify-failure',
      category: ['email'],
      outcome: 'failure',
      client: { host: 'treeladders.kiev.ua', ip: '91.232.21.92' },
      from: 'mailer@treeladders.kiev.ua',
      extra: { reason: 'all relevant MX records point to non-existent hosts' },
    });
  });

  it("reads a drop by the connect ACL as a refusal at CONNECT", () => {
    expect(parseCorpusLine('exim', "dropped by 'connect' ACL")).toMatchObject({
      action: 'reject',
      client: { ip: '192.0.2.101', port: 62839 },
      reject: { stage: 'CONNECT', text: 'Country is banned', reason: 'dropped by ACL' },
    });
  });
});
