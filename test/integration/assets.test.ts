import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../common/config/load';
import { ASSETS_INDEX, CONDUITS_INDEX, ZEEK_EVENTS_PATTERN } from '../../common/es/names';
import type { AssetDocument } from '../../detector/assets/merge';
import type { ConduitDocument } from '../../detector/assets/conduits';
import type { AssetPassSummary } from '../../detector/assets/pass';
import { localNetworkMatcher } from '../../ingest/enrich/direction';
import { useTestEsClient } from '../harness/es';
import { LABELED_CORPUS, readLog, ZEEK_CORPUS } from '../support/corpus';
import { jsonSummary, runVigil } from '../support/cli';
import { detectorEnvironment, resetDetectorData } from '../support/detector-env';
import { resetVigilData } from '../support/es-data';

/**
 * The asset inventory through the real `vigil ingest zeek` and `vigil assets`, over the whole Zeek corpus: first
 * everything but the ENIP captures, then the same again (nothing may change), then the ENIP captures and a copy of
 * the zed Modbus log one day later (new devices appear, known ones are seen later).
 */

const ENIP = join(ZEEK_CORPUS, 'icsnpp', 'icsnpp-enip');
const ZED_MODBUS = join(ZEEK_CORPUS, 'zed-sample-data', 'zeek-default', 'modbus.log.gz');
const DAY = 86_400;

/** The Zeek corpus without the ENIP captures: its top-level directories and the icsnpp ones but ENIP. */
function corpusWithoutEnip(): string[] {
  const icsnpp = join(ZEEK_CORPUS, 'icsnpp');
  const dirs = ['icsnpp-bacnet', 'icsnpp-bsap', 'icsnpp-dnp3', 'icsnpp-ethercat', 'icsnpp-hart-ip', 'icsnpp-modbus', 'icsnpp-opcua-binary', 'icsnpp-profinet-io-cm', 'icsnpp-s7comm', 'icsnpp-synchrophasor'];
  return [join(ZEEK_CORPUS, 'zed-sample-data'), join(ZEEK_CORPUS, 'zeek-btest-baseline'), ...dirs.map((d) => join(icsnpp, d))];
}

/** The zed Modbus log with every timestamp one day later; every other byte is the sensor's. */
function zedModbusNextDay(dir: string): string {
  const lines = readLog(ZED_MODBUS).toString('utf8').split('\n');
  const out = lines.map((line) => {
    if (line === '' || line.startsWith('#')) return line;
    const tab = line.indexOf('\t');
    return `${(Number(line.slice(0, tab)) + DAY).toFixed(6)}${line.slice(tab)}`;
  });
  const file = join(dir, 'modbus.log');
  writeFileSync(file, out.join('\n'));
  return file;
}

// The user's own list: the S7 server with a serial that differs from the one it reports, the Modbus master Zeek's
// known_modbus names, and a device the network never shows.
const INVENTORY_CSV = [
  'Asset Tag,IP Address,Device Name,Serial Number,Vendor',
  'PLC-7,172.17.0.2,snap7-plc,S C-C2UR28922099,Siemens',
  'HMI-1,10.0.0.57,modbus-master,,',
  'SPARE-3,10.99.99.99,spare-rtu,,',
].join('\n');

describe('vigil assets: the inventory over the whole Zeek corpus', () => {
  const es = useTestEsClient();
  let env: Awaited<ReturnType<typeof detectorEnvironment>>;
  let work: string;
  let first: AssetPassSummary;

  async function assets(): Promise<AssetPassSummary> {
    const run = await runVigil(['assets', '--once', '--json', '--lag', '0'], env.detectEnv);
    if (run.code !== 0) throw new Error(`assets failed (${run.code}): ${run.stderr}`);
    return jsonSummary<AssetPassSummary>(run);
  }

  async function all(): Promise<Map<string, { doc: AssetDocument; seqNo: number }>> {
    await es().indices.refresh({ index: ASSETS_INDEX });
    const r = await es().search<AssetDocument>({ index: ASSETS_INDEX, size: 10_000, seq_no_primary_term: true });
    return new Map(r.hits.hits.map((h) => [h._id!, { doc: h._source!, seqNo: h._seq_no! }]));
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'vigil-assets-'));
    const inventoryFile = join(work, 'inventory.csv');
    writeFileSync(inventoryFile, INVENTORY_CSV);
    const config = {
      // Zeek's Modbus test capture: masters 10.0.0.57 and 10.0.0.9 poll 10.0.0.3 and 10.0.0.8; and the zed pair.
      zones: [
        { name: 'control', subnets: ['10.0.0.0/29', '10.0.0.8/32', '10.47.0.0/16'], level: 1 },
        { name: 'supervisory', subnets: ['10.0.0.57/32', '10.0.0.9/32', '10.128.0.0/16'], level: 2 },
      ],
      conduits: [{ from: 'supervisory', to: 'control', protocols: ['modbus'], ports: [502] }],
      assets: { inventoryFile },
      ingest: { metrics: { listen: null }, zeek: { recursive: true } },
    };
    await resetVigilData(es());
    env = await detectorEnvironment(es(), config);
    await resetDetectorData(es());
    await env.ingest(corpusWithoutEnip());
    first = await assets();
  }, 600_000);

  it('finds the devices of the corpus, each with first and last seen, and only local ones', async () => {
    const docs = await all();
    expect(first.devices.created).toBeGreaterThan(100);
    const seen = [...docs.values()].filter((d) => d.doc.vigil.asset.seen);
    expect(seen.length).toBe(first.devices.created);
    for (const { doc } of seen) {
      const a = doc.vigil.asset;
      expect(a.ip).toBeDefined();
      expect(/^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.|fc|fd|fe[89ab])/.test(a.ip!)).toBe(true);
      expect(Date.parse(a.first_seen!)).toBeLessThanOrEqual(Date.parse(a.last_seen!));
    }
  });

  it('takes OT identities from the industrial logs, with the log that said it', async () => {
    const docs = await all();
    const s7 = docs.get('172.17.0.2')!.doc.vigil.asset;
    const identity = s7.ot.find((i) => i.source === 's7comm_known_devices');
    expect(identity).toBeDefined();
    expect(JSON.stringify(identity)).toContain('CPU 315-2 PN/DP');
    expect(identity!.serial).toBe('S C-C2UR28922012');
    // BACnet I-Am: the lighting controller announces its vendor.
    const bacnet = [...docs.values()].map((d) => d.doc.vigil.asset).filter((a) => a.ot.some((i) => i.protocol === 'bacnet' && i.vendor === 'Acuity Brands Lighting Inc.'));
    expect(bacnet.map((a) => a.ip)).toContain('192.168.0.24');
  });

  it('infers roles with evidence: Zeek-declared Modbus master and slaves, and the zed Modbus pair', async () => {
    const docs = await all();
    const roles = (ip: string) => docs.get(ip)?.doc.vigil.asset.roles ?? [];
    expect(roles('10.0.0.57').map((r) => r.role)).toContain('modbus_master');
    expect(roles('10.0.0.3').map((r) => r.role)).toContain('modbus_slave');
    expect(roles('10.128.0.242').map((r) => r.role)).toContain('modbus_master');
    expect(roles('10.47.8.54').map((r) => r.role)).toContain('modbus_slave');
    for (const { doc } of docs.values()) {
      for (const r of doc.vigil.asset.roles) {
        expect(r.evidence.length).toBeGreaterThan(0);
        expect(r.confidence).toBeGreaterThan(0);
        expect(r.confidence).toBeLessThanOrEqual(1);
      }
      if (doc.vigil.asset.roles.length) expect(doc.vigil.asset.role).toBe(doc.vigil.asset.roles[0].role);
    }
  });

  it('puts devices in their zones and records the conduits, judged against the policy', async () => {
    const docs = await all();
    expect(docs.get('10.47.8.54')!.doc.vigil.asset).toMatchObject({ zone: 'control', level: 1 });
    expect(docs.get('10.0.0.3')!.doc.vigil.asset).toMatchObject({ zone: 'control', level: 1 });
    expect(docs.get('10.128.0.242')!.doc.vigil.asset).toMatchObject({ zone: 'supervisory', level: 2 });
    expect(docs.get('172.17.0.2')!.doc.vigil.asset.zone).toBeUndefined();
    await es().indices.refresh({ index: CONDUITS_INDEX });
    const r = await es().search<ConduitDocument>({ index: CONDUITS_INDEX, size: 100 });
    const conduits = new Map(r.hits.hits.map((h) => [h._id!, h._source!.vigil.conduit]));
    const down = conduits.get('supervisory>control');
    expect(down).toBeDefined();
    const modbus = down!.protocols.find((p) => p.protocol === 'modbus' && p.port === 502);
    expect(modbus).toMatchObject({ allowed: true });
    for (const p of down!.protocols) expect(p.allowed).toBe(p.protocol === 'modbus' && p.port === 502);
    // Zeek's "modbus and non-modbus on port 502" capture: traffic on 502 that is not Modbus is outside the policy.
    expect(down!.not_allowed).toContain('unknown/502');
    expect(down!.policy).toBe('violated');
    expect(down!).toMatchObject({ from_level: 2, to_level: 1 });
    // Nothing may stay inside one zone.
    for (const c of conduits.values()) expect(c.from).not.toBe(c.to);
  });

  it('compares with the inventory file: matched, differing, uninventoried and never seen', async () => {
    const docs = await all();
    const plc = docs.get('172.17.0.2')!.doc.vigil.asset;
    expect(plc.inventory).toMatchObject({ status: 'inventoried', id: 'PLC-7' });
    expect(plc.inventory!.differences).toEqual(expect.arrayContaining([{ field: 'serial', expected: 'S C-C2UR28922099', observed: 'S C-C2UR28922012' }]));
    expect(docs.get('10.0.0.57')!.doc.vigil.asset.inventory).toMatchObject({ status: 'inventoried', id: 'HMI-1' });
    const spare = docs.get('10.99.99.99')!.doc.vigil.asset;
    expect(spare).toMatchObject({ seen: false, inventory: { status: 'missing', id: 'SPARE-3' } });
    expect(docs.get('10.47.8.54')!.doc.vigil.asset.inventory!.status).toBe('uninventoried');
    expect(first.inventory).toMatchObject({ entries: 3, inventoried: 2, missing: 1 });
  });

  it('changes nothing on a second pass over the same data', async () => {
    const before = await all();
    await env.ingest(corpusWithoutEnip());
    const second = await assets();
    expect(second.devices).toMatchObject({ created: 0, updated: 0 });
    const after = await all();
    expect(after.size).toBe(before.size);
    for (const [id, { seqNo }] of before) expect(after.get(id)?.seqNo).toBe(seqNo);
  });

  it('adds what new data shows and moves last-seen forward', async () => {
    const before = await all();
    const master = before.get('10.128.0.242')!.doc.vigil.asset;
    await env.ingest([ENIP, zedModbusNextDay(work)]);
    const third = await assets();
    expect(third.devices.created).toBeGreaterThan(0);
    const after = await all();
    const moved = after.get('10.128.0.242')!.doc.vigil.asset;
    expect(Date.parse(moved.last_seen!) - Date.parse(master.last_seen!)).toBeGreaterThanOrEqual(DAY * 1000 - 60_000);
    expect(moved.first_seen).toBe(master.first_seen);
    const adapter = after.get('10.1.1.164')!.doc.vigil.asset;
    expect(before.has('10.1.1.164')).toBe(false);
    expect(adapter.ot).toEqual(expect.arrayContaining([expect.objectContaining({ vendor: 'Rockwell Automation/Allen-Bradley', firmware: '4.3' })]));
    expect(adapter.vendor).toBe('Rockwell Automation/Allen-Bradley');
    // Devices the new data does not name keep their documents as they were.
    const untouched = before.get('172.17.0.2')!;
    expect(after.get('172.17.0.2')!.seqNo).toBe(untouched.seqNo);
  });
});

describe('vigil assets over a real port scan', () => {
  const es = useTestEsClient();
  // Stratosphere's port-scanning scenario: one host probing many ports of several others, most answered by a RST.
  const PORT_SCAN = join(LABELED_CORPUS, 'stratosphere-security-datasets', '002-zeek-scenario-port-scanning', 'conn.log');

  beforeAll(async () => {
    await resetVigilData(es());
    const env = await detectorEnvironment(es(), { ingest: { metrics: { listen: null } } });
    await resetDetectorData(es());
    await env.ingest([PORT_SCAN]);
    const run = await runVigil(['assets', '--once', '--json', '--lag', '0'], env.detectEnv);
    if (run.code !== 0) throw new Error(`assets failed (${run.code}): ${run.stderr}`);
  }, 600_000);

  it('serves no port that only refused connections (REJ), and keeps the devices that refused them', async () => {
    // From the events themselves: each local responder's answered ports, and the states of its answers on each.
    type Bucket = { key: string | number; doc_count: number };
    type Port = Bucket & { states: { buckets: Bucket[] } };
    const r = await es().search({
      index: ZEEK_EVENTS_PATTERN,
      size: 0,
      query: { bool: { filter: [{ term: { 'event.dataset': 'zeek.conn' } }, { range: { 'destination.packets': { gt: 0 } } }] } },
      aggs: { ip: { terms: { field: 'destination.ip', size: 10_000 }, aggs: { port: { terms: { field: 'destination.port', size: 10_000 }, aggs: { states: { terms: { field: 'zeek.conn.conn_state', size: 20 } } } } } } },
    });
    // The networks the pass counts as local: the configuration's default, as in `beforeAll`.
    const isLocal = localNetworkMatcher(validateConfig({}, 'the test').networks.local);
    const ips = (r.aggregations!.ip as { buckets: Array<Bucket & { port: { buckets: Port[] } }> }).buckets;
    await es().indices.refresh({ index: ASSETS_INDEX });
    const found = await es().search<AssetDocument>({ index: ASSETS_INDEX, size: 10_000 });
    const docs = new Map(found.hits.hits.map((h) => [h._id!, h._source!]));
    let refusedOnly = 0;
    for (const ip of ips) {
      const asset = docs.get(String(ip.key))?.vigil.asset;
      // Local addresses only, and not the x.255 a broadcast goes to.
      if (!isLocal(String(ip.key)) || String(ip.key).endsWith('.255')) continue;
      // Every local address that answered is a device, whether it accepted or refused.
      expect(asset?.seen).toBe(true);
      const served = new Set(asset!.served.flatMap((u) => u.ports));
      for (const port of ip.port.buckets) {
        if (!port.states.buckets.every((st) => st.key === 'REJ')) continue;
        refusedOnly++;
        expect(served.has(Number(port.key))).toBe(false);
      }
    }
    // The scan met live hosts' closed ports: the check above was not vacuous.
    expect(refusedOnly).toBeGreaterThan(10);
  });
});
