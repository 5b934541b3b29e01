import { ZEEK_EVENTS_PATTERN } from '../../../common/es/names';
import { DAY_MS, emptyStats } from '../../baseline/decay';
import { alreadyLearned, learnedBaseline, type Baseline } from '../../baseline/store';
import type { AnomalyDraft } from '../../anomaly/anomaly';
import type { Partition } from '../../partition';
import { compositePages, windowQuery } from '../../query/composite';
import { connQuery, str } from '../conn-query';
import { plural, round } from '../format';
import { isGlobalUnicast } from '../rare-destination';
import { hasEvents, type DetectionModel, type ModelContext } from '../model';
import { FAILURE_RCODES, failureExplanation, judgeFailures, learnFailures, type FailureState } from './failures';
import { ClientLookups, type ClientWindow } from './lookups';
import { registrableDomain, type Expectation } from './stats';
import { familiarity, learnedNormal, learnTunnel, mergeTunnelStates, tunnelAnomalyScore, tunnelExplanation, type TunnelDomainState } from './tunnel';
import { judgeUnused, learnUnused, ResolvedNames, unusedExplanation, unusedNames, type UnusedState } from './unused';

/**
 * The DNS model: what a local client asks its resolver, per window, read from Zeek `dns` events.
 * - `dns_tunnel`: many unique, high-information names under one registered domain (`tunnel.ts`);
 * - `dns_failure_burst`: lookups failing under many registered domains, as a domain generation algorithm's do
 *   (`failures.ts`); when most failing domains share one letter shape (the algorithm's template), the names of that
 *   shape that did resolve and the addresses they pointed to are named too: the algorithm's live servers;
 * - `dns_unused_names`: names resolved to addresses the client then never connected to (`unused.ts`).
 *
 * Two composite sweeps per window, each ordered by client so that one client's rows are contiguous and only the
 * current client is held in memory: lookups keyed by (client, name, type, response code), and answers keyed by
 * (client, name, resolved address), the latter checked in batches against the clients' `conn` events. Clients are
 * owned by partition; at most one anomaly per client, kind and window. Scores are computed before the window is
 * learned; nothing is learned from a client or domain tainted by a triage decision, or inside a maintenance window
 * that does not learn.
 */

const DNS_DATASET = 'zeek.dns';
/**
 * Multicast and broadcast name services (NetBIOS 137, mDNS 5353, LLMNR 5355) are a host's stack announcing and
 * asking its neighbours, not lookups through a resolver: NetBIOS broadcasts are most of the Kovter capture's 24,000
 * dns events, and mDNS service names would look like subdomains of `local`.
 */
const NAME_SERVICE_PORTS = [137, 5353, 5355];
const NOT_NAME_SERVICES: Record<string, unknown> = { bool: { must_not: [{ terms: { 'destination.port': NAME_SERVICE_PORTS } }] } };
/** The ports a client's own lookups use: their presence in `conn` shows that the sensor logs the client's connections. */
const DNS_PORTS = [53, 853];
/** Clients judged per baseline read. */
const BATCH = 256;
/** Addresses a failure burst names, resolved by its names of the same shape. */
const MAX_SIBLING_ADDRESSES = 1000;
/** Addresses checked per `conn` request. */
const ADDRESS_BATCH = 4096;
/** Connections up to a minute after the window still count as using a name resolved in it. */
const CONN_GRACE_MS = 60_000;

const TECHNIQUE_DNS = { id: 'T1071.004', name: 'Application Layer Protocol: DNS' };
const TECHNIQUE_EXFILTRATION = { id: 'T1048', name: 'Exfiltration Over Alternative Protocol' };
const TECHNIQUE_DGA = { id: 'T1568.002', name: 'Dynamic Resolution: Domain Generation Algorithms' };
const TECHNIQUE_DISCOVERY = { id: 'T1018', name: 'Remote System Discovery' };

export class DnsModel implements DetectionModel {
  readonly id = 'dns' as const;

  async run(ctx: ModelContext): Promise<void> {
    if (!hasEvents(ctx, DNS_DATASET)) return;
    await this.sweepLookups(ctx);
    await this.sweepAnswers(ctx);
  }

  private dnsQuery(ctx: ModelContext, ...filters: Array<Record<string, unknown>>): Record<string, unknown> {
    return windowQuery(ctx.window.start, ctx.window.end, { term: { 'event.dataset': DNS_DATASET } }, { terms: { 'source.ip': ctx.config.networks.local } }, NOT_NAME_SERVICES, ...filters);
  }

  /**
   * A client's failures or unused-names baseline after the window. A client tainted by triage keeps its state: the
   * window is marked as done but not counted.
   */
  private clientBaseline<S>(ctx: ModelContext, kind: string, client: string, b: Baseline<S> | undefined, first: number, state: S, tainted: boolean): Baseline<S> {
    const ref = { model: this.id, kind, entity: { type: 'host', id: client }, key: client };
    return learnedBaseline(ctx, ref, b, first, state, { status: tainted ? 'tainted' : 'known', observed: !tainted });
  }

  private owned(ctx: ModelContext, client: string): boolean {
    return ctx.isLocal(client) && ctx.partition.owns(client);
  }

  // ---- lookups: tunnels and failures ----

  private async sweepLookups(ctx: ModelContext): Promise<void> {
    let client: string | undefined;
    let current: ClientLookups | undefined;
    let batch: ClientWindow[] = [];
    for await (const page of compositePages(ctx.client, {
      index: ZEEK_EVENTS_PATTERN,
      query: this.dnsQuery(ctx),
      size: ctx.config.detector.pageSize,
      sources: [
        { client: { terms: { field: 'source.ip' } } },
        { name: { terms: { field: 'dns.question.name' } } },
        { qtype: { terms: { field: 'dns.question.type', missing_bucket: true } } },
        { rcode: { terms: { field: 'dns.response_code', missing_bucket: true } } },
      ],
      aggs: { first: { min: { field: '@timestamp' } } },
    })) {
      for (const b of page) {
        const c = str(b.key.client)!;
        if (c !== client) {
          if (current) batch.push(current.finish());
          if (batch.length >= BATCH) {
            await this.judgeLookups(ctx, batch);
            batch = [];
          }
          client = c;
          current = this.owned(ctx, c) ? new ClientLookups(c) : undefined;
        }
        current?.add({ name: str(b.key.name)!, qtype: str(b.key.qtype), rcode: str(b.key.rcode), docs: b.doc_count, first: (b.first as { value: number }).value });
      }
    }
    if (current) batch.push(current.finish());
    if (batch.length > 0) await this.judgeLookups(ctx, batch);
  }

  private async judgeLookups(ctx: ModelContext, batch: ClientWindow[]): Promise<void> {
    const { window, baselines } = ctx;
    const clients = await baselines.getMany<FailureState>(this.id, 'failures', batch.map((c) => c.client));
    const domainKeys = [...new Set(batch.flatMap((c) => c.tunnels.map((t) => t.domain)))].flatMap((d) => tunnelDomainKeys(d, ctx.partition));
    // Domain baselines change as the batch's clients are learned; later clients see the changes.
    const domains = domainKeys.length > 0 ? await baselines.getMany<TunnelDomainState>(this.id, 'tunnel_domain', domainKeys) : new Map<string, Baseline<TunnelDomainState>>();
    for (const c of batch) {
      const b = clients.get(c.client);
      // The client's failure baseline marks the whole lookup sweep as done for this window (a re-run window).
      if (alreadyLearned(b, window.start)) continue;
      const tainted = ctx.feedback.isTainted(this.id, c.client);
      const learns = ctx.maintenance.mayLearn(this.id, [c.client], window.start);
      ctx.count(0, 1);
      if (c.tunnels.length > 0) this.judgeTunnels(ctx, c, domains, learns && !tainted);
      await this.judgeFailureBurst(ctx, c, b);
      if (!learns) continue;
      const state: FailureState = tainted ? (b?.state ?? { domains: emptyStats(), lookups: emptyStats() }) : learnFailures(b?.state, c.failures, window.start, ctx.halfLifeMs);
      baselines.put(this.clientBaseline(ctx, 'failures', c.client, b, c.first, state, tainted));
    }
    await baselines.flush();
  }

  private judgeTunnels(ctx: ModelContext, c: ClientWindow, domains: Map<string, Baseline<TunnelDomainState>>, mayLearn: boolean): void {
    const { window } = ctx;
    const day = Math.floor(window.start / DAY_MS);
    const judged = c.tunnels.map((t) => {
      const state = mergeTunnelStates(tunnelDomainKeys(t.domain, ctx.partition).map((k) => domains.get(k)?.state));
      const tainted = ctx.feedback.isTainted(this.id, c.client, t.domain);
      const f = familiarity(state, day, c.client, { tainted, accepted: ctx.feedback.isAccepted(this.id, c.client, t.domain) });
      return { t, f, tainted, score: tunnelAnomalyScore(t.tunneling, f) };
    });
    const alerting = judged.filter((j) => !j.f.normal).sort((a, b) => b.score - a.score || b.t.tunneling - a.t.tunneling);
    if (alerting.length > 0) {
      const { t, f, score } = alerting[0];
      const others = alerting.slice(1).map((j) => j.t.domain);
      ctx.emit({
        model: this.id,
        kind: 'dns_tunnel',
        domain: 'dns',
        entity: { type: 'host', id: c.client },
        peer: { type: 'domain', id: t.domain },
        key: t.domain,
        score,
        time: t.first,
        explanation: tunnelExplanation(c.client, t, f, ctx.config.detector.windowMinutes, others),
        figures: {
          observed: t.stats.uniqueSubdomains,
          count: t.lookups,
          peers: alerting.length,
          unit: 'distinct names under the registered domain per window',
          details: {
            tunneling_score: round(t.tunneling, 3),
            queries: t.stats.queries,
            mean_information_bits: round(t.stats.informationSum / Math.max(1, t.stats.queries)),
            max_information_bits: round(t.stats.informationMax),
            longest_label: t.stats.longestLabel,
            txt_null_queries: t.stats.payloadTypeQueries,
            earlier_days: f.earlierDays,
            other_clients: f.otherClients,
            other_domains: others.slice(0, 20),
          },
        },
        events: { index: ZEEK_EVENTS_PATTERN, query: this.dnsQuery(ctx, { term: { 'source.ip': c.client } }, underDomain(t.domain)), count: t.lookups },
        techniques: [TECHNIQUE_DNS, TECHNIQUE_EXFILTRATION],
        related: { ip: [c.client], hosts: [t.domain, ...others.slice(0, 20)] },
        source: { ip: c.client },
        destination: { domain: t.domain },
        network: { protocol: 'dns' },
      });
    }
    if (!mayLearn) return;
    const own = ctx.partition;
    for (const j of judged) {
      if (j.tainted) continue;
      const key = tunnelDomainKeys(j.t.domain, own)[own.count === 1 ? 0 : own.index];
      const b = domains.get(key);
      const state = learnTunnel(b?.state, day, c.client, j.t.tunneling);
      const ref = { model: this.id, kind: 'tunnel_domain', entity: { type: 'domain', id: j.t.domain }, key };
      const next = learnedBaseline(ctx, ref, b, j.t.first, state, { status: learnedNormal(state) ? 'normal' : 'tunnel_like', lastSeen: Math.max(b?.last_seen ?? 0, j.t.first) });
      ctx.baselines.put(next);
      domains.set(key, next);
    }
  }

  private async judgeFailureBurst(ctx: ModelContext, c: ClientWindow, b: Baseline<FailureState> | undefined): Promise<void> {
    const { window } = ctx;
    const s = c.failures;
    if (s.lookups === 0) return;
    const v = judgeFailures(s, b?.state, window.start, ctx.halfLifeMs, ctx.config.detector.windowMinutes);
    if (!v) return;
    // The burst's names that did resolve point at what the algorithm's operator registered: its servers.
    const siblings = v.driver === 'domains' ? c.siblings : [];
    const addresses = siblings.length > 0 ? await this.resolvedAddresses(ctx, c.client, siblings) : [];
    const siblingDomains = [...new Set(siblings.map((n) => registrableDomain(n)?.domain ?? n))];
    const siblingText =
      siblings.length === 0
        ? ''
        : ` ${plural(siblingDomains.length, 'domain')} of the same shape did resolve (${siblingDomains.slice(0, 3).join(', ')}${siblingDomains.length > 3 ? ', ...' : ''})` +
          (addresses.length > 0 ? `, to ${plural(addresses.length, 'address', 'addresses')} (${addresses.slice(0, 3).join(', ')}${addresses.length > 3 ? ', ...' : ''}).` : '.');
    const e = v.driver === 'lookups' && v.lookups ? v.lookups : v.domains;
    const historyMs = b ? window.start - b.first_seen : undefined;
    this.emitClientCount(ctx, {
      kind: 'dns_failure_burst',
      client: c.client,
      score: v.score,
      time: s.first ?? c.first,
      explanation: failureExplanation(c.client, s, v, ctx.config.detector.windowMinutes, historyMs) + siblingText,
      observed: v.driver === 'lookups' ? s.lookups : s.domains,
      expected: e,
      historyMs,
      firstSeen: b?.first_seen,
      lookups: s.lookups,
      unit: v.driver === 'lookups' ? 'failed lookups per window' : 'registered domains with failed lookups per window',
      details: {
        failed_lookups: s.lookups,
        failed_names: s.names,
        failed_domains: s.domains,
        expected_domains: round(v.domains.mean),
        expected_lookups: v.lookups ? round(v.lookups.mean) : undefined,
        baseline: v.domains.own ? 'client' : 'prior',
        suffixes: Object.fromEntries([...s.suffixes.entries()].sort((x, y) => y[1] - x[1]).slice(0, 10)),
        examples: s.examples,
        ...(siblings.length > 0 ? { resolved_siblings: siblingDomains.length, sibling_examples: siblingDomains.slice(0, 10), sibling_addresses: addresses.length } : {}),
      },
      events: { terms: { 'dns.response_code': [...FAILURE_RCODES] } },
      techniques: v.driver === 'domains' ? [TECHNIQUE_DGA] : [],
      hosts: [...s.examples, ...siblingDomains.slice(0, 20)],
      ips: addresses,
    });
  }

  /** Global unicast addresses the client's lookups of `names` resolved to in the window, at most `MAX_SIBLING_ADDRESSES`. */
  private async resolvedAddresses(ctx: ModelContext, client: string, names: string[]): Promise<string[]> {
    const addresses: string[] = [];
    for await (const page of compositePages(ctx.client, {
      index: ZEEK_EVENTS_PATTERN,
      query: this.dnsQuery(ctx, { term: { 'source.ip': client } }, { terms: { 'dns.question.name': names } }, { exists: { field: 'dns.resolved_ip' } }),
      size: ctx.config.detector.pageSize,
      sources: [{ address: { terms: { field: 'dns.resolved_ip' } } }],
    })) {
      for (const b of page) {
        const ip = str(b.key.address);
        if (ip !== undefined && isGlobalUnicast(ip) && !ctx.isLocal(ip)) addresses.push(ip);
      }
      if (addresses.length >= MAX_SIBLING_ADDRESSES) break;
    }
    return addresses.slice(0, MAX_SIBLING_ADDRESSES);
  }

  /** An anomaly about a count of one client's window against what the client usually does. */
  private emitClientCount(
    ctx: ModelContext,
    a: {
      kind: string;
      client: string;
      score: number;
      time: number;
      explanation: string;
      observed: number;
      expected: Expectation;
      historyMs: number | undefined;
      firstSeen: number | undefined;
      /** Lookups behind the count, and the filter that finds them among the client's. */
      lookups: number;
      events: Record<string, unknown>;
      unit: string;
      details: Record<string, unknown>;
      techniques: NonNullable<AnomalyDraft['techniques']>;
      hosts: string[];
      /** Addresses named besides the client's. */
      ips?: string[];
    },
  ): void {
    ctx.emit({
      model: this.id,
      kind: a.kind,
      domain: 'dns',
      entity: { type: 'host', id: a.client },
      score: a.score,
      time: a.time,
      explanation: a.explanation,
      figures: {
        observed: a.observed,
        expected: round(a.expected.mean),
        spread: round(a.expected.spread),
        history_windows: round(a.expected.history, 1),
        history_days: a.historyMs !== undefined ? round(a.historyMs / DAY_MS) : 0,
        first_seen: a.firstSeen,
        count: a.lookups,
        unit: a.unit,
        details: a.details,
      },
      events: { index: ZEEK_EVENTS_PATTERN, query: this.dnsQuery(ctx, { term: { 'source.ip': a.client } }, a.events), count: a.lookups },
      techniques: a.techniques,
      related: { ip: [a.client, ...(a.ips ?? [])], hosts: a.hosts },
      source: { ip: a.client },
      network: { protocol: 'dns' },
    });
  }

  // ---- answers: names resolved but never connected to ----

  private async sweepAnswers(ctx: ModelContext): Promise<void> {
    const windowMs = ctx.window.end - ctx.window.start;
    // A connection opened in the previous window may still be in use when its name is resolved again.
    const connRange = { start: ctx.window.start - windowMs, end: ctx.window.end + CONN_GRACE_MS };
    if (!(await this.anyConnections(ctx, connRange))) return;
    let client: string | undefined;
    let current: ResolvedNames | undefined;
    let batch: ResolvedNames[] = [];
    let addresses = 0;
    const finish = async (force: boolean) => {
      if (current && current.names.size > 0) {
        batch.push(current);
        addresses += current.addresses().length;
      }
      current = undefined;
      if (batch.length >= BATCH || addresses >= ADDRESS_BATCH || (force && batch.length > 0)) {
        await this.judgeAnswers(ctx, batch, connRange);
        batch = [];
        addresses = 0;
      }
    };
    for await (const page of compositePages(ctx.client, {
      index: ZEEK_EVENTS_PATTERN,
      query: this.dnsQuery(ctx, { exists: { field: 'dns.resolved_ip' } }),
      size: ctx.config.detector.pageSize,
      sources: [
        { client: { terms: { field: 'source.ip' } } },
        { name: { terms: { field: 'dns.question.name' } } },
        { address: { terms: { field: 'dns.resolved_ip' } } },
      ],
      aggs: { first: { min: { field: '@timestamp' } } },
    })) {
      for (const b of page) {
        const c = str(b.key.client)!;
        if (c !== client) {
          await finish(false);
          client = c;
          current = this.owned(ctx, c) ? new ResolvedNames(c) : undefined;
        }
        current?.add(str(b.key.name)!, str(b.key.address)!, b.doc_count, (b.first as { value: number }).value);
      }
    }
    await finish(true);
  }

  /** Whether the sensor logged any connection in the range: without `conn` events no name can be judged. */
  private async anyConnections(ctx: ModelContext, range: { start: number; end: number }): Promise<boolean> {
    for await (const page of compositePages(ctx.client, {
      index: ZEEK_EVENTS_PATTERN,
      query: connQuery(range),
      size: 1,
      sources: [{ client: { terms: { field: 'source.ip' } } }],
    })) {
      return page.length > 0;
    }
    return false;
  }

  private async judgeAnswers(ctx: ModelContext, batch: ResolvedNames[], range: { start: number; end: number }): Promise<void> {
    const { window, baselines } = ctx;
    const clients = batch.map((r) => r.client);
    const all = [...new Set(batch.flatMap((r) => r.addresses()))];
    // Which of the batch's clients connected to which of the addresses, and which clients the sensor logs
    // connections of at all (their own lookups are connections to port 53): a client with none is not judged.
    const connected = new Set<string>();
    const visible = new Set<string>();
    for (let i = 0; i < Math.max(all.length, 1); i += ADDRESS_BATCH) {
      const chunk = all.slice(i, i + ADDRESS_BATCH);
      for await (const page of compositePages(ctx.client, {
        index: ZEEK_EVENTS_PATTERN,
        query: connQuery(
          range,
          { terms: { 'source.ip': clients } },
          { bool: { should: [{ terms: { 'destination.ip': chunk } }, { terms: { 'destination.port': DNS_PORTS } }], minimum_should_match: 1 } },
        ),
        size: ctx.config.detector.pageSize,
        sources: [{ client: { terms: { field: 'source.ip' } } }, { peer: { terms: { field: 'destination.ip' } } }],
      })) {
        for (const b of page) {
          const c = str(b.key.client)!;
          visible.add(c);
          connected.add(`${c}|${str(b.key.peer)}`);
        }
      }
    }
    const bases = await baselines.getMany<UnusedState>(this.id, 'unused', clients);
    for (const r of batch) {
      if (!visible.has(r.client)) continue;
      const result = unusedNames(r, (a) => connected.has(`${r.client}|${a}`));
      if (result.judged === 0) continue;
      const b = bases.get(r.client);
      if (alreadyLearned(b, window.start)) continue;
      const n = result.unused.length;
      const v = judgeUnused(n, b?.state, window.start, ctx.halfLifeMs);
      if (v && b) {
        const historyMs = window.start - b.first_seen;
        this.emitClientCount(ctx, {
          kind: 'dns_unused_names',
          client: r.client,
          score: v.score,
          time: result.first ?? window.start,
          explanation: unusedExplanation(r.client, result, v, ctx.config.detector.windowMinutes, historyMs),
          observed: n,
          expected: v.expected,
          historyMs,
          firstSeen: b.first_seen,
          // The answered lookups of the linked names (at least; the sweep sees them per address).
          lookups: result.lookups,
          unit: 'resolved names never connected to per window',
          details: { checked_names: result.judged, skipped_names: r.skipped, examples: result.unused.slice(0, 20) },
          events: { terms: { 'dns.question.name': result.unused.slice(0, 100) } },
          techniques: [TECHNIQUE_DGA, TECHNIQUE_DISCOVERY],
          hosts: result.unused.slice(0, 20),
        });
      }
      if (!ctx.maintenance.mayLearn(this.id, [r.client], window.start)) continue;
      const tainted = ctx.feedback.isTainted(this.id, r.client);
      const state: UnusedState = tainted ? (b?.state ?? { names: emptyStats() }) : learnUnused(b?.state, n, window.start, ctx.halfLifeMs);
      baselines.put(this.clientBaseline(ctx, 'unused', r.client, b, result.first ?? window.start, state, tainted));
    }
    await baselines.flush();
  }
}

/**
 * Baseline keys of a registered domain's tunnel history, one per partition: each partition writes only its own
 * (no two processes update one document) and reads all, so what one learned is known to the others.
 */
export function tunnelDomainKeys(domain: string, partition: Pick<Partition, 'index' | 'count'>): string[] {
  if (partition.count === 1) return [domain];
  return Array.from({ length: partition.count }, (_, i) => `${domain}|${i}/${partition.count}`);
}

/** The events of a registered domain and every name under it, whatever their case (resolvers randomise it). */
function underDomain(domain: string): Record<string, unknown> {
  return {
    bool: {
      should: [{ term: { 'dns.question.name': { value: domain, case_insensitive: true } } }, { wildcard: { 'dns.question.name': { value: `*.${domain}`, case_insensitive: true } } }],
      minimum_should_match: 1,
    },
  };
}
