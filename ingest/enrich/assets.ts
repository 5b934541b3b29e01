/**
 * Zone and asset role of an address, for `vigil.source.*` and `vigil.destination.*` of every Zeek event, so that
 * dashboards can filter events on them without a join.
 *
 * The zone comes from the configuration (`zones`, first match in configuration order, with its Purdue level); the
 * role from the asset inventory, one document per device in `vigil-assets` (id and `host.ip`: the device's
 * address, `vigil.asset.role`: its primary role), read at start and again every `ingest.assets.refreshSeconds`.
 * The inventory is enrichment, not a prerequisite: a missing index is an empty inventory, and a failed read keeps
 * the roles read before (the next refresh tries again), so ingest never stops for it.
 *
 * `assetOf` runs twice per event. Every answer is a frozen object shared by all the events of that address (or,
 * for an address known only by its zone, of that zone), so the normalizer stores it without copying; with no
 * zone configured and no role loaded it returns at once and allocates nothing.
 */
import type { Zone } from '../../common/config/detector-schema';
import { ASSETS_INDEX } from '../../common/es/names';
import type { Logger } from '../../common/log';
import type { AssetFields } from '../normalize/zeek/context';
import { localNetworkMatcher } from './direction';

export type { AssetFields } from '../normalize/zeek/context';

/** One page of the inventory as the search API returns it; only what the enricher reads. */
export interface AssetSearchResponse {
  hits: { hits: Array<{ _id?: string | null; _source?: unknown; sort?: unknown[] }> };
}

/** The part of the Elasticsearch client the enricher uses (the real client fits; tests give a small object). */
export interface AssetSearchClient {
  search(request: {
    index: string;
    size: number;
    sort: Array<Record<string, 'asc' | 'desc'>>;
    _source: string[];
    query: Record<string, unknown>;
    search_after?: unknown[];
  }): Promise<AssetSearchResponse>;
}

export interface AssetEnricherOptions {
  /** Configured zones (`zones`), tested in order. */
  zones: readonly Zone[];
  /** Where the roles are read from; none: zones only. */
  client?: AssetSearchClient;
  /** `ingest.assets.refreshSeconds`: 0 turns the role lookup off (nothing is read, not even at start). */
  refreshSeconds: number;
  log: Logger;
  /** Default `vigil-assets`. */
  index?: string;
  /** Documents per search page (default 5,000). */
  pageSize?: number;
  /** Addresses whose zone is remembered at most (default 100,000); the cache is then emptied. */
  maxCachedAddresses?: number;
}

const ROLE_FIELD = 'vigil.asset.role';
const IP_FIELD = 'host.ip';

interface ZoneEntry {
  contains: (ip: string) => boolean;
  fields: Readonly<AssetFields>;
}

export class AssetEnricher {
  private readonly zones: readonly ZoneEntry[];
  /** Address -> zone answer (null: in no zone) for addresses the inventory has no role for. */
  private readonly zoneCache = new Map<string, Readonly<AssetFields> | null>();
  /** Address -> role, as last read from the inventory. */
  private roleMap: ReadonlyMap<string, string> = new Map();
  /** Address -> full answer (zone, level and role) for every address with a role, built when the roles are read. */
  private withRole = new Map<string, Readonly<AssetFields>>();
  private readonly index: string;
  private readonly pageSize: number;
  private readonly maxCached: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private loading: Promise<void> | undefined;

  constructor(private readonly options: AssetEnricherOptions) {
    this.zones = options.zones.map((zone) => ({
      contains: localNetworkMatcher(zone.subnets),
      fields: Object.freeze(zone.level === undefined ? { zone: zone.name } : { zone: zone.name, level: zone.level }),
    }));
    this.index = options.index ?? ASSETS_INDEX;
    this.pageSize = options.pageSize ?? 5000;
    this.maxCached = options.maxCachedAddresses ?? 100_000;
  }

  /** Whether roles are read from the inventory at all (a client and a refresh period above 0). */
  get readsRoles(): boolean {
    return this.options.client !== undefined && this.options.refreshSeconds > 0;
  }

  /** Whether it can ever say something: zones configured, or roles read. Without, the worker leaves it out. */
  get active(): boolean {
    return this.zones.length > 0 || this.readsRoles;
  }

  /** Addresses with a role, as last read. */
  get roles(): ReadonlyMap<string, string> {
    return this.roleMap;
  }

  /**
   * Zone, level and role of an address, or undefined when nothing is known. Bound, so it can be handed over as
   * `NormalizeContext.assetOf` as it is.
   */
  readonly assetOf = (ip: string): Readonly<AssetFields> | undefined => {
    if (this.withRole.size !== 0) {
      const known = this.withRole.get(ip);
      if (known !== undefined) return known;
    }
    if (this.zones.length === 0) return undefined;
    let hit = this.zoneCache.get(ip);
    if (hit === undefined) {
      hit = this.zoneOf(ip) ?? null;
      // Bounded: a sensor sees new (often outside) addresses all the time; the cache is a speed-up only.
      if (this.zoneCache.size >= this.maxCached) this.zoneCache.clear();
      this.zoneCache.set(ip, hit);
    }
    return hit ?? undefined;
  };

  /** Reads the roles once (when roles are read at all), then again every `refreshSeconds` until `stop()`. */
  async start(): Promise<void> {
    if (!this.readsRoles || this.stopped) return;
    await this.refresh();
    this.schedule();
  }

  /** No more refreshes; one in flight finishes, its result is still taken. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Reads the roles from the inventory and replaces the ones held. On failure the ones held stay and a warning is
   * logged; it never throws. Two calls at once share one read.
   */
  refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** Replaces the roles held (what a successful read does). */
  setRoles(roles: ReadonlyMap<string, string>): void {
    const withRole = new Map<string, Readonly<AssetFields>>();
    for (const [ip, role] of roles) withRole.set(ip, Object.freeze({ ...this.zoneOf(ip), role }));
    this.roleMap = roles;
    this.withRole = withRole;
  }

  private zoneOf(ip: string): Readonly<AssetFields> | undefined {
    for (const zone of this.zones) if (zone.contains(ip)) return zone.fields;
    return undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    // After each read rather than on a fixed interval: a slow read never overlaps the next.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh().then(() => this.schedule());
    }, this.options.refreshSeconds * 1000);
    this.timer.unref();
  }

  private async load(): Promise<void> {
    const client = this.options.client;
    if (client === undefined) return;
    try {
      this.setRoles(await this.readRoles(client));
    } catch (err) {
      if (isIndexMissing(err)) {
        // An inventory not written yet: no roles, and nothing to warn about.
        this.setRoles(new Map());
        return;
      }
      this.options.log.warn(
        { err, index: this.index, roles: this.roleMap.size },
        'The asset roles could not be read; events keep getting the roles read before until the next refresh.',
      );
    }
  }

  private async readRoles(client: AssetSearchClient): Promise<Map<string, string>> {
    const roles = new Map<string, string>();
    let after: unknown[] | undefined;
    for (;;) {
      const page = await client.search({
        index: this.index,
        size: this.pageSize,
        sort: [{ [IP_FIELD]: 'asc' }],
        _source: [IP_FIELD, ROLE_FIELD],
        // Documents without an address cannot be sorted after (their sort value is null) and say nothing here.
        query: { bool: { filter: [{ exists: { field: IP_FIELD } }, { exists: { field: ROLE_FIELD } }] } },
        // Not `ignore_unavailable`: it would also answer an index the user may not read with no hits, silently.
        ...(after === undefined ? {} : { search_after: after }),
      });
      const hits = page.hits.hits;
      for (const hit of hits) {
        const source = hit._source as Record<string, unknown> | undefined;
        const role = field(source, 'vigil', 'asset', 'role');
        if (typeof role !== 'string' || role === '') continue;
        const ip = field(source, 'host', 'ip');
        if (typeof ip === 'string') roles.set(ip, role);
        else if (Array.isArray(ip)) for (const one of ip) if (typeof one === 'string') roles.set(one, role);
      }
      if (hits.length < this.pageSize) return roles;
      after = hits[hits.length - 1].sort;
      if (after === undefined) return roles;
    }
  }
}

/** A field of `_source` written either as nested objects or with a dotted name at some level. */
function field(source: Record<string, unknown> | undefined, ...path: string[]): unknown {
  let node: unknown = source;
  for (let i = 0; i < path.length; i++) {
    if (node === null || typeof node !== 'object') return undefined;
    const object = node as Record<string, unknown>;
    const dotted = path.slice(i).join('.');
    if (dotted in object) return object[dotted];
    node = object[path[i]];
  }
  return node;
}

function isIndexMissing(err: unknown): boolean {
  const e = err as { meta?: { statusCode?: number; body?: { error?: { type?: string } } } } | undefined;
  return e?.meta?.body?.error?.type === 'index_not_found_exception';
}
