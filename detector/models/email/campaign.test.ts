import { corpusMailLines } from '../../../bench/mail-replay';
import { parseMailLine, type MailEvent } from '../../../ingest/parse/mail';
import { campaignScore, CampaignClusters, MIN_CAMPAIGN_MESSAGES, MIN_CAMPAIGN_RECIPIENTS, rarityOf, type ClusterRow } from './campaign';
import { clientNetwork, parseAddress } from './query';

const TIME = { reference: Date.parse('2026-11-24T12:00:00Z'), timeZone: 'UTC' };

/** The first real corpus line whose parsed event passes `test`. */
function corpusEvent(test: (e: MailEvent) => boolean): MailEvent {
  for (const line of corpusMailLines()) {
    const outcome = parseMailLine(line, TIME);
    if (outcome.kind === 'event' && test(outcome.event)) return outcome.event;
  }
  throw new Error('no such line in the corpus');
}

/**
 * Aggregation rows (what the campaign sweep reads, one per client, sender and subject) made from a real message of
 * the corpus: a SendGrid mailing whose subject Postfix logged with header_checks, client and envelope as logged.
 * A mailing sends the same message to many people, so the rows repeat it with its VERP sender and subject
 * number changed per recipient, as SendGrid does.
 */
const mailing = corpusEvent((e) => e.subject !== undefined && (e.from ?? '').endsWith('@sendgrid.net'));
const sender = parseAddress(mailing.from)!;

function row(i: number, overrides: Partial<ClusterRow> = {}): ClusterRow {
  const recipient = `reader${i}@vigil.test`;
  return {
    network: clientNetwork(mailing.client?.ip),
    organisation: sender.organisation,
    sender: sender.address.replace(/-[^-]+=[^@]+@/, `-${recipient.replace('@', '=')}@`),
    client: mailing.client?.ip,
    subject: `${mailing.subject} #${1000 + i}`,
    messages: 1,
    first: 1_000_000 + i * 1000,
    recipients: [recipient],
    ...overrides,
  };
}

describe('campaign clusters', () => {
  it('uses a real mailing with its subject and client', () => {
    expect(mailing.subject).toMatch(/^https:\/\//);
    expect(mailing.client?.ip).toBe('167.89.17.173');
    expect(sender.organisation).toBe('sendgrid.net');
  });

  it('makes one cluster of one organisation, subject template and /24, across senders and subject numbers', () => {
    const clusters = new CampaignClusters();
    for (let i = 0; i < 8; i++) clusters.add(row(i));
    const found = clusters.finish();
    expect(found).toHaveLength(1);
    const [c] = found;
    expect(c.organisation).toBe('sendgrid.net');
    expect(c.network).toBe('167.89.17.0/24');
    expect(c.template).toBe('<url> #<n>');
    expect(c.messages).toBe(8);
    expect(c.recipients.size).toBe(8);
    expect(c.senders.size).toBe(8);
    expect(c.first).toBe(1_000_000);
    expect(c.moreRecipients).toBe(false);
  });

  it('keeps networks, organisations and templates apart', () => {
    const clusters = new CampaignClusters();
    // Rows arrive sorted by client address: one network after the other.
    for (let i = 0; i < 4; i++) clusters.add(row(i));
    for (let i = 4; i < 8; i++) clusters.add(row(i, { network: '167.89.18.0/24', client: '167.89.18.7' }));
    expect(clusters.finish()).toEqual([]);

    const other = new CampaignClusters();
    for (let i = 0; i < 4; i++) other.add(row(i));
    for (let i = 4; i < 8; i++) other.add(row(i, { organisation: 'constantcontact.com' }));
    for (let i = 8; i < 12; i++) other.add(row(i, { subject: `Your parcel ${i} is waiting` }));
    expect(other.finish()).toEqual([]);
  });

  it('needs enough messages and enough recipients', () => {
    const few = new CampaignClusters();
    for (let i = 0; i < MIN_CAMPAIGN_MESSAGES - 1; i++) few.add(row(i));
    expect(few.finish()).toEqual([]);

    // Many messages to the same few people are a conversation or a notification stream, not a campaign.
    const narrow = new CampaignClusters();
    for (let i = 0; i < 20; i++) narrow.add(row(i, { recipients: [`reader${i % (MIN_CAMPAIGN_RECIPIENTS - 1)}@vigil.test`] }));
    expect(narrow.finish()).toEqual([]);
  });

  it('clusters messages without a logged subject on domain and network alone', () => {
    const clusters = new CampaignClusters();
    for (let i = 0; i < 6; i++) clusters.add(row(i, { subject: undefined }));
    const [c] = clusters.finish();
    expect(c.template).toBe('');
    expect(c.subjects.size).toBe(0);
    expect(c.messages).toBe(6);
  });

  it('remembers that a row had more recipients than the aggregation listed', () => {
    const clusters = new CampaignClusters();
    for (let i = 0; i < 6; i++) clusters.add(row(i, { moreRecipients: i === 3 }));
    expect(clusters.finish()[0].moreRecipients).toBe(true);
  });

  it('scores reach and rarity', () => {
    expect(campaignScore(5, 1)).toBeGreaterThan(40);
    expect(campaignScore(10, 1)).toBeGreaterThan(campaignScore(5, 1));
    expect(campaignScore(10, 1)).toBeGreaterThanOrEqual(80);
    expect(campaignScore(10, 0.8)).toBeLessThan(campaignScore(10, 1));
    expect(campaignScore(1000, 0)).toBe(0);
    expect(rarityOf(undefined)).toBe(1);
    expect(rarityOf({ messages: 3, days: 10 })).toBe(0.8);
    expect(rarityOf({ messages: 500, days: 1 })).toBe(0.8);
    expect(rarityOf({ messages: 500, days: 30 })).toBe(0);
  });
});
