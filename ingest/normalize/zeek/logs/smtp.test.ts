import { localNetworkMatcher } from '../../../enrich/direction';
import { findZeekRecord, readZeekLog } from '../corpus.fixture';
import { normalizeZeek } from '..';
import { mailAddresses } from './smtp';

const BTEST = 'zeek/zeek-btest-baseline/testing/btest/Baseline';
const ctx = { isLocal: localNetworkMatcher(['127.0.0.0/8']), fallbackTs: 0, ingested: '2026-11-24T12:00:00.000Z' };

describe('smtp', () => {
  it('maps the message headers and the envelope to ECS email', () => {
    const [record] = readZeekLog(`${BTEST}/scripts.base.protocols.smtp.bdat-multipart/smtp.log`);
    const doc = normalizeZeek(record, ctx);
    expect(doc.event).toMatchObject({ dataset: 'zeek.smtp', category: ['network', 'email'], type: ['protocol', 'info'] });
    expect(doc.email).toEqual({
      from: { address: ['arne.welzel@corelight.com'] },
      sender: { address: 'zeek@localhost' },
      to: { address: ['arne.welzel@corelight.com'] },
      message_id: 'CADsmdyWKpbe9NVsh29VkbMCRZRfXUUXH+316vKFgDGHtJxwoAw@mail.gmail.com',
      subject: 'Zeek Logo',
      origination_timestamp: '2023-12-12T16:37:16.000Z',
    });
    expect(doc.network).toMatchObject({ transport: 'tcp', protocol: 'smtp', direction: 'internal' });
    expect(doc.related).toMatchObject({ hosts: ['localhost'], ip: ['127.0.0.1'] });
  });

  it('falls back to the envelope when the message has no headers', () => {
    const record = findZeekRecord(`${BTEST}/scripts.base.protocols.smtp.bdat-0-last/smtp.log`, (r) => r.fields.mailfrom !== undefined);
    expect(record.fields.from).toBeUndefined();
    const email = normalizeZeek(record, ctx).email as Record<string, { address: unknown }>;
    expect(email.from.address).toEqual([record.fields.mailfrom]);
    expect(email.to.address).toEqual(record.fields.rcptto);
  });

  it('keeps copy recipients and the reply-to address', () => {
    const record = findZeekRecord(`${BTEST}/scripts.base.protocols.smtp.basic/smtp.log`, (r) => r.fields.cc !== undefined);
    expect(normalizeZeek(record, ctx).email).toMatchObject({
      from: { address: ['albert@example.com'] },
      to: { address: ['ericlim220@yahoo.com'] },
      cc: { address: ['felica4uu@hotmail.com', 'davis_mark1@outlook.com'] },
      subject: 'Re: Bro SMTP CC Header',
    });
  });
});

describe('mailAddresses', () => {
  it.each([
    ['Arne Welzel <arne.welzel@corelight.com>', ['arne.welzel@corelight.com']],
    ['thenightwatch@t-online.de', ['thenightwatch@t-online.de']],
    ['"Doe, John" <john@example.com>, jane@example.com', ['john@example.com', 'jane@example.com']],
    ['<root@localhost>', ['root@localhost']],
    ['undisclosed-recipients:;', []],
  ])('%s', (header, addresses) => {
    expect(mailAddresses(header)).toEqual(addresses);
  });
});
