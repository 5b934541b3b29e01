import * as ipaddr from 'ipaddr.js';
import { getDomain } from 'tldts';
import type { Baseline } from '../../baseline/store';
import { alreadyLearned, learnedBaseline } from '../../baseline/store';
import { DAY_MS, decayFactor, scoreFrom } from '../../baseline/decay';
import { compositePages, firstTime, windowQuery, type CompositeBucket } from '../../query/composite';
import { CONN_INDEX, connQuery, eventsLink, OPENED_BY_ORIGINATOR, str } from '../conn-query';
import { formatBytes, formatCount, round } from '../format';
import { hasEvents, type DetectionModel, type ModelContext } from '../model';

/**
 * Rare destination: a local device opens a connection to an external destination that (almost) no other device
 * of the organisation contacts. Command-and-control servers, staging hosts and freshly registered domains are
 * rare by nature; the web's long tail is rare too, which is why the score weighs who is making the contact.
 *
 * Destinations are external addresses and, where the traffic names them, registered domains (the TLS server name
 * of `zeek.ssl`, the HTTP Host of `zeek.http`), so that a rare domain served from a popular CDN address is still
 * seen. When a device's connection to an address carried such a name, the name is judged and the address is not:
 * a new edge address of a well-known service is not news.
 *
 * Baselines, all decayed with the configured half-life:
 * - per destination (`ip` / `name`): when the organisation first and last saw it, and the internal devices that
 *   contacted it, each with its first and last contact (at most a few: beyond `maxDevices` it is popular anyway).
 *   A device's weight fades with the time since its last contact, so a destination everyone used months ago is
 *   rare again.
 * - per device (`device`): windows in which it contacted external destinations, and how many of those contacts
 *   were first contacts with a rare destination: its habit. A browsing laptop makes several per hour and scores
 *   low; a server or a controller that never does scores high on its first.
 * - the organisation (`organisation`): windows of history, destinations seen, the organisation-wide habit (the
 *   prior of a device without history) and how many destinations each port/transport served (for T1571).
 *
 * Nothing is scored while the organisation's baseline is younger than `ORG_MIN_WINDOWS` windows (everything is
 * new then), and scores are scaled by the baseline's age until it is a day old. Habits are learned only from
 * then on, so the first day's flood of "new" destinations does not make every device look like a browser.
 *
 * Score of a device's first contact with a rare destination: the surprise of the device making any such contact
 * in a window (-log10 P(N >= 1) for a Poisson count at its habit rate), plus a term for a port few destinations
 * of the organisation use (T1571), plus a term for many connections in the window, through a logistic curve,
 * weighted by how recently the organisation first saw the destination. Every first contact with a rare
 * destination is written (most as low-score observations), so the set of anomalies does not depend on how the
 * work is partitioned; the score does, slightly, since each partition keeps the habit of its share of
 * destinations (scaled by the partition count).
 *
 * Uploads (`data_to_rare`): in any window, also while the organisation's baseline is young, a device that sends a
 * rare destination (an address that carried no TLS or HTTP name) at least `uploadBytes`, ten times what came back
 * and more than four times what it sent there before (decayed, per device, on the destination's baseline), is
 * reported: scored by size, higher on a port few destinations use (ATT&CK T1041, T1571). Exfiltration to a server
 * of the attacker's does not wait for a quarter day of history, and a host a device backs up to every night is
 * learned after the first.
 *
 * Only connections the device really opened count: TCP with the originator's SYN seen, UDP with the originator
 * speaking first, and not a reply from a service port to an ephemeral one (Zeek takes some replies to internet
 * scans for new connections). Multicast, broadcast and other non-global addresses are not destinations.
 */

/** Windows of organisation history before anything is scored (a quarter of a day of 15-minute windows). */
export const ORG_MIN_WINDOWS = 24;
/** Windows after which the organisation's history counts in full (a day of 15-minute windows). */
const ORG_FULL_WINDOWS = 96;
/** Half-life of a destination's novelty, from the time the organisation first saw it. */
const NOVELTY_HALF_LIFE_MS = DAY_MS;
/** Weight, in windows, of the organisation's habit in the habit of a device with little history. */
const PRIOR_WINDOWS = 8;
/**
 * Habit assumed while the organisation has little history: about one rare first contact per window, like a
 * laptop, with the weight of `ORG_PRIOR_WINDOWS` device-windows; the organisation's own figures take over as
 * device-windows accumulate.
 */
const DEFAULT_RATE = 1;
const ORG_PRIOR_WINDOWS = 24;
/** Devices a destination remembers at most: enough to know it is not rare. */
const MIN_DEVICE_CAP = 16;
/** A device's contact is forgotten when its weight falls below this (about four half-lives). */
export const FORGET_WEIGHT = 0.05;
const DESTINATION_PORTS_CAP = 8;
const ORG_PORTS_CAP = 512;
/** (device, address) pairs that carried a name, kept per window at most. */
const NAMED_PAIRS_CAP = 100_000;

/** The logs that name destinations: TLS server names and HTTP hosts. */
const NAME_DATASETS = ['zeek.ssl', 'zeek.http'];

/** Addresses never treated as destinations, excluded in the query already (the code checks the range too). */
export const NON_GLOBAL = ['0.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '224.0.0.0/3', '::/127', 'fe80::/10', 'ff00::/8'];

export interface DestinationState {
  /** Internal devices that contacted it: [first contact, last contact] (epoch ms). */
  devices: Record<string, [number, number]>;
  /** Bytes internal devices sent it, decayed: [bytes, time of the last upload] (devices that sent at least `UPLOAD_KEPT`). */
  uploads?: Record<string, [number, number]>;
  /** `port/transport` used, up to a few. */
  ports: string[];
  connections: number;
}

export interface HabitState {
  /** Decayed count of windows in which the device contacted external destinations (once the organisation is mature). */
  windows: number;
  /** Decayed count of its first contacts with rare destinations. */
  rare: number;
  t: number;
  /** The two counts before the window last touched (the one in `window`): what that window is scored against. */
  prior: { windows: number; rare: number };
}

export interface OrganisationState {
  /** External addresses and registered domains seen (this partition's share). */
  destinations: number;
  names: number;
  /** Decayed rare first contacts and device-windows across all devices: the prior habit. */
  rare: number;
  deviceWindows: number;
  t: number;
  /** Destinations seen per `port/transport` (this partition's share). */
  ports: Record<string, number>;
}

export interface RareFacts {
  /** The device's history before the window (windows, and rare first contacts of this partition's share). */
  deviceWindows: number;
  deviceRare: number;
  /** Rare first contacts per device-window over the organisation (already scaled to all partitions). */
  orgRate: number;
  partitions: number;
  /** 1 for a destination first seen now, halving every day since the organisation first saw it. */
  novelty: number;
  /** Decayed number of other internal devices that contacted it. */
  others: number;
  port: number;
  transport: string;
  /** Destinations of the organisation seen on this port/transport, and in all (this partition's share). */
  portDestinations: number;
  orgDestinations: number;
  /** Connections of the device to it in the window. */
  connections: number;
  /** Organisation windows of history. */
  orgWindows: number;
}

export interface RareScore {
  score: number;
  /** The device's expected rare first contacts per window. */
  rate: number;
  habit: number;
  port: number;
  repeat: number;
}

/** How unusual a port/transport is among the organisation's destinations (0 to 1.5); half as much for a system port (< 1024). */
export function portTerm(port: number, portDestinations: number, orgDestinations: number): number {
  const t = Math.log10((orgDestinations + 1) / (portDestinations + 0.5)) - 1;
  const clamped = Math.max(0, Math.min(1.5, t));
  return port > 0 && port < 1024 ? clamped / 2 : clamped;
}

export function rareScore(f: RareFacts): RareScore {
  const rate = (f.deviceRare * f.partitions + PRIOR_WINDOWS * f.orgRate) / (f.deviceWindows + PRIOR_WINDOWS);
  // P(at least one rare first contact in a window) = 1 - e^-rate; its surprise, capped for a device that never makes one.
  const habit = Math.max(0, Math.min(3, -Math.log10(Math.max(1 - Math.exp(-rate), 1e-3))));
  const port = portTerm(f.port, f.portDestinations, f.orgDestinations);
  const repeat = Math.max(0, Math.min(1, Math.log10(Math.max(1, f.connections)) / 2));
  const maturity = Math.min(1, f.orgWindows / ORG_FULL_WINDOWS);
  const weight = (0.4 + 0.6 * f.novelty) * (f.others >= 0.5 ? 0.8 : 1) * (0.5 + 0.5 * maturity);
  const score = Math.round(scoreFrom(habit + port + repeat, 2, 0.45) * weight * 10) / 10;
  return { score, rate, habit, port, repeat };
}

/**
 * Addresses `isGlobalUnicast` remembers its answer for, at most (1.5 MB of IPv4 addresses, 3 MB of IPv6): it forgets
 * them all when it has this many.
 */
const GLOBAL_UNICAST_MEMORY = 16_384;
const globalUnicast = new Map<string, boolean>();

/**
 * Whether an address can be an internet destination (global unicast). Several models ask it of every peer of
 * every window, and the same peers recur: the answers are remembered, since parsing an address for its range
 * allocates a handful of objects each time.
 */
export function isGlobalUnicast(ip: string): boolean {
  let global = globalUnicast.get(ip);
  if (global === undefined) {
    try {
      global = ipaddr.parse(ip).range() === 'unicast';
    } catch {
      global = false;
    }
    if (globalUnicast.size >= GLOBAL_UNICAST_MEMORY) globalUnicast.clear();
    globalUnicast.set(ip, global);
  }
  return global;
}

/** The registered domain a TLS server name or HTTP Host belongs to; undefined for addresses and bare names. */
export function destinationName(name: string): string | undefined {
  const n = name.trim().toLowerCase().replace(/\.$/, '');
  if (n.length === 0 || !n.includes('.') || ipaddr.isValid(n)) return undefined;
  // Private suffixes (cloudfront.net, github.io...) count as registries: their customers are distinct owners.
  return getDomain(n, { allowPrivateDomains: true }) ?? undefined;
}

/** Decayed weight of a device's contact at `t`. */
export function contactWeight(contact: [number, number], t: number, halfLifeMs: number): number {
  return decayFactor(t - contact[1], halfLifeMs);
}

/** A destination's device set after a contact: faded contacts dropped, at most `cap` kept (the latest). */
export function withContact(devices: Record<string, [number, number]>, device: string, time: number, halfLifeMs: number, cap: number): Record<string, [number, number]> {
  const mine = devices[device];
  const entries = Object.entries(devices).filter(([d, c]) => d !== device && contactWeight(c, time, halfLifeMs) >= FORGET_WEIGHT);
  entries.push([device, mine ? [mine[0], Math.max(mine[1], time)] : [time, time]]);
  entries.sort((a, b) => b[1][1] - a[1][1]);
  return Object.fromEntries(entries.slice(0, cap));
}

/** Uploads below this are not remembered per device (nothing to learn from them). */
const UPLOAD_KEPT = 1_000_000;
const UPLOADS_CAP = 16;
/** An upload: at least this many times the bytes that came back. */
const UPLOAD_RATIO = 10;

export interface UploadVerdict {
  score: number;
  unusualPort: boolean;
}

/** Bytes the device sent the destination before, decayed to `t`. */
export function uploadedBefore(state: DestinationState | undefined, device: string, t: number, halfLifeMs: number): number {
  const u = state?.uploads?.[device];
  return u ? u[0] * decayFactor(t - u[1], halfLifeMs) : 0;
}

/**
 * Whether a device's window of traffic to a rare destination is an upload worth reporting: at least `minBytes` sent,
 * `UPLOAD_RATIO` times what came back, and more than four times what it sent there before (decayed): a device that
 * backs up to the same host every night learns it. Scored by size, higher on a port few destinations use.
 */
export function judgeUpload(sent: number, received: number, before: number, minBytes: number, unusualPort: boolean, others: number): UploadVerdict | undefined {
  if (sent < minBytes || sent < UPLOAD_RATIO * received || before * 4 > sent) return undefined;
  const size = Math.min(85, 58 + 10 * Math.log10(sent / minBytes));
  const score = (size + (unusualPort ? 6 : 0)) * (others >= 0.5 ? 0.9 : 1);
  return { score: Math.round(score * 10) / 10, unusualPort };
}

/** A destination's uploads after a window: the device's decayed total, kept from `UPLOAD_KEPT` on, the latest `UPLOADS_CAP`. */
export function withUpload(uploads: Record<string, [number, number]> | undefined, device: string, sent: number, before: number, t: number): Record<string, [number, number]> | undefined {
  if (sent <= 0 || (uploads?.[device] === undefined && sent < UPLOAD_KEPT)) return uploads;
  const entries = Object.entries(uploads ?? {}).filter(([d]) => d !== device);
  entries.push([device, [before + sent, t]]);
  entries.sort((a, b) => b[1][1] - a[1][1]);
  return Object.fromEntries(entries.slice(0, UPLOADS_CAP));
}

interface Pair {
  kind: 'ip' | 'name';
  /** Baseline key: the address, or the registered domain. */
  key: string;
  /** Full name as seen (names). */
  name?: string;
  via?: 'TLS' | 'HTTP';
  device: string;
  ip?: string;
  port: number;
  transport: string;
  first: number;
  connections: number;
  /** Connections that got data back (addresses). */
  answered?: number;
  /** Payload bytes the device sent and received (addresses). */
  sent?: number;
  received?: number;
}

const emptyOrganisation = (): OrganisationState => ({ destinations: 0, names: 0, rare: 0, deviceWindows: 0, t: 0, ports: {} });

export class RareDestinationModel implements DetectionModel {
  readonly id = 'rare_destination' as const;

  async run(ctx: ModelContext): Promise<void> {
    const local = ctx.config.networks.local;
    if (local.length === 0 || !hasEvents(ctx, 'zeek.conn', ...NAME_DATASETS)) return;
    const run = new RareWindow(ctx, this.id);
    if (!(await run.begin())) return;
    await run.names();
    await run.addresses();
    await run.end();
  }
}

class RareWindow {
  private org: Baseline<OrganisationState> | undefined;
  private before = emptyOrganisation();
  private next = emptyOrganisation();
  private mature = false;
  private orgRate = DEFAULT_RATE;
  private active = false;
  private readonly named = new Set<string>();
  private readonly partitions: number;
  private readonly local: string[];

  constructor(
    private readonly ctx: ModelContext,
    private readonly model: 'rare_destination',
  ) {
    this.partitions = ctx.partition.count;
    this.local = [...ctx.config.networks.local];
  }

  private get orgKey(): string {
    return this.partitions === 1 ? 'organisation' : `organisation#${this.ctx.partition.name}`;
  }

  private habitKey(device: string): string {
    return this.partitions === 1 ? device : `${device}#${this.ctx.partition.name}`;
  }

  /** Reads the organisation's baseline; false when this window was already learned. */
  async begin(): Promise<boolean> {
    const { ctx } = this;
    this.org = await ctx.baselines.get<OrganisationState>(this.model, 'organisation', this.orgKey);
    if (alreadyLearned(this.org, ctx.window.start)) return false;
    this.before = this.org?.state ?? emptyOrganisation();
    const keep = this.org ? decayFactor(ctx.window.start - this.before.t, ctx.halfLifeMs) : 1;
    this.next = { ...this.before, rare: this.before.rare * keep, deviceWindows: this.before.deviceWindows * keep, t: ctx.window.start, ports: { ...this.before.ports } };
    this.mature = (this.org?.observations ?? 0) >= ORG_MIN_WINDOWS;
    this.orgRate = (this.next.rare * this.partitions + ORG_PRIOR_WINDOWS * DEFAULT_RATE) / (this.next.deviceWindows + ORG_PRIOR_WINDOWS);
    return true;
  }

  /** Connections that carried a TLS server name or an HTTP Host, by registered domain and device. */
  async names(): Promise<void> {
    const { ctx } = this;
    if (!hasEvents(ctx, ...NAME_DATASETS)) return;
    const query = windowQuery(
      ctx.window.start,
      ctx.window.end,
      { terms: { 'event.dataset': NAME_DATASETS } },
      { terms: { 'source.ip': this.local } },
      { bool: { must_not: [{ terms: { 'destination.ip': [...this.local, ...NON_GLOBAL] } }] } },
      { bool: { should: [{ exists: { field: 'tls.client.server_name' } }, { exists: { field: 'url.domain' } }], minimum_should_match: 1 } },
    );
    for await (const page of compositePages(ctx.client, {
      index: CONN_INDEX,
      query,
      size: ctx.config.detector.pageSize,
      sources: [
        { sni: { terms: { field: 'tls.client.server_name', missing_bucket: true } } },
        { host: { terms: { field: 'url.domain', missing_bucket: true } } },
        { device: { terms: { field: 'source.ip' } } },
      ],
      aggs: {
        first: { min: { field: '@timestamp' } },
        ips: { terms: { field: 'destination.ip', size: 10 } },
        ports: { terms: { field: 'destination.port', size: 1 } },
      },
    })) {
      const pairs: Pair[] = [];
      for (const b of page) {
        ctx.count(b.doc_count, 0);
        const device = str(b.key.device);
        const sni = str(b.key.sni);
        const full = sni ?? str(b.key.host);
        if (device === undefined || full === undefined) continue;
        const key = destinationName(full);
        if (key === undefined) continue;
        const ips = termKeys(b, 'ips');
        for (const ip of ips) if (this.named.size < NAMED_PAIRS_CAP) this.named.add(`${device}|${ip}`);
        pairs.push({
          kind: 'name',
          key,
          name: full.toLowerCase(),
          via: sni !== undefined ? 'TLS' : 'HTTP',
          device,
          ip: ips[0],
          port: Number(termKeys(b, 'ports')[0] ?? 0),
          transport: 'tcp',
          first: firstTime(b, ctx.window.start),
          connections: b.doc_count,
        });
      }
      await this.process(pairs);
    }
  }

  /**
   * Connections local devices opened to external addresses, by address and device. Port and transport are keys of
   * the sweep rather than sub-aggregations (a terms aggregation per bucket costs several times the sweep itself):
   * the buckets of one address and device follow each other, and are merged into one contact, named by the port
   * that carried most of its connections. The last contact of a page is held until the next page shows it ended.
   */
  async addresses(): Promise<void> {
    const { ctx } = this;
    if (!hasEvents(ctx, 'zeek.conn')) return;
    const query = connQuery(
      ctx.window,
      { terms: { 'source.ip': this.local } },
      { bool: { must_not: [{ terms: { 'destination.ip': [...this.local, ...NON_GLOBAL] } }] } },
      ...OPENED_BY_ORIGINATOR,
    );
    let open: (Pair & { most: number }) | undefined;
    for await (const page of compositePages(ctx.client, {
      index: CONN_INDEX,
      query,
      size: ctx.config.detector.pageSize,
      sources: [
        { dest: { terms: { field: 'destination.ip' } } },
        { device: { terms: { field: 'source.ip' } } },
        { port: { terms: { field: 'destination.port', missing_bucket: true } } },
        { transport: { terms: { field: 'network.transport', missing_bucket: true } } },
      ],
      aggs: {
        first: { min: { field: '@timestamp' } },
        answered: { filter: { range: { 'destination.bytes': { gt: 0 } } } },
        sent: { sum: { field: 'source.bytes' } },
        received: { sum: { field: 'destination.bytes' } },
      },
    })) {
      const pairs: Pair[] = [];
      for (const b of page) {
        ctx.count(b.doc_count, 0);
        const device = str(b.key.device);
        const dest = str(b.key.dest);
        if (device === undefined || dest === undefined || !isGlobalUnicast(dest) || ctx.isLocal(dest)) continue;
        const first = firstTime(b, ctx.window.start);
        const answered = (b.answered as { doc_count?: number } | undefined)?.doc_count ?? 0;
        const sent = (b.sent as { value?: number } | undefined)?.value ?? 0;
        const received = (b.received as { value?: number } | undefined)?.value ?? 0;
        if (open && open.key === dest && open.device === device) {
          open.first = Math.min(open.first, first);
          open.connections += b.doc_count;
          open.answered! += answered;
          open.sent! += sent;
          open.received! += received;
          if (b.doc_count <= open.most) continue;
          open.most = b.doc_count;
        } else {
          if (open) pairs.push(open);
          open = { kind: 'ip', key: dest, device, ip: dest, port: 0, transport: 'unknown', first, connections: b.doc_count, answered, sent, received, most: b.doc_count };
        }
        open.port = Number(b.key.port ?? 0);
        open.transport = str(b.key.transport) ?? 'unknown';
      }
      await this.process(pairs);
    }
    if (open) await this.process([open]);
  }

  /** Writes the organisation's baseline: one more window of history when local devices contacted anything. */
  async end(): Promise<void> {
    const { ctx } = this;
    if (!this.active) return;
    ctx.baselines.put(learnedBaseline(ctx, { model: this.model, kind: 'organisation', entity: { type: 'organisation', id: 'organisation' }, key: this.orgKey }, this.org, ctx.window.start, this.next));
  }

  private async process(pairs: Pair[]): Promise<void> {
    if (pairs.length === 0) return;
    const { ctx } = this;
    this.active = true;
    const habits = await ctx.baselines.getMany<HabitState>(this.model, 'device', new Set(pairs.map((p) => this.habitKey(p.device))));
    const owned = pairs.filter((p) => ctx.partition.owns(`${p.kind}:${p.key}`));
    const destinations = new Map<string, Baseline<DestinationState>>();
    for (const kind of ['ip', 'name'] as const) {
      const keys = new Set(owned.filter((p) => p.kind === kind).map((p) => p.key));
      if (keys.size === 0) continue;
      for (const [k, b] of await ctx.baselines.getMany<DestinationState>(this.model, kind, keys)) destinations.set(`${kind}:${k}`, b);
    }
    let learned = 0;
    for (const pair of pairs) {
      const habit = this.touch(habits, pair);
      if (!ctx.partition.owns(`${pair.kind}:${pair.key}`)) continue;
      if (this.judge(destinations, habits, habit, pair)) learned++;
    }
    ctx.count(0, learned);
    if (ctx.baselines.pending > 5000) await ctx.baselines.spill();
  }

  /**
   * The device's habit document, counted once per window. Every partition counts every device's windows (each
   * reads the whole aggregation); rare contacts are counted by the partition owning the destination.
   */
  private touch(habits: Map<string, Baseline<HabitState>>, pair: Pair): Baseline<HabitState> {
    const { ctx } = this;
    const key = this.habitKey(pair.device);
    const b = habits.get(key);
    if (b && b.window === ctx.window.start) return b;
    const keep = b ? decayFactor(ctx.window.start - b.state.t, ctx.halfLifeMs) : 1;
    const windows = (b?.state.windows ?? 0) * keep;
    const rare = (b?.state.rare ?? 0) * keep;
    const state: HabitState = { windows: windows + (this.mature ? 1 : 0), rare, t: ctx.window.start, prior: { windows, rare } };
    const next = learnedBaseline(ctx, { model: this.model, kind: 'device', entity: { type: 'host', id: pair.device }, key }, b, pair.first, state);
    habits.set(key, next);
    if (!ctx.maintenance.mayLearn(this.model, [pair.device], ctx.window.start)) return next;
    if (this.mature) this.next.deviceWindows += 1;
    ctx.baselines.put(next);
    return next;
  }

  /** Scores a first contact with a rare destination, then learns the contact. True when a baseline was updated. */
  private judge(destinations: Map<string, Baseline<DestinationState>>, habits: Map<string, Baseline<HabitState>>, habit: Baseline<HabitState>, pair: Pair): boolean {
    const { ctx } = this;
    const { window } = ctx;
    const id = `${pair.kind}:${pair.key}`;
    const dest = destinations.get(id);
    const devices = dest?.state.devices ?? {};
    const mine = devices[pair.device];
    const peerId = pair.key;
    const tainted = ctx.feedback.isTainted(this.model, pair.device, peerId);
    const mayLearn = ctx.maintenance.mayLearn(this.model, [pair.device, ...(pair.ip ? [pair.ip] : [])], window.start);
    // Known to this device: contacted before (not so long ago that it faded), or earlier in this window (another
    // name of the same domain, or a re-run of the window). Only the contact is updated then.
    const familiar = mine !== undefined && (mine[0] >= window.start || contactWeight(mine, pair.first, ctx.halfLifeMs) >= FORGET_WEIGHT);
    let others = 0;
    for (const [d, c] of Object.entries(devices)) if (d !== pair.device) others += contactWeight(c, pair.first, ctx.halfLifeMs);
    const rare = 1 + others <= ctx.config.detector.models.rare_destination.maxDevices + 1e-9;
    // An address that carried a TLS or HTTP name is judged by that name.
    const judgedByName = pair.kind === 'ip' && this.named.has(`${pair.device}|${pair.key}`);
    const priorUpload = uploadedBefore(dest?.state, pair.device, pair.first, ctx.halfLifeMs);
    if (rare && !judgedByName && pair.sent !== undefined) {
      const upload = judgeUpload(pair.sent, pair.received ?? 0, priorUpload, ctx.config.detector.models.rare_destination.uploadBytes, this.unusualPort(pair), others);
      if (upload) this.emitUpload(pair, dest, upload, others, priorUpload);
    }
    if (!familiar) {
      if (rare && this.mature && !judgedByName) {
        this.emit(pair, dest, habit, others);
        if (!tainted && mayLearn) {
          const counted = { ...habit, state: { ...habit.state, rare: habit.state.rare + 1 } };
          habits.set(this.habitKey(pair.device), counted);
          this.next.rare += 1;
          ctx.baselines.put(counted);
        }
      }
    }
    if (tainted || !mayLearn) return false;
    const cap = Math.max(MIN_DEVICE_CAP, 4 * ctx.config.detector.models.rare_destination.maxDevices);
    const portKey = `${pair.port}/${pair.transport}`;
    const ports = dest?.state.ports ?? [];
    const newPort = pair.port > 0 && !ports.includes(portKey);
    if (pair.kind === 'ip' && newPort) this.countPort(portKey);
    if (!dest) {
      if (pair.kind === 'ip') this.next.destinations += 1;
      else this.next.names += 1;
    }
    const uploads = withUpload(dest?.state.uploads, pair.device, pair.sent ?? 0, priorUpload, pair.first);
    const state: DestinationState = {
      devices: withContact(devices, pair.device, pair.first, ctx.halfLifeMs, cap),
      ports: newPort && ports.length < DESTINATION_PORTS_CAP ? [...ports, portKey] : ports,
      connections: (dest?.state.connections ?? 0) + pair.connections,
      ...(uploads ? { uploads } : {}),
    };
    const ref = { model: this.model, kind: pair.kind, entity: { type: pair.kind === 'ip' ? 'host' : 'domain', id: pair.key }, key: pair.key };
    // One observation per window, however many devices and names reach the destination in it.
    const next = learnedBaseline(ctx, ref, dest, pair.first, state, { lastSeen: Math.max(dest?.last_seen ?? 0, pair.first), observed: dest?.window !== window.start });
    destinations.set(id, next);
    ctx.baselines.put(next);
    return true;
  }

  private countPort(portKey: string): void {
    const ports = this.next.ports;
    if (ports[portKey] === undefined && Object.keys(ports).length >= ORG_PORTS_CAP) {
      // Full: the least used port makes room; it was rare anyway.
      const [least] = Object.entries(ports).sort((a, b) => a[1] - b[1])[0];
      delete ports[least];
    }
    ports[portKey] = (ports[portKey] ?? 0) + 1;
  }

  /** A port few of the organisation's destinations use; while the organisation is young, any port from 1024 up. */
  private unusualPort(pair: Pair): boolean {
    if (!this.mature) return pair.port === 0 || pair.port >= 1024;
    return portTerm(pair.port, this.before.ports[`${pair.port}/${pair.transport}`] ?? 0, this.before.destinations) >= 0.5;
  }

  private emitUpload(pair: Pair, dest: Baseline<DestinationState> | undefined, v: UploadVerdict, others: number, before: number): void {
    const { ctx } = this;
    const { window } = ctx;
    const portKey = `${pair.port}/${pair.transport}`;
    const sent = pair.sent ?? 0;
    const received = pair.received ?? 0;
    const otherCount = Math.round(others);
    const rarity = rarityText(dest, otherCount, pair.first);
    const history = before >= UPLOAD_KEPT / 10 ? `it had sent it about ${formatBytes(before)} before (decayed)` : 'it had not sent it anything of size before';
    const port = !v.unusualPort ? '' : this.mature ? `; port ${portKey} is one few destinations of the organisation use` : `; port ${portKey} is not a system port (below 1024)`;
    const explanation =
      `${pair.device} sent ${formatBytes(sent)} to ${pair.key}:${portKey} over ${formatCount(pair.connections)} connection${pair.connections === 1 ? '' : 's'} ` +
      `and got ${formatBytes(received)} back, ${rarity}; ${history}${port}.`;
    const techniques = [{ id: 'T1041', name: 'Exfiltration Over C2 Channel' }];
    if (v.unusualPort) techniques.push({ id: 'T1571', name: 'Non-Standard Port' });
    ctx.emit({
      model: this.model,
      kind: 'data_to_rare',
      domain: 'network',
      entity: { type: 'host', id: pair.device },
      peer: { type: 'host', id: pair.key },
      key: `upload:${pair.key}`,
      score: v.score,
      time: pair.first,
      explanation,
      figures: {
        observed: sent,
        expected: Math.round(before),
        history_days: this.org ? round((window.start - this.org.first_seen) / DAY_MS) : 0,
        first_seen: dest?.first_seen ?? pair.first,
        peers: otherCount + 1,
        count: pair.connections,
        unit: 'bytes sent',
        details: { destination: pair.key, port: pair.port, transport: pair.transport, sent, received, sent_before: Math.round(before), other_devices: round(others), unusual_port: v.unusualPort },
      },
      events: { index: CONN_INDEX, query: eventsLink(window, 'zeek.conn', { 'source.ip': pair.device, 'destination.ip': pair.key }), count: pair.connections },
      techniques,
      related: { ip: [pair.device, pair.key] },
      source: { ip: pair.device },
      destination: { ip: pair.key, port: pair.port || undefined },
      network: { transport: pair.transport, direction: 'outbound' },
    });
  }

  private emit(pair: Pair, dest: Baseline<DestinationState> | undefined, habit: Baseline<HabitState>, others: number): void {
    const { ctx } = this;
    const { window } = ctx;
    const portKey = `${pair.port}/${pair.transport}`;
    const orgWindows = this.org?.observations ?? 0;
    const facts: RareFacts = {
      deviceWindows: habit.state.prior.windows,
      deviceRare: habit.state.prior.rare,
      orgRate: this.orgRate,
      partitions: this.partitions,
      novelty: dest ? decayFactor(pair.first - dest.first_seen, NOVELTY_HALF_LIFE_MS) : 1,
      others,
      port: pair.port,
      transport: pair.transport,
      portDestinations: this.before.ports[portKey] ?? 0,
      orgDestinations: this.before.destinations,
      connections: pair.connections,
      orgWindows,
    };
    const s = rareScore(facts);
    const orgDays = this.org ? (window.start - this.org.first_seen) / DAY_MS : 0;
    const where = pair.kind === 'ip' ? `${pair.key}:${portKey}` : `${pair.name} (${pair.via}${pair.ip ? ` to ${pair.ip}:${portKey}` : ''})`;
    const conns =
      pair.connections > 1 || pair.answered === 0
        ? ` (${formatCount(pair.connections)} connection${pair.connections === 1 ? '' : 's'}${pair.answered === 0 ? ', none answered' : ''})`
        : '';
    const otherCount = Math.round(others);
    const rarity = rarityText(dest, otherCount, pair.first);
    const onPort = Math.round(facts.portDestinations * this.partitions);
    const portNote =
      s.port >= 0.5
        ? `, on port ${portKey}, which ${onPort === 0 ? 'no other external destination' : `only ${formatCount(onPort)} other external destination${onPort === 1 ? '' : 's'}`} of the organisation use${onPort <= 1 ? 's' : ''}`
        : '';
    const history = habit.state.prior.windows >= 1 ? `over ${formatCount(habit.state.prior.windows)} windows` : "no history of its own yet, so the organisation's habit stands in";
    const habitText = `${pair.device} makes ${s.rate < 0.05 ? 'almost no' : `about ${formatRate(s.rate)}`} such first contacts per ${ctx.config.detector.windowMinutes}-minute window (${history})`;
    const approx = this.partitions > 1 ? 'about ' : '';
    const explanation = `${pair.device} connected to ${where}${conns}, ${rarity}${portNote}; ${habitText}; the organisation has seen ${approx}${formatCount(this.before.destinations * this.partitions)} external destinations over ${formatAgo(orgDays * DAY_MS)}.`;
    const techniques = [{ id: 'T1071', name: 'Application Layer Protocol' }];
    if (s.port >= 0.5) techniques.push({ id: 'T1571', name: 'Non-Standard Port' });
    ctx.emit({
      model: this.model,
      kind: pair.kind === 'ip' ? 'rare_destination' : 'rare_domain',
      domain: 'network',
      entity: { type: 'host', id: pair.device },
      peer: pair.kind === 'ip' ? { type: 'host', id: pair.key } : { type: 'domain', id: pair.key },
      key: pair.key,
      score: s.score,
      time: pair.first,
      explanation,
      figures: {
        observed: pair.connections,
        expected: round(s.rate),
        history_windows: Math.round(habit.state.prior.windows),
        history_days: round(orgDays),
        first_seen: dest?.first_seen ?? pair.first,
        peers: otherCount + 1,
        count: pair.connections,
        unit: 'connections',
        details: {
          destination: pair.key,
          name: pair.name,
          via: pair.via,
          port: pair.port,
          transport: pair.transport,
          answered: pair.answered,
          novelty: round(facts.novelty),
          other_devices: round(others),
          habit: round(s.habit),
          port_term: round(s.port),
          repeat_term: round(s.repeat),
          organisation_windows: orgWindows,
          organisation_destinations: this.before.destinations * this.partitions,
          port_destinations: facts.portDestinations * this.partitions,
        },
      },
      events: {
        index: CONN_INDEX,
        query:
          pair.kind === 'ip'
            ? eventsLink(window, 'zeek.conn', { 'source.ip': pair.device, 'destination.ip': pair.key })
            : windowQuery(window.start, window.end, { terms: { 'event.dataset': NAME_DATASETS } }, { term: { 'source.ip': pair.device } }, {
                bool: { should: [{ term: { 'tls.client.server_name': pair.name } }, { term: { 'url.domain': pair.name } }], minimum_should_match: 1 },
              }),
        count: pair.connections,
      },
      techniques,
      related: { ip: [pair.device, ...(pair.ip ? [pair.ip] : [])], hosts: pair.name ? [pair.name] : undefined },
      source: { ip: pair.device },
      destination: { ip: pair.ip, port: pair.port || undefined, domain: pair.name },
      network: { transport: pair.transport, direction: 'outbound' },
    });
  }
}

/** How rare a destination is, for explanations: who else contacted it since it was first seen. */
function rarityText(dest: Baseline<DestinationState> | undefined, otherCount: number, at: number): string {
  if (!dest) return 'a destination no internal device had contacted before';
  const who = otherCount === 0 ? 'no other internal device has' : `only ${otherCount} other internal device${otherCount === 1 ? ' has' : 's have'}`;
  return `which ${who} contacted since it was first seen ${formatAgo(at - dest.first_seen)} ago`;
}

function termKeys(bucket: CompositeBucket, name: string): string[] {
  const agg = bucket[name] as { buckets?: Array<{ key: string | number; key_as_string?: string }> } | undefined;
  return (agg?.buckets ?? []).map((b) => b.key_as_string ?? String(b.key));
}

function formatRate(r: number): string {
  return r >= 10 ? formatCount(r) : String(round(r));
}

/** `3 minutes`, `5 hours`, `2 days`. */
export function formatAgo(ms: number): string {
  const minutes = Math.max(0, ms) / 60_000;
  if (minutes < 90) return `${Math.round(minutes)} minute${Math.round(minutes) === 1 ? '' : 's'}`;
  const hours = minutes / 60;
  if (hours < 36) return `${Math.round(hours)} hours`;
  const days = Math.round(hours / 24);
  return `${days} day${days === 1 ? '' : 's'}`;
}
