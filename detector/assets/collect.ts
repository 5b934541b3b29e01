/**
 * Reading what the network says about its devices: composite aggregations over the events ingested since the last
 * inventory pass, folded into one `AssetObservation` per local address. Nothing reads raw events into memory; what
 * is held is one small record per device seen in the range.
 *
 * - conn, client side: per device and application protocol, the peers it reached and when.
 * - conn, server side: per device, protocol and port it answered on (the responder sent packets back), the clients.
 * - the fact logs (`sources.ts`): identities, names, MACs, software, roles Zeek states outright.
 * - the industrial operation logs: per master and device, the classes of operation sent (read, write, program...).
 */
import type { Client } from '@elastic/elasticsearch';
import { ZEEK_EVENTS_PATTERN } from '../../common/es/names';
import { compositePages, type CompositeBucket } from '../query/composite';
import { OT_OPERATION_FIELDS } from '../features/ot';
import { classifyRequest, requestFilter } from '../models/ot/operations';
import { compositeSources, deviceAddress, deviceOf, FACT_SOURCES, factQuery, keyValues } from './sources';
import { str } from '../models/conn-query';
import type { AssetObservation, OtIdentity, OtOperations, ProtocolUse } from './types';
import { macVendor } from './oui';
import { ZEEK_LOG_FIELDS } from '../../common/es/templates/zeek-fields';
import { ipToBytes } from '../../ingest/enrich/community-id';

/** Events ingested in (from, to], epoch milliseconds of `event.ingested`. */
export interface IngestRange {
  from?: number;
  to: number;
}

export function rangeFilter(range: IngestRange): Record<string, unknown> {
  return { range: { 'event.ingested': { ...(range.from !== undefined ? { gt: range.from } : {}), lte: range.to, format: 'epoch_millis' } } };
}

/** What each read contributed, for the pass summary and the benchmark. */
export interface CollectStats {
  requests: number;
  buckets: number;
  seconds: Record<string, number>;
}

function value(bucket: CompositeBucket, name: string): number | undefined {
  const v = (bucket[name] as { value?: number | null } | undefined)?.value;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function termKeys(bucket: CompositeBucket, name: string): string[] {
  const buckets = (bucket[name] as { buckets?: Array<{ key: unknown }> } | undefined)?.buckets ?? [];
  return buckets.map((b) => String(b.key));
}

const MAX_PORTS = 8;
/**
 * Distinct peers are counted exactly up to this many per bucket, approximately (HyperLogLog) beyond: well above the
 * role thresholds (3 controllers, 5 clients). A threshold of 20 measured no faster.
 */
const PEER_PRECISION = 100;

const sortScratch = new Uint8Array(16);

/**
 * The order Elasticsearch gives `ip` keys: their 16-byte form (IPv4 as IPv4-mapped IPv6), compared byte by byte; as a
 * hex string, so that strings compare the same way.
 */
export function ipSortKey(ip: string): string {
  const length = ipToBytes(ip, sortScratch);
  if (length === 4) return `00000000000000000000ffff${Buffer.from(sortScratch.subarray(0, 4)).toString('hex')}`;
  if (length === 16) return Buffer.from(sortScratch).toString('hex');
  return ip;
}
/** A MAC that conn logs show beside more addresses than this in one pass is a router's. */
const ROUTER_MAC_ADDRESSES = 4;
/** Most distinct peers counted exactly per device, protocol and class of operation; beyond, the count stops rising. */
const MAX_TRACKED_PEERS = 1000;

/** The observations of one pass, keyed by address. */
export class ObservationSet {
  readonly byIp = new Map<string, AssetObservation>();

  constructor(private readonly isLocal: (ip: string) => boolean) {}

  /**
   * The observation of a local address, created on first use; undefined for an address outside the local networks,
   * for one that names no device (`deviceAddress`: unspecified, loopback, multicast, the limited broadcast), and for
   * IPv4 addresses ending in .255, the broadcast of the /24 and longer subnets industrial networks use (discovery
   * protocols such as BACnet Who-Is and ENIP List Identity are sent there).
   */
  of(ip: string | undefined): AssetObservation | undefined {
    if (ip === undefined || !this.isLocal(ip) || deviceAddress(ip) === undefined || ip.endsWith('.255')) return undefined;
    let o = this.byIp.get(ip);
    if (o === undefined) {
      o = { ip, macs: [], hostnames: [], spoken: [], served: [], software: [], ot: [], operations: [], commanded: [], declared: [] };
      this.byIp.set(ip, o);
    }
    return o;
  }

  seen(o: AssetObservation, first: number | undefined, last: number | undefined): void {
    if (first !== undefined) o.first = o.first === undefined ? first : Math.min(o.first, first);
    if (last !== undefined) o.last = o.last === undefined ? last : Math.max(o.last, last);
  }

  /** Removes and returns the observations whose address sorts below `key` (`ipSortKey`); all of them without a key. */
  takeBelow(key: string | undefined): AssetObservation[] {
    const out: AssetObservation[] = [];
    for (const [ip, o] of this.byIp) {
      if (key !== undefined && ipSortKey(ip) >= key) continue;
      out.push(o);
      this.byIp.delete(ip);
    }
    return out;
  }

  /** How many observations sort below `key`. */
  countBelow(key: string | undefined): number {
    if (key === undefined) return this.byIp.size;
    let n = 0;
    for (const ip of this.byIp.keys()) if (ipSortKey(ip) < key) n++;
    return n;
  }

  mac(o: AssetObservation, mac: string, source: string, first: number, last: number): void {
    const hit = o.macs.find((m) => m.mac === mac);
    if (hit) {
      hit.first = Math.min(hit.first, first);
      hit.last = Math.max(hit.last, last);
      return;
    }
    const vendor = macVendor(mac);
    o.macs.push({ mac, ...(vendor ? { vendor } : {}), source, first, last });
  }
}

/** A conn whose responder refused it: Zeek's `REJ`, a RST in answer to the SYN. */
const REFUSED = { term: { 'zeek.conn.conn_state': 'REJ' } };

export class AssetCollector {
  readonly stats: CollectStats = { requests: 0, buckets: 0, seconds: {} };
  private readonly peerSets = new Map<string, Set<string>>();

  /**
   * `localNetworks`: the CIDRs of `networks.local`. Only their addresses become devices, so the conn sweeps ask
   * Elasticsearch for the events of those addresses alone: the index answers that from its points, and the traffic of
   * a site with the Internet (most of conn, server side) is never aggregated only to be dropped here.
   */
  constructor(
    private readonly client: Client,
    private readonly range: IngestRange,
    readonly observations: ObservationSet,
    private readonly pageSize: number,
    private readonly localNetworks: readonly string[],
  ) {}

  /** Events whose `field` (an ip field) is in a local network. */
  private local(field: string): Record<string, unknown> {
    return { terms: { [field]: this.localNetworks } };
  }

  /** Pages of one composite aggregation; the time of each request is charged to `label` (not the time between them). */
  private async *pages(label: string, query: Record<string, unknown>, sources: Array<Record<string, unknown>>, aggs?: Record<string, unknown>): AsyncGenerator<CompositeBucket[]> {
    // The conn sweeps ask for their pages ahead themselves (see `conn`).
    const it = compositePages(this.client, { index: ZEEK_EVENTS_PATTERN, query, sources, aggs, size: this.pageSize, ahead: false })[Symbol.asyncIterator]();
    for (;;) {
      const started = performance.now();
      const next = await it.next();
      this.stats.seconds[label] = (this.stats.seconds[label] ?? 0) + (performance.now() - started) / 1000;
      if (next.done) return;
      this.stats.requests++;
      this.stats.buckets += next.value.length;
      yield next.value;
    }
  }

  private query(...filters: Array<Record<string, unknown>>): Record<string, unknown> {
    return { bool: { filter: [rangeFilter(this.range), ...filters] } };
  }

  /** Datasets with events in the range, so that absent logs cost no request. */
  async datasets(): Promise<Map<string, number>> {
    const present = new Map<string, number>();
    for await (const page of this.pages('datasets', this.query(), [{ dataset: { terms: { field: 'event.dataset' } } }])) {
      for (const b of page) present.set(String(b.key.dataset), b.doc_count);
    }
    return present;
  }

  /**
   * MACs that conn logs show beside more than `ROUTER_MAC_ADDRESSES` addresses: the sensor sees a routed host's
   * packets with the router's MAC, so such a MAC names the router, not the devices. One sweep per side, after a
   * request that finds whether any conn event in the range has a MAC at all.
   */
  async routerMacs(): Promise<Set<string>> {
    const routers = new Set<string>();
    this.routers = routers;
    // Most sensors do not log MACs: one event that has one is looked for first, and without it nothing is swept.
    const started = performance.now();
    const probe = await this.client.search({
      index: ZEEK_EVENTS_PATTERN,
      size: 1,
      _source: false,
      terminate_after: 1,
      track_total_hits: false,
      query: this.query({ term: { 'event.dataset': 'zeek.conn' } }, { bool: { should: [{ exists: { field: 'source.mac' } }, { exists: { field: 'destination.mac' } }], minimum_should_match: 1 } }),
    });
    this.stats.requests++;
    this.stats.seconds.conn_macs = (this.stats.seconds.conn_macs ?? 0) + (performance.now() - started) / 1000;
    this.connMacs = probe.hits.hits.length > 0;
    if (!this.connMacs) return routers;
    for (const side of ['source', 'destination'] as const) {
      for await (const page of this.pages(
        'conn_macs',
        this.query({ term: { 'event.dataset': 'zeek.conn' } }),
        [{ mac: { terms: { field: `${side}.mac` } } }],
        { addresses: { cardinality: { field: `${side}.ip`, precision_threshold: 100 } } },
      )) {
        for (const b of page) if ((value(b, 'addresses') ?? 0) > ROUTER_MAC_ADDRESSES) routers.add(String(b.key.mac));
      }
    }
    return routers;
  }

  private routers = new Set<string>();
  /** Whether conn events in the range carry MACs at all (Zeek logs them only with a policy script): if not, none is asked for. */
  private connMacs = true;

  /**
   * conn, both sides, read in step: the client side (per device and protocol), the server side (per device,
   * protocol, port and transport) and the refused connections (per device) all come in address order, so once all
   * have passed an address its observation is complete, and `complete` is called with the sort key below which every
   * observation is (undefined at the end).
   * The caller writes those out, which keeps memory to a few pages' worth of devices whatever their number.
   */
  async conn(complete: (below: string | undefined) => Promise<void>): Promise<void> {
    const timeAggs = { first: { min: { field: '@timestamp' } }, last: { max: { field: '@timestamp' } } };
    const clients = this.pages(
      'conn_client',
      this.query({ term: { 'event.dataset': 'zeek.conn' } }, this.local('source.ip')),
      [{ ip: { terms: { field: 'source.ip' } } }, { protocol: { terms: { field: 'network.protocol', missing_bucket: true } } }],
      { ...timeAggs, peers: { cardinality: { field: 'destination.ip', precision_threshold: PEER_PRECISION } }, ...(this.connMacs ? { mac: { terms: { field: 'source.mac', size: 2 } } } : {}) },
    );
    // The responder answered: a scanned address with nobody behind it is not a device. A port that refused the
    // connection (`REJ`: a RST to the SYN) serves nothing, and a scan of a live host makes one such answer per port
    // tried: those answers only say that the device is there, read per address.
    const answered = [{ term: { 'event.dataset': 'zeek.conn' } }, this.local('destination.ip'), { range: { 'destination.packets': { gt: 0 } } }];
    const servers = this.pages(
      'conn_server',
      { bool: { filter: [rangeFilter(this.range), ...answered], must_not: [REFUSED] } },
      [
        { ip: { terms: { field: 'destination.ip' } } },
        { protocol: { terms: { field: 'network.protocol', missing_bucket: true } } },
        { port: { terms: { field: 'destination.port', missing_bucket: true } } },
        { transport: { terms: { field: 'network.transport', missing_bucket: true } } },
      ],
      { ...timeAggs, peers: { cardinality: { field: 'source.ip', precision_threshold: PEER_PRECISION } }, ...(this.connMacs ? { mac: { terms: { field: 'destination.mac', size: 2 } } } : {}) },
    );
    const refused = this.pages(
      'conn_refused',
      this.query(...answered, REFUSED),
      [{ ip: { terms: { field: 'destination.ip' } } }],
      { ...timeAggs, ...(this.connMacs ? { mac: { terms: { field: 'destination.mac', size: 2 } } } : {}) },
    );
    // The last address of each stream's latest page: everything below all of them is complete. Undefined: that
    // stream is done. Each has its next page asked for while the last one is folded and written: the streams'
    // requests run in Elasticsearch at the same time (a composite page uses one search thread), and beside the writes.
    type Stream = {
      pages: AsyncGenerator<CompositeBucket[]>;
      last: string | undefined;
      next: Promise<IteratorResult<CompositeBucket[]>>;
      fold: (o: AssetObservation, b: CompositeBucket) => void;
    };
    const ask = (pages: AsyncGenerator<CompositeBucket[]>): Promise<IteratorResult<CompositeBucket[]>> => {
      const next = pages.next();
      // Awaited later; a failure meanwhile is not unhandled, it is thrown where the page is awaited.
      next.catch(() => undefined);
      return next;
    };
    const streams: Stream[] = [
      { pages: clients, last: '', next: ask(clients), fold: (o, b) => this.fold(o, o.spoken, b, undefined) },
      { pages: servers, last: '', next: ask(servers), fold: (o, b) => this.fold(o, o.served, b, b.key.port === null ? undefined : Number(b.key.port)) },
      { pages: refused, last: '', next: ask(refused), fold: (o, b) => this.seen(o, b) },
    ];
    for (;;) {
      // Advance the side that is behind.
      const open = streams.filter((st) => st.last !== undefined);
      if (open.length === 0) break;
      const behind = open.reduce((a, b) => (a.last! <= b.last! ? a : b));
      const next = await behind.next;
      if (next.done) {
        behind.last = undefined;
      } else {
        behind.next = ask(behind.pages);
        for (const b of next.value) {
          const o = this.observations.of(str(b.key.ip));
          if (o) behind.fold(o, b);
        }
        const lastIp = str(next.value[next.value.length - 1]?.key.ip);
        behind.last = lastIp === undefined ? behind.last : ipSortKey(lastIp);
      }
      const pending = streams.filter((st) => st.last !== undefined).map((st) => st.last!);
      await complete(pending.length ? pending.reduce((a, b) => (a <= b ? a : b)) : undefined);
    }
  }

  /** The device was there (first and last seen, and its MAC where conn has one), whatever it spoke. */
  private seen(o: AssetObservation, b: CompositeBucket): void {
    const first = value(b, 'first');
    const last = value(b, 'last');
    this.observations.seen(o, first, last);
    for (const mac of termKeys(b, 'mac')) if (!this.routers.has(mac)) this.observations.mac(o, mac, 'conn', first ?? 0, last ?? 0);
  }

  private fold(o: AssetObservation, list: ProtocolUse[], b: CompositeBucket, port: number | undefined): void {
    this.seen(o, b);
    const first = value(b, 'first');
    const last = value(b, 'last');
    const protocol = str(b.key.protocol) ?? 'unknown';
    const transport = str(b.key.transport);
    let use = list.find((u) => u.protocol === protocol && (transport === undefined || u.transport === undefined || u.transport === transport));
    if (use === undefined) {
      use = { protocol, ...(transport ? { transport } : {}), ports: [], peers: 0, events: 0, first: first ?? 0, last: last ?? 0 };
      list.push(use);
    }
    use.events += b.doc_count;
    // Peers over several ports of one protocol: the largest count is a floor of the distinct total.
    use.peers = Math.max(use.peers, value(b, 'peers') ?? 0);
    if (first !== undefined) use.first = Math.min(use.first, first);
    if (last !== undefined) use.last = Math.max(use.last, last);
    if (port !== undefined && !use.ports.includes(port) && use.ports.length < MAX_PORTS) use.ports.push(port);
  }

  /** The fact logs that have events in the range. */
  async facts(present: ReadonlyMap<string, number>): Promise<void> {
    for (const source of FACT_SOURCES) {
      if (!present.has(`zeek.${source.path}`)) continue;
      for await (const page of this.pages('facts', this.query(...factQuery(source)), compositeSources(source), {
        first: { min: { field: '@timestamp' } },
        last: { max: { field: '@timestamp' } },
      })) {
        for (const b of page) {
          const values = keyValues(source, b.key);
          const fact = source.read(values);
          if (fact === undefined) continue;
          // Only a fact makes a device: a record that says nothing usable creates no asset.
          const o = this.observations.of(deviceOf(source, values));
          if (!o) continue;
          const first = value(b, 'first') ?? 0;
          const last = value(b, 'last') ?? first;
          this.observations.seen(o, first, last);
          const seen = { source: source.path, first, last };
          switch (fact.kind) {
            case 'mac':
              this.observations.mac(o, fact.mac, source.path, first, last);
              break;
            case 'hostname':
              addSeen(o.hostnames, (h) => h.name === fact.name && h.source === source.path, { name: fact.name, ...seen });
              break;
            case 'software':
              addSeen(
                o.software,
                (s) => s.type === fact.software.type && s.name === fact.software.name && s.version === fact.software.version,
                { ...fact.software, ...seen },
              );
              break;
            case 'identity':
              addIdentity(o, { ...fact.identity, ...seen });
              break;
            case 'declared_role':
              addSeen(o.declared, (d) => d.protocol === fact.protocol && d.role === fact.role, { protocol: fact.protocol, role: fact.role, ...seen });
              break;
          }
        }
      }
    }
  }

  /** Industrial operations: which classes each master sent to which devices. */
  async operations(present: ReadonlyMap<string, number>): Promise<void> {
    for (const [path, spec] of Object.entries(OT_OPERATION_FIELDS)) {
      if (!present.has(`zeek.${path}`) || ZEEK_LOG_FIELDS[path]?.[spec.field] === undefined) continue;
      const request = requestFilter(path);
      const sources: Array<Record<string, unknown>> = [
        { master: { terms: { field: 'source.ip' } } },
        { device: { terms: { field: 'destination.ip' } } },
        { op: { terms: { field: `zeek.${path}.${spec.field}` } } },
      ];
      if (spec.detailField && ZEEK_LOG_FIELDS[path]?.[spec.detailField] !== undefined) {
        sources.push({ detail: { terms: { field: `zeek.${path}.${spec.detailField}`, missing_bucket: true } } });
      }
      for await (const page of this.pages(
        'operations',
        this.query({ term: { 'event.dataset': `zeek.${path}` } }, ...(request ? [request] : [])),
        sources,
        { first: { min: { field: '@timestamp' } }, last: { max: { field: '@timestamp' } } },
      )) {
        for (const b of page) {
          const op = classifyRequest(path, str(b.key.op)!, str(b.key.detail));
          if (op === undefined) continue;
          const master = str(b.key.master)!;
          const device = str(b.key.device)!;
          const first = value(b, 'first') ?? 0;
          const last = value(b, 'last') ?? first;
          const m = this.observations.of(master);
          if (m) {
            this.observations.seen(m, first, last);
            this.addOperation(m, m.operations, spec.protocol, op.class, device, b.doc_count, first, last, 'sent');
          }
          const d = this.observations.of(device);
          if (d) {
            this.observations.seen(d, first, last);
            this.addOperation(d, d.commanded, spec.protocol, op.class, master, b.doc_count, first, last, 'received');
          }
        }
      }
    }
  }

  private addOperation(o: AssetObservation, list: OtOperations[], protocol: string, cls: OtOperations['class'], peer: string, events: number, first: number, last: number, side: string): void {
    let entry = list.find((e) => e.protocol === protocol && e.class === cls);
    if (entry === undefined) {
      entry = { protocol, class: cls, peers: 0, events: 0, first, last };
      list.push(entry);
    }
    entry.events += events;
    entry.first = Math.min(entry.first, first);
    entry.last = Math.max(entry.last, last);
    const key = `${side}|${o.ip}|${protocol}|${cls}`;
    let peers = this.peerSets.get(key);
    if (peers === undefined) this.peerSets.set(key, (peers = new Set()));
    if (peers.size < MAX_TRACKED_PEERS) peers.add(peer);
    entry.peers = peers.size;
  }
}

const IDENTITY_KEYS = ['vendor', 'product', 'model', 'firmware', 'serial', 'deviceType', 'name'] as const;

/**
 * Adds an identity fact. Some logs give a device's identity a part per record (Modbus Read Device Identification
 * writes one object per record, HART-IP the long tag apart from the unique identifier): parts of one log and
 * protocol that contradict nothing are one identity. Two values of one field (another firmware) stay two identities.
 */
function addIdentity(o: AssetObservation, identity: OtIdentity): void {
  const hit = o.ot.find(
    (i) => i.source === identity.source && i.protocol === identity.protocol && IDENTITY_KEYS.every((k) => i[k] === undefined || identity[k] === undefined || i[k] === identity[k]),
  );
  if (!hit) {
    o.ot.push(identity);
    return;
  }
  for (const k of IDENTITY_KEYS) if (hit[k] === undefined && identity[k] !== undefined) hit[k] = identity[k];
  hit.first = Math.min(hit.first, identity.first);
  hit.last = Math.max(hit.last, identity.last);
}

function addSeen<T extends { first: number; last: number }>(list: T[], match: (t: T) => boolean, item: T): void {
  const hit = list.find(match);
  if (hit) {
    hit.first = Math.min(hit.first, item.first);
    hit.last = Math.max(hit.last, item.last);
  } else {
    list.push(item);
  }
}
