import { join } from 'node:path';
import { errors } from '@elastic/elasticsearch';
import pino from 'pino';
import { configSchema } from '../../common/config/schema';
import { ASSETS_INDEX } from '../../common/es/names';
import { silentLogger } from '../../common/log';
import { LABELED_CORPUS } from '../../test/support/corpus';
import { readZeekFile } from '../parse/zeek/read-file';
import { AssetEnricher, type AssetSearchClient, type AssetSearchResponse } from './assets';

/** Every address of a corpus conn log, originators and responders. */
function addressesOf(relative: string): string[] {
  const out = new Set<string>();
  for (const r of readZeekFile(join(LABELED_CORPUS, 'stratosphere-security-datasets', relative))) {
    for (const key of ['id.orig_h', 'id.resp_h']) if (typeof r.fields[key] === 'string') out.add(r.fields[key] as string);
  }
  return [...out];
}

/** A home network with IPv4 and IPv6 (ULA and link-local) devices, and hosts far outside. */
const HOME = addressesOf('001-zeek-scenario-malicious/conn.log');
/** A university network: one server in 147.32.83.0/24, a few other campus hosts, and thousands of outside hosts. */
const CAMPUS = addressesOf('011-zeek-mixed/data/conn.log.labeled');

type Doc = { _id: string; _source: Record<string, unknown> };
type Request = Parameters<AssetSearchClient['search']>[0];

/** Asset documents as the inventory writes them: id and `host.ip` the address, with more than the role. */
function assetDocs(roles: ReadonlyMap<string, string>): Doc[] {
  return [...roles].map(([ip, role]) => ({ _id: ip, _source: { host: { ip }, vigil: { asset: { role, zone: 'from-the-inventory' } }, device: { manufacturer: 'x' } } }));
}

/** Search with `search_after` over documents sorted on their address, as Elasticsearch pages them. */
class FakeInventory implements AssetSearchClient {
  readonly requests: Request[] = [];
  fail: Error | undefined;

  constructor(public docs: Doc[]) {}

  async search(request: Request): Promise<AssetSearchResponse> {
    this.requests.push(request);
    if (this.fail) throw this.fail;
    const key = (d: Doc) => (d._source.host as { ip: string }).ip;
    const sorted = [...this.docs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const after = request.search_after?.[0] as string | undefined;
    const page = sorted.filter((d) => after === undefined || key(d) > after).slice(0, request.size);
    return { hits: { hits: page.map((d) => ({ _id: d._id, _source: d._source, sort: [key(d)] })) } };
  }
}

function notFound(): Error {
  return new errors.ResponseError({
    body: { error: { type: 'index_not_found_exception', reason: `no such index [${ASSETS_INDEX}]` }, status: 404 },
    statusCode: 404,
    headers: {},
    warnings: null,
    meta: {} as never,
  });
}

function capturingLogger() {
  const lines: Array<{ level: number; msg: string; index?: string }> = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

/** Roles for some of the campus addresses: the busy server, the other campus hosts, and a few outside hosts. */
function campusRoles(): Map<string, string> {
  const roles = new Map<string, string>();
  for (const ip of CAMPUS) {
    if (ip === '147.32.83.165') roles.set(ip, 'server');
    else if (ip.startsWith('147.32.')) roles.set(ip, 'it_host');
  }
  for (const ip of CAMPUS.filter((a) => !a.startsWith('147.32.')).slice(0, 1500)) roles.set(ip, 'it_host');
  return roles;
}

describe('AssetEnricher: zones from the configuration', () => {
  const config = configSchema.parse({
    zones: [
      { name: 'office', subnets: ['192.168.1.0/24'], level: 4 },
      { name: 'lab', subnets: ['fd2d:ab8c:225::/48'] },
      { name: 'link', subnets: ['fe80::/10'], level: 3 },
      // After the more specific zones: an address of both is in the first one.
      { name: 'lan', subnets: ['192.168.0.0/16', 'fd00::/8'], level: 3 },
    ],
  });
  const enricher = new AssetEnricher({ zones: config.zones, refreshSeconds: config.ingest.assets.refreshSeconds, log: silentLogger });

  /** The zone each address should get, by its text alone. */
  function expectedZone(ip: string): string | undefined {
    if (ip.startsWith('192.168.1.')) return 'office';
    if (ip.startsWith('fd2d:ab8c:225:')) return 'lab';
    if (/^fe[89ab][0-9a-f]:/.test(ip)) return 'link';
    if (ip.startsWith('192.168.') || ip.startsWith('fd')) return 'lan';
    return undefined;
  }

  it('gives each address of a real conn log the first configured zone that holds it, with its level', () => {
    const counts = new Map<string | undefined, number>();
    for (const ip of HOME) {
      const zone = expectedZone(ip);
      counts.set(zone, (counts.get(zone) ?? 0) + 1);
      const got = enricher.assetOf(ip);
      if (zone === undefined) {
        expect(got).toBeUndefined();
        continue;
      }
      const level = config.zones.find((z) => z.name === zone)!.level;
      expect(got).toEqual(level === undefined ? { zone } : { zone, level });
    }
    // Every kind of answer was met: IPv4 and IPv6 zones, a zone without level, and addresses in none.
    expect(counts.get('office')).toBeGreaterThan(0);
    expect(counts.get('lab')).toBeGreaterThan(0);
    expect(counts.get('link')).toBeGreaterThan(0);
    expect(counts.get(undefined)).toBeGreaterThan(0);
  });

  it('answers with one frozen object per zone, the same for every address and every call', () => {
    const office = HOME.filter((ip) => ip.startsWith('192.168.1.'));
    const answers = new Set([...office, ...office].map((ip) => enricher.assetOf(ip)));
    expect(answers.size).toBe(1);
    expect(Object.isFrozen([...answers][0])).toBe(true);
  });

  it('keeps answering right when its cache of addresses is emptied', () => {
    const small = new AssetEnricher({ zones: config.zones, refreshSeconds: 0, log: silentLogger, maxCachedAddresses: 3 });
    for (let round = 0; round < 2; round++) for (const ip of HOME) expect(small.assetOf(ip)?.zone).toBe(expectedZone(ip));
  });

  it('says nothing without zones and roles, and reads nothing when refreshSeconds is 0', async () => {
    const inventory = new FakeInventory(assetDocs(campusRoles()));
    const none = new AssetEnricher({ zones: [], client: inventory, refreshSeconds: 0, log: silentLogger });
    await none.start();
    expect(inventory.requests).toHaveLength(0);
    expect(none.active).toBe(false);
    for (const ip of [...HOME, ...CAMPUS]) expect(none.assetOf(ip)).toBeUndefined();
  });
});

describe('AssetEnricher: roles from the asset inventory', () => {
  afterEach(() => jest.useRealTimers());

  it('reads every role page by page with search_after, sorted on host.ip, only the two fields it needs', async () => {
    const roles = campusRoles();
    expect(roles.size).toBeGreaterThan(1000);
    const inventory = new FakeInventory(assetDocs(roles));
    const enricher = new AssetEnricher({ zones: [], client: inventory, refreshSeconds: 300, log: silentLogger, pageSize: 400 });
    await enricher.start();
    enricher.stop();
    expect(enricher.roles).toEqual(roles);
    expect(inventory.requests).toHaveLength(Math.floor(roles.size / 400) + 1);
    for (const [i, request] of inventory.requests.entries()) {
      expect(request).toMatchObject({ index: ASSETS_INDEX, size: 400, sort: [{ 'host.ip': 'asc' }], _source: ['host.ip', 'vigil.asset.role'] });
      if (i === 0) expect(request.search_after).toBeUndefined();
      else expect(request.search_after).toHaveLength(1);
    }
    for (const [ip, role] of roles) expect(enricher.assetOf(ip)).toEqual({ role });
    const unknown = CAMPUS.filter((ip) => !roles.has(ip));
    expect(unknown.length).toBeGreaterThan(0);
    for (const ip of unknown) expect(enricher.assetOf(ip)).toBeUndefined();
  });

  it('asks for pages of 5,000 unless told otherwise', async () => {
    const inventory = new FakeInventory(assetDocs(campusRoles()));
    const enricher = new AssetEnricher({ zones: [], client: inventory, refreshSeconds: 300, log: silentLogger });
    await enricher.start();
    enricher.stop();
    expect(inventory.requests.map((r) => r.size)).toEqual([5000]);
  });

  it('puts zone, level and role together for an address the inventory knows in a configured zone', async () => {
    const roles = campusRoles();
    const zones = configSchema.parse({ zones: [{ name: 'servers', subnets: ['147.32.83.0/24'], level: 3 }, { name: 'campus', subnets: ['147.32.0.0/16'], level: 4 }] }).zones;
    const enricher = new AssetEnricher({ zones, client: new FakeInventory(assetDocs(roles)), refreshSeconds: 300, log: silentLogger });
    await enricher.start();
    enricher.stop();
    expect(enricher.assetOf('147.32.83.165')).toEqual({ zone: 'servers', level: 3, role: 'server' });
    const campusHosts = CAMPUS.filter((ip) => ip.startsWith('147.32.') && !ip.startsWith('147.32.83.'));
    expect(campusHosts.length).toBeGreaterThan(0);
    for (const ip of campusHosts) expect(enricher.assetOf(ip)).toEqual({ zone: 'campus', level: 4, role: 'it_host' });
    const outsideWithRole = CAMPUS.find((ip) => !ip.startsWith('147.32.') && roles.has(ip))!;
    expect(enricher.assetOf(outsideWithRole)).toEqual({ role: 'it_host' });
    expect(Object.isFrozen(enricher.assetOf('147.32.83.165'))).toBe(true);
  });

  it('reads the roles again every refreshSeconds, and no more after stop()', async () => {
    jest.useFakeTimers();
    const roles = campusRoles();
    const inventory = new FakeInventory(assetDocs(roles));
    const enricher = new AssetEnricher({ zones: [], client: inventory, refreshSeconds: 300, log: silentLogger });
    await enricher.start();
    expect(inventory.requests).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(1);

    // The inventory learns that the server is in fact a historian, and forgets one outside host.
    const gone = [...roles.keys()].find((ip) => !ip.startsWith('147.32.'))!;
    const changed = new Map(roles);
    changed.set('147.32.83.165', 'historian');
    changed.delete(gone);
    inventory.docs = assetDocs(changed);
    await jest.advanceTimersByTimeAsync(299_000);
    expect(inventory.requests).toHaveLength(1);
    expect(enricher.assetOf('147.32.83.165')).toEqual({ role: 'server' });
    await jest.advanceTimersByTimeAsync(1_000);
    expect(inventory.requests).toHaveLength(2);
    expect(enricher.assetOf('147.32.83.165')).toEqual({ role: 'historian' });
    expect(enricher.assetOf(gone)).toBeUndefined();

    enricher.stop();
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(3_600_000);
    expect(inventory.requests).toHaveLength(2);
  });

  it('does not keep the process alive for its timer', async () => {
    const timeouts: NodeJS.Timeout[] = [];
    const real = global.setTimeout;
    const spy = jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const t = real(fn, ms);
      timeouts.push(t);
      return t;
    }) as typeof setTimeout);
    const enricher = new AssetEnricher({ zones: [], client: new FakeInventory([]), refreshSeconds: 300, log: silentLogger });
    try {
      await enricher.start();
      expect(timeouts).toHaveLength(1);
      expect(timeouts[0].hasRef()).toBe(false);
    } finally {
      enricher.stop();
      spy.mockRestore();
    }
  });

  it('keeps the roles it has when a refresh fails, warns through the logger, and takes the next good read', async () => {
    jest.useFakeTimers();
    const roles = campusRoles();
    const inventory = new FakeInventory(assetDocs(roles));
    const { log, lines } = capturingLogger();
    const enricher = new AssetEnricher({ zones: [], client: inventory, refreshSeconds: 60, log });
    await enricher.start();
    expect(enricher.roles.size).toBe(roles.size);

    inventory.fail = new errors.ConnectionError('connect ECONNREFUSED');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(inventory.requests).toHaveLength(2);
    expect(enricher.roles).toEqual(roles);
    expect(enricher.assetOf('147.32.83.165')).toEqual({ role: 'server' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, index: ASSETS_INDEX });
    expect(lines[0].msg).toMatch(/could not be read/);

    // It keeps trying: the next refresh after the failure reads again.
    inventory.fail = undefined;
    inventory.docs = assetDocs(new Map([['147.32.83.165', 'historian']]));
    await jest.advanceTimersByTimeAsync(60_000);
    expect(inventory.requests).toHaveLength(3);
    expect(enricher.roles).toEqual(new Map([['147.32.83.165', 'historian']]));
    enricher.stop();
  });

  it('keeps the roles it has when a page after the first fails, rather than a part of them', async () => {
    const roles = campusRoles();
    const inventory = new FakeInventory(assetDocs(roles));
    const enricher = new AssetEnricher({ zones: [], client: inventory, refreshSeconds: 300, log: silentLogger, pageSize: 400 });
    await enricher.start();
    enricher.stop();
    const search = inventory.search.bind(inventory);
    let calls = 0;
    inventory.search = async (request) => {
      if (++calls === 2) throw new errors.TimeoutError('Request timed out');
      return search(request);
    };
    inventory.docs = assetDocs(new Map([...roles].map(([ip]) => [ip, 'plc'])));
    await enricher.refresh();
    expect(enricher.roles).toEqual(roles);
  });

  it('takes a missing inventory index for an empty inventory, without a warning', async () => {
    const inventory = new FakeInventory([]);
    inventory.fail = notFound();
    const { log, lines } = capturingLogger();
    const zones = configSchema.parse({ zones: [{ name: 'servers', subnets: ['147.32.83.0/24'], level: 3 }] }).zones;
    const enricher = new AssetEnricher({ zones, client: inventory, refreshSeconds: 300, log });
    await enricher.start();
    enricher.stop();
    expect(inventory.requests).toHaveLength(1);
    expect(enricher.roles.size).toBe(0);
    expect(lines).toEqual([]);
    // Zones still apply.
    expect(enricher.assetOf('147.32.83.165')).toEqual({ zone: 'servers', level: 3 });
  });

  it('warns when the inventory may not be read, rather than taking it for an empty one', async () => {
    const roles = campusRoles();
    const inventory = new FakeInventory(assetDocs(roles));
    const { log, lines } = capturingLogger();
    const enricher = new AssetEnricher({ zones: [], client: inventory, refreshSeconds: 300, log });
    await enricher.start();
    enricher.stop();
    inventory.fail = new errors.ResponseError({
      body: { error: { type: 'security_exception', reason: `action [indices:data/read/search] is unauthorized for user [vigil_ingest] on indices [${ASSETS_INDEX}]` }, status: 403 },
      statusCode: 403,
      headers: {},
      warnings: null,
      meta: {} as never,
    });
    await enricher.refresh();
    expect(enricher.roles).toEqual(roles);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, index: ASSETS_INDEX });
  });
});
