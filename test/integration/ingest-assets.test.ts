import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASSETS_INDEX, ZEEK_EVENTS_ALIAS } from '../../common/es/names';
import { actingAs } from '../../common/es/security';
import { readZeekFile } from '../../ingest/parse/zeek/read-file';
import type { IngestSummary } from '../../ingest/stats';
import { useTestEsClient } from '../harness/es';
import { jsonSummary, runVigil } from '../support/cli';
import { LABELED_CORPUS } from '../support/corpus';
import { refresh, resetVigilData } from '../support/es-data';
import { ingestEnvironment } from '../support/ingest-env';

/**
 * Zone and asset role on Zeek events at ingest: the real `vigil ingest zeek --once`, as the least-privilege ingest
 * user, over a real conn log, with zones in the configuration and a device in the asset inventory as the inventory
 * pass writes it.
 */
const CONN_LOG = join(LABELED_CORPUS, 'stratosphere-security-datasets', '001-zeek-scenario-malicious', 'conn.log');
const ZONES = [
  { name: 'office', subnets: ['192.168.1.0/24'], level: 4 },
  { name: 'lab', subnets: ['fd2d:ab8c:225::/48'] },
];
/** The zone of an address by its text, independently of the CIDR matching under test. */
function zoneOf(ip: string): string | undefined {
  if (ip.startsWith('192.168.1.')) return 'office';
  if (ip.startsWith('fd2d:ab8c:225:')) return 'lab';
  return undefined;
}

describe('vigil ingest zeek: zone and asset role of the endpoints', () => {
  const es = useTestEsClient();
  const records = readZeekFile(CONN_LOG);
  /** The address most connections of the capture go to: the device the inventory knows. */
  const device = mostCommon(records.map((r) => r.fields['id.resp_h'] as string));
  const role = 'hmi';

  async function count(query: Record<string, unknown>): Promise<number> {
    return (await es().count({ index: ZEEK_EVENTS_ALIAS, query })).count;
  }

  /** The ingest user's environment, with zones: they are top-level keys, so the configuration is written whole. */
  async function environment(zones: unknown[]): Promise<Record<string, string>> {
    const { env } = await ingestEnvironment(es());
    writeFileSync(env.VIGIL_CONFIG, JSON.stringify({ zones, ingest: { metrics: { listen: null }, assets: { refreshSeconds: 300 } } }));
    // The local instance re-reads roles.yml on a timer, and setup only waits for the user to log in: an instance
    // whose roles.yml came from an older setup may not let the ingest user read the inventory yet.
    const as = actingAs(env.VIGIL_ES_USERNAME, env.VIGIL_ES_PASSWORD);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await es().security.hasPrivileges({ index: [{ names: [ASSETS_INDEX], privileges: ['read'] }] }, as);
      if (res.has_all_requested) break;
      if (Date.now() > deadline) throw new Error(`the ingest user was never given read on ${ASSETS_INDEX}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return env;
  }

  it('ingests with zones and no roles while the inventory index does not exist', async () => {
    await resetVigilData(es());
    const env = await environment([{ name: 'vpn', subnets: ['10.8.0.0/24'], level: 3 }]);
    await es().indices.delete({ index: ASSETS_INDEX }, { ignore: [404] });
    const log = join(LABELED_CORPUS, 'stratosphere-security-datasets', '003-zeek-scenario-malicious', 'conn.log');
    const vpnRecords = readZeekFile(log);

    const run = await runVigil(['ingest', 'zeek', '--once', '--json', log], env);
    if (run.code !== 0) throw new Error(`vigil ingest failed (${run.code}):\n${run.stderr}`);
    expect(run.stderr).not.toMatch(/asset roles could not be read/);
    expect(jsonSummary<IngestSummary>(run).documentsIndexed).toBe(vpnRecords.length);
    await refresh(es());
    const fromVpn = vpnRecords.filter((r) => (r.fields['id.orig_h'] as string).startsWith('10.8.0.')).length;
    expect(fromVpn).toBeGreaterThan(0);
    expect(await count({ term: { 'vigil.source.zone': 'vpn' } })).toBe(fromVpn);
    expect(await count({ exists: { field: 'vigil.source.role' } })).toBe(0);
    expect(await count({ exists: { field: 'vigil.destination.role' } })).toBe(0);
  }, 300_000);

  it('writes vigil.source.zone and vigil.destination.role on the events of the right addresses', async () => {
    await resetVigilData(es());
    const env = await environment(ZONES);

    // The inventory pass may not have created its index (or template) yet: a minimal mapping of what is read.
    if (!(await es().indices.exists({ index: ASSETS_INDEX }))) {
      await es().indices.create({
        index: ASSETS_INDEX,
        mappings: {
          properties: {
            host: { properties: { ip: { type: 'ip' } } },
            vigil: { properties: { asset: { properties: { role: { type: 'keyword' }, zone: { type: 'keyword' } } } } },
          },
        },
      });
    }
    await es().index({ index: ASSETS_INDEX, id: device, document: { host: { ip: device }, vigil: { asset: { role, zone: zoneOf(device) } } }, refresh: true });

    const run = await runVigil(['ingest', 'zeek', '--once', '--json', CONN_LOG], env);
    if (run.code !== 0) throw new Error(`vigil ingest failed (${run.code}):\n${run.stderr}`);
    // A refused read of the inventory would only be a warning: the roles would be missing.
    expect(run.stderr).not.toMatch(/asset roles could not be read/);
    const summary = jsonSummary<IngestSummary>(run);
    expect(summary.documentsIndexed).toBe(records.length);
    await refresh(es());

    const toDevice = records.filter((r) => r.fields['id.resp_h'] === device).length;
    expect(toDevice).toBeGreaterThan(0);
    expect(await count({ term: { 'destination.ip': device } })).toBe(toDevice);
    expect(await count({ term: { 'vigil.destination.role': role } })).toBe(toDevice);
    expect(await count({ bool: { filter: [{ term: { 'destination.ip': device } }, { term: { 'vigil.destination.role': role } }] } })).toBe(toDevice);
    const fromDevice = records.filter((r) => r.fields['id.orig_h'] === device).length;
    expect(await count({ term: { 'vigil.source.role': role } })).toBe(fromDevice);

    for (const zone of ['office', 'lab']) {
      const expected = records.filter((r) => zoneOf(r.fields['id.orig_h'] as string) === zone).length;
      expect(expected).toBeGreaterThan(0);
      expect(await count({ term: { 'vigil.source.zone': zone } })).toBe(expected);
    }
    const outside = records.filter((r) => zoneOf(r.fields['id.orig_h'] as string) === undefined).length;
    expect(outside).toBeGreaterThan(0);
    expect(await count({ bool: { must_not: [{ exists: { field: 'vigil.source.zone' } }] } })).toBe(outside);
    const officeLevel = records.filter((r) => zoneOf(r.fields['id.resp_h'] as string) === 'office').length;
    expect(await count({ term: { 'vigil.destination.level': 4 } })).toBe(officeLevel);

    const caps = await es().fieldCaps({ index: ZEEK_EVENTS_ALIAS, fields: ['vigil.source.zone', 'vigil.destination.role', 'vigil.destination.level'] });
    expect(Object.keys(caps.fields['vigil.source.zone'] ?? {})).toEqual(['keyword']);
    expect(Object.keys(caps.fields['vigil.destination.role'] ?? {})).toEqual(['keyword']);
    expect(Object.keys(caps.fields['vigil.destination.level'] ?? {})).toEqual(['half_float']);
  }, 300_000);
});

function mostCommon(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0][0];
}
