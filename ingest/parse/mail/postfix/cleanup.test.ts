import type { LineHeader } from '../types';
import { grokCase, headerOf } from './grok-cases.fixture';
import { parsePostfix } from './index';

const parse = (header: LineHeader) => parsePostfix(header);

describe('cleanup content checks', () => {
  it('reads a header_checks WARN line: the Subject, the client and the envelope', () => {
    const event = parse(headerOf(grokCase('cleanup_0006.yaml')));
    expect(event).toMatchObject({
      action: 'header-warning',
      queueId: 'D8B07E3DB6',
      subject: 'https://drive.google.com/file/d/0B8wxcvprDYVdlVsdf1kzOVkdisarmed/view?usp=sharing',
      client: { host: 'o1678917x173.outbound-mail.sendgrid.net', ip: '167.89.17.173' },
      from: 'bounces+2320708-7653-frank.test=hsdjasdd.co.uk@sendgrid.net',
      to: 'frank.test@hsdjasdd.co.uk',
      protocol: 'ESMTP',
      extra: { check: 'header' },
    });
  });

  it('takes the envelope from the end, so a Subject that imitates one cannot replace it', () => {
    const real = grokCase('cleanup_0006.yaml');
    const forged = 'Subject: invoice; from=<ceo@example.net> to=<victim@example.net> proto=SMTP helo=<x>';
    const header = headerOf({ ...real, data: real.data.replace(/Subject: \S+/, forged) });
    const event = parse(header);
    expect(event?.from).toBe('bounces+2320708-7653-frank.test=hsdjasdd.co.uk@sendgrid.net');
    expect(event?.to).toBe('frank.test@hsdjasdd.co.uk');
    expect(event?.subject).toBe(forged.slice('Subject: '.length));
  });

  it('does not take a HELO name that imitates an envelope for the envelope', () => {
    const real = grokCase('cleanup_0006.yaml');
    const helo = 'helo=<o1678917x173.outbound-mail.sendgrid.net>';
    const forged = 'helo=<x; from=<ceo@example.net> to=<victim@example.net>>';
    const event = parse(headerOf({ ...real, data: real.data.replace(helo, forged) }));
    expect(event?.from).toBe('bounces+2320708-7653-frank.test=hsdjasdd.co.uk@sendgrid.net');
    expect(event?.to).toBe('frank.test@hsdjasdd.co.uk');
  });

  it('reads the reply of a REJECT action from the text after the envelope', () => {
    // No corpus line shows a header_checks REJECT: this is the WARN line above as REJECT writes it.
    const real = grokCase('cleanup_0006.yaml');
    const data = real.data.replace(': warning: ', ': reject: ') + ': 5.7.1 Phishing links are not accepted';
    const event = parse(headerOf({ ...real, data }));
    expect(event).toMatchObject({
      action: 'header-reject',
      outcome: 'failure',
      reject: { dsn: '5.7.1', text: 'Phishing links are not accepted' },
    });
  });

  it('reads a milter verdict on the whole message like a restriction', () => {
    expect(parse(headerOf(grokCase('cleanup_0004.yaml')))).toMatchObject({
      action: 'milter-reject',
      queueId: '4104E3D',
      outcome: 'failure',
      client: { host: '061238241086.static.ctinets.com', ip: '61.238.241.86' },
      reject: { stage: 'END-OF-MESSAGE', dsn: '5.7.1', text: 'Blocked by SpamAssassin' },
      from: 'wumt5@cchfdc.com',
      to: 'voorzitter@example.com',
    });
  });

  it('keeps a Message-ID without its brackets, and one written without brackets as it is', () => {
    expect(parse(headerOf(grokCase('cleanup_0001.yaml')))?.messageId).toBe('544D2523.30609@rhsoft.net');
    expect(parse(headerOf(grokCase('cleanup_0002.yaml')))?.messageId).toBe('');
    expect(parse(headerOf(grokCase('cleanup_0010.yaml')))?.messageId).toBe(
      '=?UTF-8?B?PDE5?=? =?UTF-8?B?MTIyMDExMjkxNjYxMUBDbGllbnQtMDQ1LnJ1YmluZXR0ZXJpZS5sb2NhbD4=?=',
    );
  });
});
