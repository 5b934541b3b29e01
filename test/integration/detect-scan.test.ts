import { join } from 'node:path';
import { ANOMALIES_ALIAS } from '../../common/es/names';
import { validateConfig } from '../../common/config/load';
import { createLogger } from '../../common/log';
import { answeredEdges, NewConnectionModel } from '../../detector/models/new-connection';
import { runPass } from '../../detector/pass';
import { useTestEsClient } from '../harness/es';
import { LABELED_CORPUS } from '../support/corpus';
import { detectorEnvironment, resetDetectorData } from '../support/detector-env';
import { refresh, resetVigilData } from '../support/es-data';

const SCENARIOS = join(LABELED_CORPUS, 'stratosphere-security-datasets');
/** nmap from 172.16.1.11 (the capture's README), sweeping addresses and ports. */
const NMAP = join(SCENARIOS, '002-zeek-scenario-port-scanning', 'conn.log');
/** A day of an ordinary computer (147.32.83.234) that opens dozens of new web sites at a time. */
const BROWSING = join(SCENARIOS, '010-zeek-mixed', 'data', 'conn.log.labeled');

/** Scans found by the new-connection model in whole passes on the real Elasticsearch. */
describe('scan detection on the real Elasticsearch', () => {
  const es = useTestEsClient();

  beforeAll(async () => {
    await resetVigilData(es());
    const env = await detectorEnvironment(es());
    await resetDetectorData(es());
    await env.ingest([NMAP, BROWSING]);
    await refresh(es());
    const config = validateConfig({ networks: { local: ['147.32.0.0/16', '172.16.0.0/12'] }, log: { level: 'error' } }, 'the test');
    await runPass({ client: es(), config, models: [new NewConnectionModel()], log: createLogger('error') });
    await es().indices.refresh({ index: ANOMALIES_ALIAS });
  }, 600_000);

  async function scans(): Promise<Array<{ device: string; kind: string; explanation: string; observed: number }>> {
    const r = await es().search({ index: ANOMALIES_ALIAS, size: 1000, query: { terms: { 'vigil.anomaly.kind': ['address_scan', 'port_scan'] } } });
    return r.hits.hits.map((h) => {
      const a = (h._source as { vigil: { anomaly: { entity: { id: string }; kind: string; explanation: string; figures: { observed: number } } } }).vigil.anomaly;
      return { device: a.entity.id, kind: a.kind, explanation: a.explanation, observed: a.figures.observed };
    });
  }

  it('finds the unanswered sweeps of nmap, by the scanning host only', async () => {
    const found = await scans();
    expect(found.map((s) => s.kind)).toEqual(expect.arrayContaining(['address_scan', 'port_scan']));
    for (const s of found) {
      expect(s.device).toBe('172.16.1.11');
      expect(s.explanation).toMatch(/which did not answer/);
      expect(s.observed).toBeGreaterThanOrEqual(30);
    }
  });

  it('does not call a computer that opens sixty new web sites in a window, which answer, a scanner', async () => {
    const found = await scans();
    expect(found.filter((s) => s.device.startsWith('147.32.'))).toEqual([]);
    // The burst is there, and is judged as new connections of a device with its own bursts instead.
    const r = await es().count({ index: ANOMALIES_ALIAS, query: { bool: { filter: [{ term: { 'vigil.anomaly.model': 'new_connection' } }, { term: { 'vigil.anomaly.entity.id': '147.32.83.234' } }] } } });
    expect(r.count).toBeGreaterThan(0);
  });

  it('reads the answered edges of many devices with one sweep, each device\'s as its own sweep reads them', async () => {
    const config = validateConfig({ networks: { local: ['147.32.0.0/16', '172.16.0.0/12'] } }, 'the test');
    const r = await es().search({
      index: ANOMALIES_ALIAS,
      size: 0,
      query: { term: { 'vigil.anomaly.model': 'new_connection' } },
      aggs: { windows: { terms: { field: 'vigil.anomaly.window.start', size: 1000 }, aggs: { devices: { terms: { field: 'vigil.anomaly.entity.id', size: 100 } } } } },
    });
    const windows = (r.aggregations as { windows: { buckets: Array<{ key: number; devices: { buckets: Array<{ key: string }> } }> } }).windows.buckets;
    // The windows of both captures, each with the devices it judged and one that has no event in it.
    const picked = [windows.find((w) => w.devices.buckets.some((d) => d.key === '172.16.1.11')), windows.find((w) => w.devices.buckets.some((d) => d.key === '147.32.83.234'))];
    let edges = 0;
    for (const w of picked) {
      expect(w).toBeDefined();
      const ctx = { client: es(), config, window: { start: w!.key, end: w!.key + 15 * 60_000 } };
      const devices = [...w!.devices.buckets.map((d) => d.key), '172.16.1.11', '147.32.83.234', '192.0.2.1'];
      const together = await answeredEdges(ctx, [...new Set(devices)]);
      for (const device of new Set(devices)) {
        const alone = (await answeredEdges(ctx, [device])).get(device);
        expect([device, [...(together.get(device) ?? [])].sort()]).toEqual([device, [...(alone ?? [])].sort()]);
        edges += alone?.size ?? 0;
      }
      expect(together.has('192.0.2.1')).toBe(false);
    }
    expect(edges).toBeGreaterThan(0);
  });
});
