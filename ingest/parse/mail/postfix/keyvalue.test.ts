import { fail2banCases } from '../../../../test/support/fail2ban';
import { grokCase } from './grok-cases.fixture';
import { parseKeyValues } from './keyvalue';
import { afterQueueId } from './queueid';

/** The message of a corpus case after its `QUEUEID: `. */
function body(file: string): string {
  const { data } = grokCase(file);
  return data.slice(afterQueueId(data));
}

describe('parseKeyValues', () => {
  it('reads a delivery list, removing angle brackets and stopping before the status text', () => {
    const text = body('smtp_0002.yaml');
    const { values, end } = parseKeyValues(text);
    expect(values).toEqual({
      to: 'jos@example.com',
      orig_to: 'bestuur@example.com',
      relay: 'mail1.example.net[10.74.103.11]:25',
      delay: '11',
      delays: '5.4/0.06/5.1/0.03',
      dsn: '2.0.0',
      status: 'sent',
    });
    expect(text.slice(end)).toBe(' (250 2.0.0 Ok: queued as F12DF84004)');
  });

  it('reads addresses written without brackets', () => {
    const { values } = parseKeyValues(body('local_0001.yaml'));
    expect(values.to).toBe('user@hostname.example.com');
    expect(values.orig_to).toBe('root@localhost');
  });

  it('reads the space separated envelope after a reply, and the comma separated one of postscreen', () => {
    const smtpd = grokCase('smtpd_0004.yaml').data;
    expect(parseKeyValues(smtpd, smtpd.lastIndexOf('; ') + 2).values).toEqual({
      from: 'wumt5@cchfdc.com',
      to: 'toernooicommissie@example.com',
      proto: 'ESMTP',
      helo: 'ecsolved.com',
    });
    const postscreen = grokCase('postscreen_0027.yaml').data;
    expect(parseKeyValues(postscreen, postscreen.lastIndexOf('; ') + 2).values).toEqual({
      from: 'lvtowxfdp@yahoo.com',
      to: 'tom@example.com',
      proto: 'SMTP',
      helo: 'mx32.usaindiamunish.net',
    });
  });

  it('keeps `=` inside bracketed values and reads `<>` as the empty string', () => {
    const withEquals = grokCase('cleanup_0009.yaml').data;
    expect(parseKeyValues(withEquals, withEquals.lastIndexOf('; ') + 2).values.from).toBe(
      'SRS0=1sN3=5P=example.org=noreply@srs.example.org',
    );
    const nullSender = grokCase('smtpd_0022.yaml').data;
    expect(parseKeyValues(nullSender, nullSender.lastIndexOf('; ') + 2).values.from).toBe('');
  });

  it('reads an empty last value (`helo=` with nothing after it)', () => {
    const line = fail2banCases('postfix')[0].line;
    expect(line.endsWith('helo=')).toBe(true);
    const { values, end } = parseKeyValues(line, line.lastIndexOf('; ') + 2);
    expect(values).toEqual({ from: '', to: '', proto: 'ESMTP', helo: '' });
    expect(end).toBe(line.length);
  });

  it('stops at the text Postfix writes after a list: `: target` and `(queue active)`', () => {
    const redirect = grokCase('cleanup_0003.yaml').data;
    const list = parseKeyValues(redirect, redirect.lastIndexOf('; ') + 2);
    expect(list.values.helo).toBe('ecsolved.com');
    expect(redirect.slice(list.end)).toBe(': tom@example.com');
    const active = body('qmgr_0002.yaml');
    const queued = parseKeyValues(active);
    expect(queued.values).toEqual({ from: 'owner-postfix-users@postfix.org', size: '5360', nrcpt: '1' });
    expect(active.slice(queued.end)).toBe(' (queue active)');
  });

  it('reads the disconnect command counts', () => {
    const { data } = grokCase('command_counter_data_0001.yaml');
    expect(parseKeyValues(data).values).toEqual({
      ehlo: '2',
      starttls: '1',
      mail: '1',
      rcpt: '0/1',
      data: '0/1',
      quit: '1',
      commands: '5/7',
    });
  });

  // No corpus line has a client-chosen name with these characters in it; the fragments below are that case alone.
  it('ends a bracketed value only at a `>` that is followed by a separator and a key, or by the end', () => {
    expect(parseKeyValues('to=<a@example.com> proto=ESMTP helo=<Hi> there, friend>').values).toEqual({
      to: 'a@example.com',
      proto: 'ESMTP',
      helo: 'Hi> there, friend',
    });
    expect(parseKeyValues('from=<"a, b"@example.com>, size=1').values).toEqual({
      from: '"a, b"@example.com',
      size: '1',
    });
  });

  it('keeps the first of a repeated key, which is the one Postfix wrote', () => {
    expect(parseKeyValues('to=<a@example.com> helo=<x> to=<b@example.net>').values).toEqual({
      to: 'a@example.com',
      helo: 'x',
    });
  });

  it('takes a key named like a member of every object as a plain key', () => {
    const { values } = parseKeyValues('__proto__=x constructor=y');
    expect(values.__proto__).toBe('x');
    expect(values.constructor).toBe('y');
  });

  it('keeps what is there of a bracketed value cut short by a truncated line', () => {
    expect(parseKeyValues('from=<a@example.com> helo=<mail.exam').values).toEqual({
      from: 'a@example.com',
      helo: 'mail.exam',
    });
  });

  it('reads nothing from text that is not a list', () => {
    const { values, end } = parseKeyValues('removed');
    expect(values).toEqual({});
    expect(end).toBe(0);
  });
});
