import type { Lookalike } from '../../features/lookalike';
import type { AuthState, AuthWindow, Mechanism } from './auth';

/**
 * What one window says about each sender organisation (registered domain of the envelope sender), gathered from
 * the aggregation rows, and what the baselines keep about it and about the organisation's correspondents as a whole.
 */

/** Per sender organisation (registered domain): what the organisation has received from it. */
export interface DomainState {
  /** Decayed count of messages. */
  messages: number;
  /** Days (epoch day numbers) with mail: how many, and the last. */
  days: number;
  day: number;
  /** Time of the last update (ms). */
  t: number;
  auth?: AuthState;
  /** Day a lookalike anomaly was last written: one a day is enough for a domain that keeps writing. */
  lookalikeDay?: number;
}

/**
 * The organisation's correspondents as a whole, per partition (each process counts the domains it owns): in how
 * many windows mail came in, and how many new sender domains came, both decayed. Their ratio is how often the
 * organisation meets new correspondents, which decides how surprising one more is.
 */
export interface OrganisationState {
  windows: number;
  fresh: number;
  t: number;
}

/** Recipient domains of mail delivered into local mailboxes: the organisation's own domains, learned. */
export interface LearnedDomainsState {
  domains: Record<string, { first: number; last: number; messages: number }>;
}

export interface DomainEntry {
  organisation: string;
  /** Sender domains as written (`mail.example.com`), for lookalike checks of the whole name. */
  names: Set<string>;
  messages: number;
  first: number;
  senders: Set<string>;
  recipients: Set<string>;
  clients: Set<string>;
  auth: AuthWindow;
  /** Verdicts that are neither pass nor fail, counted for the explanation. */
  authOther: number;
}

const MAX_NAMES = 20;
const MAX_SENDERS = 50;
const MAX_RECIPIENTS = 200;
const MAX_CLIENTS = 20;
/** Sender organisations kept per window; beyond, the rest is counted (a window of this many is a flood). */
export const MAX_DOMAINS_PER_WINDOW = 100_000;

function addCapped(set: Set<string>, value: string | undefined, cap: number): void {
  if (value !== undefined && value !== '' && set.size < cap) set.add(value);
}

/** The window's sender organisations; bounded by `MAX_DOMAINS_PER_WINDOW` entries of bounded size. */
export class DomainWindow {
  readonly entries = new Map<string, DomainEntry>();
  dropped = 0;

  private entry(organisation: string, first: number): DomainEntry | undefined {
    let e = this.entries.get(organisation);
    if (!e) {
      if (this.entries.size >= MAX_DOMAINS_PER_WINDOW) {
        this.dropped++;
        return undefined;
      }
      e = { organisation, names: new Set(), messages: 0, first, senders: new Set(), recipients: new Set(), clients: new Set(), auth: {}, authOther: 0 };
      this.entries.set(organisation, e);
    }
    return e;
  }

  addMessages(row: { organisation: string; domain: string; sender: string; client?: string; messages: number; first: number; recipients: readonly string[] }): void {
    const e = this.entry(row.organisation, row.first);
    if (!e) return;
    e.messages += row.messages;
    e.first = Math.min(e.first, row.first);
    addCapped(e.names, row.domain, MAX_NAMES);
    addCapped(e.senders, row.sender, MAX_SENDERS);
    addCapped(e.clients, row.client, MAX_CLIENTS);
    for (const r of row.recipients) addCapped(e.recipients, r, MAX_RECIPIENTS);
  }

  addVerdict(organisation: string, domain: string, mechanism: Mechanism, verdict: 'pass' | 'fail' | undefined, count: number, first: number): void {
    const e = this.entry(organisation, first);
    if (!e) return;
    addCapped(e.names, domain, MAX_NAMES);
    if (verdict === undefined) {
      e.authOther += count;
      return;
    }
    const c = (e.auth[mechanism] ??= { pass: 0, fail: 0 });
    c[verdict] += count;
  }
}

/**
 * How high a lookalike sender domain scores: characters that look alike (`vigi1` for `vigil`, a Cyrillic `а`) and
 * the organisation's name embedded left of another domain are made to deceive; a typo of one character nearly
 * always is; the same name under another suffix or with a hyphen added is sometimes a sister company. A domain the
 * organisation has exchanged mail with on many days for weeks is more likely a partner with a similar name, and
 * scores half as much.
 */
export function lookalikeScore(match: Lookalike, established: boolean): number {
  let score: number;
  switch (match.kind) {
    case 'homoglyph':
      score = 95;
      break;
    case 'subdomain-embed':
      score = 90;
      break;
    case 'edit':
      score = match.distance <= 1 ? 88 : 78;
      break;
    case 'tld-swap':
      score = 85;
      break;
    case 'hyphen':
      score = 80;
      break;
  }
  return established ? score / 2 : score;
}

/** A sender organisation is established after mail on this many days, the first at least this many days ago. */
export const ESTABLISHED_DAYS = 5;
export const ESTABLISHED_AGE_DAYS = 14;

/** Windows and days of history the organisation needs before a sender domain can be new to it. */
export const ORGANISATION_MIN_WINDOWS = 12;
export const ORGANISATION_MIN_DAYS = 3;
/**
 * The first day of history does not count towards the rate of new domains: every correspondent is new then,
 * which says nothing about how often the organisation meets new ones.
 */
export const ORGANISATION_LEARNING_DAYS = 1;
/** Windows at which the organisation's rate of new domains is fully trusted. */
export const ORGANISATION_FULL_WINDOWS = 96;
