import type { Baseline } from '../../baseline/store';
import { alreadyLearned, learnedBaseline } from '../../baseline/store';
import { DAY_MS, decayFactor, scoreFrom } from '../../baseline/decay';
import { registeredDomain } from '../../features/domain';
import { LookalikeIndex, type Lookalike } from '../../features/lookalike';
import { compositePages, firstTime, windowQuery } from '../../query/composite';
import { str } from '../conn-query';
import { formatDays, round } from '../format';
import { hasEvents, type DetectionModel, type ModelContext } from '../model';
import { judgeSenders, MAX_ROWS_PER_SENDER, MIN_SCORE, type RecipientRow } from './association';
import { judgeAuth, learnAuth, mechanismOf, verdictOf, type Mechanism } from './auth';
import { CampaignClusters, campaignScore, rarityOf, type Cluster } from './campaign';
import {
  DomainWindow,
  ESTABLISHED_AGE_DAYS,
  ESTABLISHED_DAYS,
  lookalikeScore,
  ORGANISATION_FULL_WINDOWS,
  ORGANISATION_LEARNING_DAYS,
  ORGANISATION_MIN_DAYS,
  ORGANISATION_MIN_WINDOWS,
  type DomainEntry,
  type DomainState,
  type LearnedDomainsState,
  type OrganisationState,
} from './domains';
import { clientNetwork, MAIL_EVENTS_INDEX, MESSAGES_INDEX, messagesLink, messagesQuery, networkFilter, parseAddress, parseDomain } from './query';
import { confidence, listSome, plural, poissonTail, surprise } from './score';

/**
 * Email: what the organisation's mail says about phishing and account abuse, read from the message documents the
 * ingest worker rebuilds from the MTA's log (one per message, `vigil-mail-messages-*`) and from the milter and
 * policy verdicts among its log lines (`vigil-mail-events-*`). Five judgements:
 *
 * - a sender writing to recipients it never wrote to (`association.ts`: the sender/recipient graph);
 * - a sender domain new to the organisation, rated against how often the organisation meets new ones (`domains.ts`);
 * - a sender domain that imitates one of the organisation's (`domains.ts`, `features/lookalike.ts`);
 * - authentication failures (DKIM, DMARC, SPF) from a domain whose mail normally passes (`auth.ts`);
 * - campaigns: many messages with one subject template from one network and a new or rare domain, one anomaly
 *   naming every recipient (`campaign.ts`).
 *
 * Everything is read through composite aggregations, a page at a time. A sender organisation is the registered
 * domain of the envelope sender; the index has no field for it, so it is derived from each row's address, and the
 * window's organisations are gathered in a bounded map (`DomainWindow`) before their baselines are read.
 */

/** Local transports: mail they deliver lands in the organisation's own mailboxes. */
const LOCAL_TRANSPORTS = ['virtual', 'local', 'dovecot'];
/** Learned organisation domains kept at most (a host serving more is a provider; configure the ones that matter). */
const MAX_LEARNED_DOMAINS = 256;
/** Recipients listed per aggregation row of the campaign sweep; a larger row says how many more there were. */
const RECIPIENTS_PER_ROW = 100;
const BATCH = 500;
/** Senders judged per baseline read, and rows held at most before a batch is judged. */
const SENDER_BATCH = 500;
const ROW_BATCH = 50_000;

const LEARNED_DOMAINS_KEY = 'recipient-domains';

const MECHANISM_NAMES: Record<Mechanism, string> = { dkim: 'DKIM', dmarc: 'DMARC', spf: 'SPF' };
const MILTERS: Record<Mechanism, string> = { dkim: 'opendkim', dmarc: 'opendmarc', spf: 'policyd-spf' };

const LOOKALIKE_WORDS: Record<Lookalike['kind'], string> = {
  homoglyph: 'with characters that look alike',
  edit: 'with a character changed',
  'tld-swap': 'under another suffix',
  hyphen: 'with a hyphen added or removed',
  'subdomain-embed': 'written in front of an unrelated domain',
};

export class EmailModel implements DetectionModel {
  readonly id = 'email' as const;
  private lookalikes?: { key: string; index: LookalikeIndex };

  async run(ctx: ModelContext): Promise<void> {
    // Messages and milter verdicts are the datasets `mail.message` and `mail.<daemon>`.
    if (!hasEvents(ctx, 'mail.*')) return;
    const configured = ctx.config.detector.models.email.organisationDomains;
    const learned = await this.learnOrganisationDomains(ctx);
    const known = [...configured, ...learned];
    const organisation = new Set(known.map((d) => registeredDomain(d) ?? d.toLowerCase()));
    await this.associations(ctx, organisation);
    const domains = new DomainWindow();
    const clusters = new CampaignClusters();
    await this.messagesByNetwork(ctx, domains, clusters);
    await this.verdicts(ctx, domains);
    if (domains.dropped > 0 || clusters.dropped > 0) {
      ctx.log.warn({ window: new Date(ctx.window.start).toISOString(), domains: domains.dropped, clusters: clusters.dropped }, 'email: window over the domain or cluster limits, the rest not judged');
    }
    await this.judgeDomains(ctx, domains, clusters.finish(), organisation, this.lookalikeIndex(known));
  }

  private lookalikeIndex(known: string[]): LookalikeIndex {
    const key = known.join('\u0000');
    if (this.lookalikes?.key !== key) this.lookalikes = { key, index: new LookalikeIndex(known) };
    return this.lookalikes.index;
  }

  /**
   * The recipient domains of mail delivered into local mailboxes: the organisation's own domains, learned from
   * what the MTA hosts, which together with the configured ones are what lookalikes imitate. One partition owns
   * the list and learns it; every partition reads it.
   */
  private async learnOrganisationDomains(ctx: ModelContext): Promise<string[]> {
    const { window, baselines } = ctx;
    const base = await baselines.get<LearnedDomainsState>(this.id, 'organisation', LEARNED_DOMAINS_KEY);
    const domains = { ...(base?.state.domains ?? {}) };
    if (!ctx.partition.owns(LEARNED_DOMAINS_KEY) || alreadyLearned(base, window.start) || !ctx.maintenance.mayLearn(this.id, [], window.start)) return Object.keys(domains);
    let rows = 0;
    for await (const page of compositePages(ctx.client, {
      index: MESSAGES_INDEX,
      // Delivered, and only by local transports: a message relayed to another host (an IP among its relays) may
      // be outgoing mail to anyone.
      query: windowQuery(
        window.start,
        window.end,
        { term: { 'vigil.mail.status': 'delivered' } },
        { terms: { 'vigil.mail.recipients.relay.domain': LOCAL_TRANSPORTS } },
        { bool: { must_not: [{ exists: { field: 'vigil.mail.recipients.relay.ip' } }] } },
      ),
      size: ctx.config.detector.pageSize,
      sources: [{ to: { terms: { field: 'email.to.address' } } }],
    })) {
      for (const b of page) {
        const a = parseAddress(str(b.key.to));
        if (!a || a.organisation.startsWith('[')) continue;
        rows++;
        const d = domains[a.organisation];
        if (d) domains[a.organisation] = { ...d, last: window.start, messages: d.messages + b.doc_count };
        else if (Object.keys(domains).length < MAX_LEARNED_DOMAINS) domains[a.organisation] = { first: window.start, last: window.start, messages: b.doc_count };
      }
    }
    if (rows > 0) {
      const ref = { model: this.id, kind: 'organisation', entity: { type: 'organisation', id: LEARNED_DOMAINS_KEY }, key: LEARNED_DOMAINS_KEY };
      baselines.put(learnedBaseline<LearnedDomainsState>(ctx, ref, base, window.start, { domains }));
    }
    return Object.keys(domains);
  }

  /**
   * Sender and recipient pairs, senders in order: each sender's rows come in one run, so the senders gathered so
   * far are complete when a new one starts, and are judged in batches.
   */
  private async associations(ctx: ModelContext, organisation: ReadonlySet<string>): Promise<void> {
    const batch = new Map<string, RecipientRow[]>();
    let batched = 0;
    for await (const page of compositePages(ctx.client, {
      index: MESSAGES_INDEX,
      query: messagesQuery(ctx.window, { exists: { field: 'email.to.address' } }),
      size: ctx.config.detector.pageSize,
      sources: [{ from: { terms: { field: 'email.from.address' } } }, { to: { terms: { field: 'email.to.address' } } }],
      aggs: { first: { min: { field: '@timestamp' } } },
    })) {
      for (const b of page) {
        const from = parseAddress(str(b.key.from));
        const to = str(b.key.to)?.trim().toLowerCase();
        if (!from || !to || !ctx.partition.owns(from.address)) continue;
        let rows = batch.get(from.address);
        if (!rows) {
          if (batch.size >= SENDER_BATCH || batched >= ROW_BATCH) {
            await judgeSenders(ctx, this.id, organisation, batch);
            batch.clear();
            batched = 0;
          }
          rows = [];
          batch.set(from.address, rows);
        }
        if (rows.length >= MAX_ROWS_PER_SENDER) continue;
        rows.push({ recipient: to, first: firstTime(b, ctx.window.start), count: b.doc_count });
        batched++;
      }
      if (ctx.baselines.pending > 5000) await ctx.baselines.spill();
    }
    await judgeSenders(ctx, this.id, organisation, batch);
  }

  /**
   * Messages by client address, sender and subject: client first, so that the rows of one /24 come in one run and
   * its campaign clusters can be finished before the next; each row also adds to its sender organisation's entry.
   */
  private async messagesByNetwork(ctx: ModelContext, domains: DomainWindow, clusters: CampaignClusters): Promise<void> {
    for await (const page of compositePages(ctx.client, {
      index: MESSAGES_INDEX,
      query: messagesQuery(ctx.window),
      size: ctx.config.detector.pageSize,
      sources: [
        { client: { terms: { field: 'source.ip', missing_bucket: true } } },
        { from: { terms: { field: 'email.from.address' } } },
        { subject: { terms: { field: 'email.subject', missing_bucket: true } } },
      ],
      aggs: { first: { min: { field: '@timestamp' } }, to: { terms: { field: 'email.to.address', size: RECIPIENTS_PER_ROW } } },
    })) {
      for (const b of page) {
        const from = parseAddress(str(b.key.from));
        if (!from || !ctx.partition.owns(from.organisation)) continue;
        const client = str(b.key.client);
        const to = b.to as { buckets?: Array<{ key: string }>; sum_other_doc_count?: number } | undefined;
        const recipients = (to?.buckets ?? []).map((t) => String(t.key).trim().toLowerCase());
        const row = {
          network: clientNetwork(client),
          organisation: from.organisation,
          domain: from.domain,
          sender: from.address,
          client,
          subject: str(b.key.subject),
          messages: b.doc_count,
          first: firstTime(b, ctx.window.start),
          recipients,
          moreRecipients: (to?.sum_other_doc_count ?? 0) > 0,
        };
        domains.addMessages(row);
        clusters.add(row);
      }
    }
  }

  /**
   * Milter and policy verdicts of the window, read from the line events, where each document holds one verdict
   * whole. In a message document the milters are an array of objects that is not mapped `nested`, so an
   * aggregation would cross one milter's name with another's result; and the SPF policy service logs no queue id,
   * so its verdicts are only lines anyway. OpenDKIM logs no domain with a verification result: those verdicts have
   * no domain to count for and are left out.
   */
  private async verdicts(ctx: ModelContext, domains: DomainWindow): Promise<void> {
    for await (const page of compositePages(ctx.client, {
      index: MAIL_EVENTS_INDEX,
      query: windowQuery(ctx.window.start, ctx.window.end, { term: { 'event.action': 'milter' } }),
      size: ctx.config.detector.pageSize,
      sources: [
        { domain: { terms: { field: 'vigil.mail.milter.domain' } } },
        { name: { terms: { field: 'vigil.mail.milter.name' } } },
        { result: { terms: { field: 'vigil.mail.milter.result' } } },
      ],
      aggs: { first: { min: { field: '@timestamp' } } },
    })) {
      for (const b of page) {
        const d = parseDomain(str(b.key.domain));
        const mechanism = mechanismOf(str(b.key.name) ?? '');
        if (!d || !mechanism || !ctx.partition.owns(d.organisation)) continue;
        domains.addVerdict(d.organisation, d.domain, mechanism, verdictOf(mechanism, str(b.key.result) ?? ''), b.doc_count, firstTime(b, ctx.window.start));
      }
    }
  }

  /** Every sender organisation of the window this partition owns: lookalike, new, campaign, authentication. */
  private async judgeDomains(ctx: ModelContext, domains: DomainWindow, clusters: Cluster[], organisation: ReadonlySet<string>, lookalikes: LookalikeIndex): Promise<void> {
    if (domains.entries.size === 0) return;
    const { baselines } = ctx;
    const w = ctx.window;
    const orgKey = `sender-domains/${ctx.partition.name}`;
    const orgBase = await baselines.get<OrganisationState>(this.id, 'organisation', orgKey);
    const org = orgBase?.state ?? { windows: 0, fresh: 0, t: w.start };
    const orgKeep = orgBase ? decayFactor(w.start - org.t, ctx.halfLifeMs) : 1;
    const orgAge = orgBase ? w.start - orgBase.first_seen : 0;
    const orgReady = orgBase !== undefined && orgBase.observations >= ORGANISATION_MIN_WINDOWS && orgAge >= ORGANISATION_MIN_DAYS * DAY_MS;
    const byOrganisation = new Map<string, Cluster[]>();
    for (const c of clusters) byOrganisation.set(c.organisation, [...(byOrganisation.get(c.organisation) ?? []), c]);

    const fresh: DomainEntry[] = [];
    const today = Math.floor(w.start / DAY_MS);
    const mayLearn = ctx.maintenance.mayLearn(this.id, [], w.start);
    const owned = [...domains.entries.values()].sort((a, b) => (a.organisation < b.organisation ? -1 : 1));
    for (let i = 0; i < owned.length; i += BATCH) {
      const batch = owned.slice(i, i + BATCH);
      const bases = await baselines.getMany<DomainState>(this.id, 'domain', batch.map((e) => e.organisation));
      for (const entry of batch) {
        const base = bases.get(entry.organisation);
        if (alreadyLearned(base, w.start)) continue;
        ctx.count(0, 1);
        const own = organisation.has(entry.organisation);
        const tainted = ctx.feedback.isTainted(this.id, entry.organisation);
        const knownDays = base?.state.days ?? 0;
        const isNew = entry.messages > 0 && (knownDays === 0 || tainted) && !own;
        let lookalikeDay = base?.state.lookalikeDay;
        if (!own && entry.messages > 0) {
          const match = [...entry.names].map((n) => ({ name: n, match: lookalikes.match(n) })).find((m) => m.match !== undefined);
          if (match && lookalikeDay !== today && !ctx.feedback.isAccepted(this.id, entry.organisation)) {
            this.emitLookalike(ctx, entry, match.name, match.match!, base);
            lookalikeDay = today;
          }
          // A lookalike that is also new is reported once, as the lookalike.
          if (isNew && !match) fresh.push(entry);
        }
        if (!own && orgReady) {
          const rarity = tainted ? 1 : rarityOf(base && knownDays > 0 ? { messages: base.state.messages * decayFactor(w.start - base.state.t, ctx.halfLifeMs), days: knownDays } : undefined);
          if (rarity > 0) for (const c of byOrganisation.get(entry.organisation) ?? []) this.emitCampaign(ctx, c, rarity, base);
        }
        const verdicts = judgeAuth(base?.state.auth, entry.auth, w.start, ctx.halfLifeMs);
        if (verdicts.length > 0 && verdicts[0].score >= MIN_SCORE) this.emitAuth(ctx, entry, verdicts, base);

        if (!mayLearn || tainted) continue;
        const state = base?.state;
        const keep = state ? decayFactor(w.start - state.t, ctx.halfLifeMs) : 1;
        const seen = entry.messages > 0;
        const auth = learnAuth(state?.auth, entry.auth, w.start, ctx.halfLifeMs);
        const next: DomainState = {
          messages: (state?.messages ?? 0) * keep + entry.messages,
          days: knownDays + (seen && state?.day !== today ? 1 : 0),
          day: seen ? today : (state?.day ?? today),
          t: w.start,
          ...(auth ? { auth } : {}),
          ...(lookalikeDay !== undefined ? { lookalikeDay } : {}),
        };
        baselines.put(learnedBaseline(ctx, { model: this.id, kind: 'domain', entity: { type: 'domain', id: entry.organisation }, key: entry.organisation }, base, entry.first, next));
      }
      if (baselines.pending > 5000) await baselines.spill();
    }

    const history = org.windows * orgKeep;
    const rate = (org.fresh * orgKeep + 0.5) / (history + 1);
    if (orgReady && fresh.length > 0) {
      const s = surprise(poissonTail(fresh.length, rate));
      const score = Math.round(scoreFrom(s, 2.5, 0.8) * confidence(history, ORGANISATION_FULL_WINDOWS) * 10) / 10;
      if (score >= MIN_SCORE) for (const entry of fresh) this.emitNewDomain(ctx, entry, fresh.length, rate, history, orgBase!.first_seen, score);
    }
    if (alreadyLearned(orgBase, w.start) || !mayLearn) return;
    // New domains count towards the rate once the first day of history is over (see ORGANISATION_LEARNING_DAYS).
    const counted = orgBase && orgAge >= ORGANISATION_LEARNING_DAYS * DAY_MS ? fresh.filter((e) => !ctx.feedback.isTainted(this.id, e.organisation)).length : 0;
    const state: OrganisationState = { windows: history + 1, fresh: org.fresh * orgKeep + counted, t: w.start };
    baselines.put(learnedBaseline(ctx, { model: this.id, kind: 'organisation', entity: { type: 'organisation', id: orgKey }, key: orgKey }, orgBase, w.start, state));
  }

  private emitLookalike(ctx: ModelContext, entry: DomainEntry, name: string, match: Lookalike, base: Baseline<DomainState> | undefined): void {
    const w = ctx.window;
    const days = base ? (w.start - base.first_seen) / DAY_MS : 0;
    const established = base !== undefined && base.state.days >= ESTABLISHED_DAYS && days >= ESTABLISHED_AGE_DAYS;
    const senders = [...entry.senders];
    const recipients = [...entry.recipients];
    const history = base && base.state.days > 0 ? `mail from it came on ${plural(base.state.days, 'day')} over ${formatDays(days)}` : 'the organisation never received mail from it before';
    ctx.emit({
      model: this.id,
      kind: 'lookalike_domain',
      domain: 'email',
      entity: { type: 'domain', id: entry.organisation },
      key: match.domain,
      score: lookalikeScore(match, established),
      time: entry.first,
      explanation:
        `Mail from ${name} imitates the organisation's domain ${match.domain} (${LOOKALIKE_WORDS[match.kind]}${match.distance > 0 ? `, ${plural(match.distance, 'edit')} apart` : ''}): ` +
        `${plural(entry.messages, 'message')} from ${listSome(senders)} to ${listSome(recipients)}; ${history}.`,
      figures: {
        observed: entry.messages,
        history_days: round(days),
        first_seen: base?.first_seen ?? entry.first,
        peers: recipients.length,
        count: entry.messages,
        unit: 'messages',
        details: { imitates: match.domain, kind: match.kind, distance: match.distance, name, names: [...entry.names], senders, established },
      },
      events: { index: MESSAGES_INDEX, query: messagesLink(w, { 'email.from.address': senders }), count: entry.messages },
      techniques: [
        { id: 'T1566', name: 'Phishing' },
        { id: 'T1583.001', name: 'Acquire Infrastructure: Domains' },
      ],
      related: { user: recipients, ip: ipsOf(entry.clients), hosts: [...entry.names] },
      destination: { domain: match.domain },
      email: { from: { address: senders[0] }, to: { address: recipients.slice(0, 100) } },
    });
  }

  private emitCampaign(ctx: ModelContext, c: Cluster, rarity: number, base: Baseline<DomainState> | undefined): void {
    const w = ctx.window;
    const score = campaignScore(c.recipients.size, rarity);
    if (score < MIN_SCORE) return;
    const senders = [...c.senders];
    const recipients = [...c.recipients];
    const subjects = [...c.subjects];
    const standing = rarity >= 1 ? 'a domain new to the organisation' : `a domain the organisation rarely hears from (${plural(base?.state.days ?? 0, 'day')} with mail)`;
    const about = c.template === '' ? 'no logged subject' : `the subject "${subjects[0]}"${subjects.length > 1 ? ` and ${plural(subjects.length - 1, 'variant')}` : ''}`;
    const count = `${c.recipients.size}${c.moreRecipients ? ' or more' : ''}`;
    ctx.emit({
      model: this.id,
      kind: 'campaign',
      domain: 'email',
      entity: { type: 'domain', id: c.organisation },
      key: `${c.template}\u0000${c.network}`,
      score,
      time: c.first,
      explanation:
        `${plural(c.messages, 'message')} with ${about} from ${plural(senders.length, 'sender')} at ${c.organisation}, ${standing}, ` +
        `came from ${c.network} and reached ${count} recipients within one ${ctx.config.detector.windowMinutes}-minute window (${listSome(recipients)}).`,
      figures: {
        observed: c.recipients.size,
        first_seen: base?.first_seen ?? c.first,
        peers: c.recipients.size,
        count: c.messages,
        unit: 'recipients',
        details: { template: c.template, subjects, senders, network: c.network, clients: [...c.clients], more_recipients: c.moreRecipients, rarity },
      },
      events: {
        index: MESSAGES_INDEX,
        query: messagesLink(w, { 'email.from.address': senders.slice(0, 100), 'email.subject': c.template === '' ? [] : subjects }, networkFilter(c.network)),
        count: c.messages,
      },
      techniques: [{ id: 'T1566', name: 'Phishing' }],
      related: { user: recipients, ip: ipsOf(c.clients) },
      email: { from: { address: senders[0] }, to: { address: recipients.slice(0, 100) }, ...(subjects.length ? { subject: subjects[0] } : {}) },
    });
  }

  private emitNewDomain(ctx: ModelContext, entry: DomainEntry, fresh: number, rate: number, history: number, since: number, score: number): void {
    const w = ctx.window;
    const days = (w.start - since) / DAY_MS;
    const senders = [...entry.senders];
    const recipients = [...entry.recipients];
    ctx.emit({
      model: this.id,
      kind: 'new_sender_domain',
      domain: 'email',
      entity: { type: 'domain', id: entry.organisation },
      score,
      time: entry.first,
      explanation:
        `${entry.organisation} sent mail to the organisation for the first time: ${plural(entry.messages, 'message')} from ${listSome(senders)} to ${listSome(recipients)}` +
        `${fresh > 1 ? `, one of ${fresh} new sender domains in this window` : ''}; over ${formatDays(days)} about ${round(rate, 3)} new sender domains came per ${ctx.config.detector.windowMinutes}-minute window.`,
      figures: {
        observed: fresh,
        expected: round(rate, 3),
        history_windows: Math.round(history),
        history_days: round(days),
        first_seen: entry.first,
        peers: recipients.length,
        count: entry.messages,
        unit: 'new sender domains per window',
        details: { names: [...entry.names], senders },
      },
      events: { index: MESSAGES_INDEX, query: messagesLink(w, { 'email.from.address': senders }), count: entry.messages },
      techniques: [{ id: 'T1566', name: 'Phishing' }],
      related: { user: recipients, ip: ipsOf(entry.clients), hosts: [...entry.names] },
      email: { from: { address: senders[0] }, to: { address: recipients.slice(0, 100) } },
    });
  }

  private emitAuth(ctx: ModelContext, entry: DomainEntry, judgements: ReturnType<typeof judgeAuth>, base: Baseline<DomainState> | undefined): void {
    const w = ctx.window;
    const top = judgements[0];
    const days = base ? (w.start - base.first_seen) / DAY_MS : 0;
    const senders = [...entry.senders];
    const recipients = [...entry.recipients];
    const failures = judgements.reduce((n, j) => n + j.failures, 0);
    const others = judgements.slice(1).map((j) => `${MECHANISM_NAMES[j.mechanism]} ${j.failures} of ${j.verdicts}`);
    ctx.emit({
      model: this.id,
      kind: 'auth_failure',
      domain: 'email',
      entity: { type: 'domain', id: entry.organisation },
      score: top.score,
      time: entry.first,
      explanation:
        `Mail claiming ${entry.organisation} failed ${MECHANISM_NAMES[top.mechanism]} ${top.failures} of ${plural(top.verdicts, 'time')} in this window` +
        `${others.length ? ` (and ${others.join(', ')})` : ''}; over ${formatDays(days)} about ${Math.round(top.passed)} of its ${MECHANISM_NAMES[top.mechanism]} verdicts passed and ${Math.round(top.failed)} failed.`,
      figures: {
        observed: top.failures,
        expected: round(top.p * top.verdicts, 3),
        history_days: round(days),
        first_seen: base?.first_seen,
        peers: recipients.length,
        count: failures,
        unit: `${MECHANISM_NAMES[top.mechanism]} failures per window`,
        details: {
          mechanisms: judgements.map((j) => ({ mechanism: j.mechanism, failures: j.failures, verdicts: j.verdicts, passed: round(j.passed), failed: round(j.failed), p: round(j.p, 4), score: j.score })),
          names: [...entry.names],
          senders,
        },
      },
      events: {
        index: MAIL_EVENTS_INDEX,
        query: windowQuery(w.start, w.end, { term: { 'event.action': 'milter' } }, { terms: { 'vigil.mail.milter.domain': [...entry.names] } }, { terms: { 'vigil.mail.milter.name': judgements.map((j) => MILTERS[j.mechanism]) } }),
        count: failures,
      },
      techniques: [
        { id: 'T1566', name: 'Phishing' },
        { id: 'T1656', name: 'Impersonation' },
      ],
      related: { user: recipients, ip: ipsOf(entry.clients), hosts: [...entry.names] },
      ...(senders.length ? { email: { from: { address: senders[0] }, to: { address: recipients.slice(0, 100) } } } : {}),
    });
  }
}

function ipsOf(values: Iterable<string>): string[] {
  return [...values].filter((v) => /^[0-9.]+$|:/.test(v)).slice(0, 100);
}
