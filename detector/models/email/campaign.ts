import { scoreFrom } from '../../baseline/decay';
import { normaliseSubject } from '../../features/subject';

/**
 * Campaigns: the messages of one mailing (phishing, ATT&CK T1566, or a spam run) share a sender domain, a subject
 * template (what is left once the recipient's name, the invoice number and the tracking link are taken out, see
 * `normaliseSubject`) and the network they were sent from, and arrive within a short time. Messages are clustered
 * on (sender organisation, subject template, client /24) within the window; a cluster of many messages to many
 * recipients from a domain new or rare to the organisation is one anomaly that names every recipient, so that the
 * pass makes one incident of the whole campaign rather than one per message.
 *
 * A composite aggregation cannot cut an address at its domain or normalise a subject, so it is keyed on the client
 * address first: every row of one /24 comes in one run, and the clusters of a network are finished when the next
 * network starts. Memory is bounded by the distinct (sender, subject) pairs of one network, capped.
 */

export interface ClusterRow {
  network: string;
  /** Sender organisation (registered domain). */
  organisation: string;
  sender: string;
  client?: string;
  /** The subject as logged, when the MTA logs subjects. */
  subject?: string;
  messages: number;
  first: number;
  /** Recipients of the row's messages (the aggregation returns the first ones of a large row). */
  recipients: readonly string[];
  /** Whether the row had more recipients than listed. */
  moreRecipients?: boolean;
}

export interface Cluster {
  organisation: string;
  network: string;
  /** The normalised subject, `''` when no subject was logged. */
  template: string;
  messages: number;
  first: number;
  senders: Set<string>;
  subjects: Set<string>;
  clients: Set<string>;
  recipients: Set<string>;
  /** Recipients not kept (beyond the cap or not listed by the aggregation): the recipient count is at least. */
  moreRecipients: boolean;
}

/** A cluster is a campaign candidate from this many messages and this many distinct recipients. */
export const MIN_CAMPAIGN_MESSAGES = 5;
export const MIN_CAMPAIGN_RECIPIENTS = 5;
const MAX_CLUSTERS_PER_NETWORK = 20_000;
const MAX_CANDIDATES = 1000;
const MAX_RECIPIENTS = 5000;
const MAX_SENDERS = 200;
const MAX_SUBJECTS = 10;
const MAX_CLIENTS = 50;

function addCapped(set: Set<string>, value: string, cap: number): boolean {
  if (set.has(value)) return true;
  if (set.size >= cap) return false;
  set.add(value);
  return true;
}

/** Clusters rows that arrive grouped by network; `candidates` holds the clusters large enough to judge. */
export class CampaignClusters {
  private network: string | undefined;
  private open = new Map<string, Cluster>();
  private readonly found: Cluster[] = [];
  /** Rows whose cluster could not be opened because a network had too many: counted, not clustered. */
  dropped = 0;

  add(row: ClusterRow): void {
    if (row.network !== this.network) {
      this.finishNetwork();
      this.network = row.network;
    }
    const template = row.subject === undefined ? '' : normaliseSubject(row.subject);
    const key = `${row.organisation}\u0000${template}`;
    let c = this.open.get(key);
    if (!c) {
      if (this.open.size >= MAX_CLUSTERS_PER_NETWORK) {
        this.dropped++;
        return;
      }
      c = { organisation: row.organisation, network: row.network, template, messages: 0, first: row.first, senders: new Set(), subjects: new Set(), clients: new Set(), recipients: new Set(), moreRecipients: false };
      this.open.set(key, c);
    }
    c.messages += row.messages;
    c.first = Math.min(c.first, row.first);
    addCapped(c.senders, row.sender, MAX_SENDERS);
    if (row.subject !== undefined) addCapped(c.subjects, row.subject, MAX_SUBJECTS);
    if (row.client) addCapped(c.clients, row.client, MAX_CLIENTS);
    for (const r of row.recipients) if (!addCapped(c.recipients, r, MAX_RECIPIENTS)) c.moreRecipients = true;
    if (row.moreRecipients) c.moreRecipients = true;
  }

  /** Ends the last network; call once after the last row. */
  finish(): Cluster[] {
    this.finishNetwork();
    this.network = undefined;
    return this.found;
  }

  private finishNetwork(): void {
    for (const c of this.open.values()) {
      if (c.messages < MIN_CAMPAIGN_MESSAGES || c.recipients.size < MIN_CAMPAIGN_RECIPIENTS) continue;
      this.found.push(c);
    }
    // The largest first, so that a window with more candidates than kept keeps the largest campaigns.
    if (this.found.length > MAX_CANDIDATES) {
      this.found.sort((a, b) => b.recipients.size - a.recipients.size || b.messages - a.messages);
      this.found.length = MAX_CANDIDATES;
    }
    this.open = new Map();
  }
}

/**
 * How much a cluster looks like a campaign worth an alert: its reach (distinct recipients, on a log scale: 5 gives
 * about 50, 10 about 85, 20 and more above 95) times how unknown its sender organisation is to the organisation
 * (`rarity`: 1 for a domain never seen, less for one seen a little, 0 for an established correspondent).
 */
export function campaignScore(recipients: number, rarity: number): number {
  return Math.round(scoreFrom(Math.log2(Math.max(1, recipients)), 2.3, 0.5) * rarity * 10) / 10;
}

/** Decayed messages below which a sender domain is rare, and days seen below which it is recent. */
export const RARE_MESSAGES = 20;
export const RARE_DAYS = 3;

/**
 * 1 for a sender organisation the organisation never received mail from, 0.8 for one it received little mail from
 * (fewer than `RARE_MESSAGES` decayed messages, or on fewer than `RARE_DAYS` days), 0 otherwise.
 */
export function rarityOf(known: { messages: number; days: number } | undefined): number {
  if (!known) return 1;
  if (known.messages < RARE_MESSAGES || known.days < RARE_DAYS) return 0.8;
  return 0;
}
