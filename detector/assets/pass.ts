/**
 * One inventory pass: read what was ingested since the last pass (`event.ingested`), fold it into the asset
 * documents, judge roles, zones and the inventory file afresh for the devices that changed, and write only the
 * documents whose content differs. A pass over nothing new writes nothing; the watermark and a lease live in the
 * detector's state index, so a restarted or second process continues where the last stopped and never runs twice.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Client } from '@elastic/elasticsearch';
import type { VigilConfig } from '../../common/config/schema';
import { ASSETS_INDEX, ZEEK_EVENTS_PATTERN } from '../../common/es/names';
import { ConfigError } from '../../common/errors';
import type { Logger } from '../../common/log';
import { localNetworkMatcher } from '../../ingest/enrich/direction';
import { ZoneMap } from '../feedback/scope';
import { DetectorState } from '../state';
import { AssetCollector, ObservationSet } from './collect';
import { observeConduits, writeConduits } from './conduits';
import { compareInventory, parseInventory } from './inventory-file';
import { assetDocument, emptyAsset, factsOf, foldObservation, sameAsset, summarise, type AssetBody, type AssetDocument } from './merge';
import { inferRoles } from './roles';
import type { AssetObservation, InventoryEntry } from './types';

export interface AssetPassSummary {
  from?: string;
  to: string;
  events: number;
  devices: { observed: number; created: number; updated: number; unchanged: number };
  inventory?: { entries: number; inventoried: number; uninventoried: number; missing: number };
  conduits: { observed: number; violated: number };
  requests: number;
  readSeconds: number;
  seconds: number;
}

export interface AssetPassOptions {
  client: Client;
  config: VigilConfig;
  log: Logger;
  /** Overrides `assets.lagSeconds` (0 after a `--once` ingest has committed everything). */
  lagSeconds?: number;
  now?: () => number;
}

const STATE = { index: 0, count: 1, name: 'assets', owns: () => true } as const;
const MGET_PAGE = 1000;
/** Pages of asset documents being written at once while the next are read. */
const WRITES_IN_FLIGHT = 2;
/** The lease lasts 10 minutes; it is renewed this often while a pass writes. */
const LEASE_RENEW_MS = 60_000;
/** A lag shorter than this may be shorter than the event indices' refresh interval. */
const REFRESH_MARGIN_MS = 30_000;

function loadInventory(config: VigilConfig): { entries: InventoryEntry[]; hash: string } | undefined {
  const file = config.assets.inventoryFile;
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`assets.inventoryFile: cannot read ${file}: ${(err as Error).message}`, { key: 'assets.inventoryFile' }, err);
  }
  return { entries: parseInventory(text, file), hash: createHash('sha256').update(text).digest('hex') };
}

/** Roles, zone and inventory status: what is judged afresh whenever an asset or the configuration changes. */
class Judge {
  private readonly zones: ZoneMap;

  constructor(
    private readonly config: VigilConfig,
    readonly inventory: { entries: InventoryEntry[]; hash: string } | undefined,
  ) {
    this.zones = new ZoneMap(config.zones);
  }

  /** A hash of what judging depends on besides the asset itself: a change makes the next pass judge every asset. */
  get hash(): string {
    return createHash('sha256')
      .update(JSON.stringify([this.config.zones, this.config.assets.roles, this.inventory?.hash ?? '']))
      .digest('hex')
      .slice(0, 16);
  }

  judge(bodies: AssetBody[]): AssetBody[] {
    const compared = this.inventory ? compareInventory(this.inventory.entries, bodies.filter((b) => b.seen && b.ip !== undefined).map((b) => ({ ip: b.ip!, macs: b.macs, hostnames: b.hostnames, ot: b.ot }))) : undefined;
    return bodies.map((body) => {
      const out: AssetBody = { ...body };
      delete out.zone;
      delete out.level;
      if (body.ip !== undefined) {
        const zone = this.zones.zoneOf(body.ip);
        if (zone !== undefined) {
          out.zone = zone;
          const level = this.zones.level(zone);
          if (level !== undefined) out.level = level;
        }
      }
      const roles = body.seen && body.ip !== undefined ? inferRoles(factsOf(out), this.config.assets.roles) : [];
      const judged = summarise(out, roles);
      if (compared && body.seen && body.ip !== undefined) {
        const c = compared.byIp.get(body.ip);
        judged.inventory = c
          ? { status: c.status, ...(c.entry?.id ? { id: c.entry.id } : {}), ...(c.entry ? { line: c.entry.line } : {}), differences: c.differences }
          : { status: 'uninventoried', differences: [] };
      } else if (body.seen || !this.inventory) {
        delete judged.inventory;
      }
      return judged;
    });
  }
}

/**
 * Folds observations into the asset documents, a page of addresses at a time: reads the documents, folds, judges,
 * and writes those whose content changed. A device may come twice in one pass (its conn observation, then a fact
 * log's): it is counted once, as new if it was new.
 */
class AssetWriter {
  private readonly created = new Set<string>();
  private readonly touched = new Set<string>();
  private readonly changed = new Set<string>();

  constructor(
    private readonly client: Client,
    private readonly judge: Judge,
    private readonly now: number,
    private readonly state: DetectorState,
  ) {}

  private renewed = Date.now();
  /** Bulk requests sent and not answered yet, and the first that failed. */
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  /**
   * Reads, folds and judges a page of devices, and sends what changed without waiting for the answer, so that the
   * request runs while the next page is read: at most `WRITES_IN_FLIGHT` at once. Each device is in one page until
   * `settle`, so no page reads a document another is still writing.
   */
  async write(observations: AssetObservation[]): Promise<void> {
    this.throwIfFailed();
    if (observations.length === 0) return;
    // A first pass over a long history can outlast the lease: keep it while writing.
    if (Date.now() - this.renewed > LEASE_RENEW_MS) {
      await this.state.renew();
      this.renewed = Date.now();
    }
    const ips = observations.map((o) => o.ip);
    const existing = await this.client.mget<AssetDocument>({ index: ASSETS_INDEX, ids: ips });
    const befores = existing.docs.map((d) => ((d as { found?: boolean }).found ? (d as { _source: AssetDocument })._source.vigil.asset : undefined));
    const folded = observations.map((o, j) => foldObservation(befores[j] ?? emptyAsset(o.ip, this.now), o, this.now));
    const judged = this.judge.judge(folded);
    const write: AssetBody[] = [];
    judged.forEach((body, j) => {
      const ip = ips[j];
      this.touched.add(ip);
      if (befores[j] === undefined) this.created.add(ip);
      else if (sameAsset(befores[j]!, body)) return;
      else this.changed.add(ip);
      write.push(body);
    });
    const sent: Promise<void> = bulkWrite(this.client, write).then(
      () => void this.inFlight.delete(sent),
      (error: unknown) => {
        this.inFlight.delete(sent);
        this.failure ??= { error };
      },
    );
    this.inFlight.add(sent);
    if (this.inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(this.inFlight);
    this.throwIfFailed();
  }

  /** Every page written: needed before a device may come again (a fact log's observation after its conn one). */
  async settle(): Promise<void> {
    await Promise.all(this.inFlight);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  counts(): AssetPassSummary['devices'] {
    const updated = [...this.changed].filter((ip) => !this.created.has(ip)).length;
    return { observed: this.touched.size, created: this.created.size, updated, unchanged: this.touched.size - this.created.size - updated };
  }
}

function assetId(body: AssetBody): string {
  if (body.ip !== undefined) return body.ip;
  return `mac:${body.macs[0]?.mac ?? 'unknown'}`;
}

async function bulkWrite(client: Client, bodies: AssetBody[]): Promise<void> {
  if (bodies.length === 0) return;
  const operations = bodies.flatMap((body) => [{ index: { _index: ASSETS_INDEX, _id: assetId(body) } }, assetDocument(body)]);
  const response = await client.bulk({ operations });
  if (response.errors) {
    const failed = response.items.find((item) => item.index?.error)?.index?.error;
    throw new Error(`writing asset documents failed: ${failed?.type ?? 'error'}: ${failed?.reason ?? 'unknown'}`);
  }
}

/** Every asset document, a page at a time, from a point in time, for judging them all after a configuration change. */
async function* allAssets(client: Client): AsyncGenerator<Array<{ id: string; body: AssetBody }>> {
  const pit = await client.openPointInTime({ index: ASSETS_INDEX, keep_alive: '2m' });
  let after: unknown[] | undefined;
  try {
    for (;;) {
      const r = await client.search<AssetDocument>({
        size: MGET_PAGE,
        pit: { id: pit.id, keep_alive: '2m' },
        sort: [{ _shard_doc: 'asc' }],
        ...(after ? { search_after: after as never } : {}),
      } as Parameters<Client['search']>[0]);
      const hits = r.hits.hits as Array<{ _id: string; _source?: AssetDocument; sort?: unknown[] }>;
      if (hits.length === 0) return;
      yield hits.map((h) => ({ id: h._id, body: h._source!.vigil.asset }));
      if (hits.length < MGET_PAGE) return;
      after = hits[hits.length - 1].sort;
    }
  } finally {
    await client.closePointInTime({ id: pit.id }).catch(() => undefined);
  }
}

export async function runAssetPass(options: AssetPassOptions): Promise<AssetPassSummary> {
  const { client, config, log } = options;
  const clock = options.now ?? Date.now;
  const started = performance.now();
  const now = clock();
  const inventory = loadInventory(config);
  const judge = new Judge(config, inventory);
  const state = new DetectorState(client, STATE, undefined, 'inventory pass');
  await state.acquire(now);
  try {
    const { watermark, passes, summary: lastSummary } = await state.watermark();
    const lag = (options.lagSeconds ?? config.assets.lagSeconds) * 1000;
    // Events are searchable after their index refreshes (every 5 s by default): reading up to a moment ago needs a
    // refresh first, or what was ingested just before would be behind the watermark and never read.
    if (lag < REFRESH_MARGIN_MS) await client.indices.refresh({ index: ZEEK_EVENTS_PATTERN, allow_no_indices: true, ignore_unavailable: true });
    const to = Math.max(now - lag, watermark ?? 0);
    const range = { ...(watermark !== undefined ? { from: watermark } : {}), to };
    const summary: AssetPassSummary = {
      ...(watermark !== undefined ? { from: new Date(watermark).toISOString() } : {}),
      to: new Date(to).toISOString(),
      events: 0,
      devices: { observed: 0, created: 0, updated: 0, unchanged: 0 },
      conduits: { observed: 0, violated: 0 },
      requests: 0,
      readSeconds: 0,
      seconds: 0,
    };
    const observations = new ObservationSet(localNetworkMatcher(config.networks.local));
    const collector = new AssetCollector(client, range, observations, config.assets.pageSize, config.networks.local);
    const writer = new AssetWriter(client, judge, now, state);
    if (watermark === undefined || to > watermark) {
      const present = await collector.datasets();
      for (const n of present.values()) summary.events += n;
      if (present.has('zeek.conn')) {
        await collector.routerMacs();
        // Devices both sides of conn have gone past are complete: written a page at a time, so memory stays flat.
        await collector.conn(async (below) => {
          if (observations.countBelow(below) < MGET_PAGE) return;
          const complete = observations.takeBelow(below);
          for (let i = 0; i < complete.length; i += MGET_PAGE) await writer.write(complete.slice(i, i + MGET_PAGE));
        });
        await writer.settle();
      }
      await collector.facts(present);
      await collector.operations(present);
      if (present.has('zeek.conn') && config.zones.length > 0) {
        const readStarted = performance.now();
        const conduits = await observeConduits(client, range, config.zones);
        summary.readSeconds += (performance.now() - readStarted) / 1000;
        summary.requests++;
        const written = await writeConduits(client, conduits, config.zones, config.conduits, now);
        summary.conduits.observed = written.length;
        summary.conduits.violated = written.filter((c) => c.vigil.conduit.policy === 'violated').length;
      }
    }
    const rest = observations.takeBelow(undefined);
    for (let i = 0; i < rest.length; i += MGET_PAGE) await writer.write(rest.slice(i, i + MGET_PAGE));
    await writer.settle();
    summary.requests += collector.stats.requests;
    summary.readSeconds += Object.values(collector.stats.seconds).reduce((a, b) => a + b, 0);
    summary.devices = writer.counts();

    // A change of zones, role thresholds or inventory file since the last pass, or new devices where an inventory is
    // kept (a new device may be a missing one found): judge all. A first pass has just judged every device it wrote.
    const lastHash = (lastSummary as { judged?: string } | undefined)?.judged;
    const configChanged = watermark !== undefined && lastHash !== judge.hash;
    if (configChanged || (inventory && (summary.devices.created > 0 || lastHash !== judge.hash))) {
      await client.indices.refresh({ index: ASSETS_INDEX });
      const counts = await rejudgeAll(client, judge, now);
      summary.devices.updated += counts.updated;
      if (inventory) summary.inventory = { entries: inventory.entries.length, ...counts.inventory };
    } else if (inventory) {
      const last = (lastSummary as { inventory?: { inventoried: number; uninventoried: number; missing: number } } | undefined)?.inventory;
      summary.inventory = { entries: inventory.entries.length, inventoried: last?.inventoried ?? 0, uninventoried: last?.uninventoried ?? 0, missing: last?.missing ?? 0 };
    }
    await client.indices.refresh({ index: ASSETS_INDEX });
    summary.seconds = (performance.now() - started) / 1000;
    await state.saveWatermark(to, passes + 1, { ...summary, judged: judge.hash }, clock());
    log.info({ assets: summary }, 'asset inventory pass done');
    return summary;
  } finally {
    await state.release(clock());
  }
}

/** Judges every asset document again and keeps one document per inventory entry the network never showed. */
async function rejudgeAll(client: Client, judge: Judge, now: number): Promise<{ updated: number; inventory: { inventoried: number; uninventoried: number; missing: number } }> {
  let updated = 0;
  const inventory = { inventoried: 0, uninventoried: 0, missing: 0 };
  const seen: Array<{ ip: string; macs: AssetBody['macs']; hostnames: AssetBody['hostnames']; ot: AssetBody['ot'] }> = [];
  const unseenIds = new Set<string>();
  for await (const page of allAssets(client)) {
    const bodies = page.map((p) => p.body);
    const judged = judge.judge(bodies);
    const changed = judged.filter((body, j) => !sameAsset(bodies[j], body));
    updated += changed.length;
    await bulkWrite(client, changed);
    for (const body of judged) {
      if (!body.seen) {
        unseenIds.add(assetId(body));
        continue;
      }
      if (body.inventory?.status === 'inventoried') inventory.inventoried++;
      else if (body.inventory?.status === 'uninventoried') inventory.uninventoried++;
      if (judge.inventory && body.ip !== undefined) seen.push({ ip: body.ip, macs: body.macs, hostnames: body.hostnames, ot: body.ot });
    }
  }
  if (judge.inventory) {
    // Only addresses and MACs are needed to find the entries nobody matched.
    const { missing } = compareInventory(judge.inventory.entries, seen);
    const wanted: AssetBody[] = missing.map((m) => {
      const body = emptyAsset(m.entry.ip, now);
      if (m.entry.mac && m.entry.ip === undefined) body.macs = [{ mac: m.entry.mac, source: 'inventory', first: new Date(now).toISOString(), last: new Date(now).toISOString() }];
      body.inventory = { status: 'missing', ...(m.entry.id ? { id: m.entry.id } : {}), line: m.entry.line, differences: [] };
      if (m.entry.zone) body.zone = m.entry.zone;
      return body;
    });
    inventory.missing = wanted.length;
    const fresh = wanted.filter((b) => !unseenIds.has(assetId(b)));
    await bulkWrite(client, fresh);
    // Placeholders of entries no longer missing (dropped from the file, or found under another address) are kept,
    // marked `removed`: the inventory keeps what it said, and the detector's role cannot delete.
    const keep = new Set(wanted.map(assetId));
    const stale: AssetBody[] = [];
    for await (const page of allAssets(client)) {
      for (const { id, body } of page) {
        if (!body.seen && !keep.has(id) && body.inventory?.status === 'missing') stale.push({ ...body, updated: new Date(now).toISOString(), inventory: { ...body.inventory, status: 'removed' } });
      }
    }
    await bulkWrite(client, stale);
  }
  return { updated, inventory };
}
