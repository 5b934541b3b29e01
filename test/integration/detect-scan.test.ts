import { join } from 'node:path';
import { ANOMALIES_ALIAS } from '../../common/es/names';
import { validateConfig } from '../../common/config/load';
import { createLogger } from '../../common/log';
import { ANSWERED_STATES } from '../../detector/models/inbound';
import { CONN_INDEX, connQuery, NOT_TO_EVERYONE } from '../../detector/models/conn-query';
import { answeredEdges, NewConnectionModel } from '../../detector/models/new-connection';
import { compositePages } from '../../detector/query/composite';
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
    // What one device's own sweep finds: its answered (peer, port, transport), as the model names them.
    const alone = async (window: { start: number; end: number }, device: string): Promise<string[]> => {
      const out: string[] = [];
      for await (const page of compositePages(es(), {
        index: CONN_INDEX,
        query: connQuery(window, NOT_TO_EVERYONE, { term: { 'source.ip': device } }, { terms: { 'zeek.conn.conn_state': ANSWERED_STATES } }),
        size: 500,
        sources: [
          { peer: { terms: { field: 'destination.ip' } } },
          { port: { terms: { field: 'destination.port', missing_bucket: true } } },
          { transport: { terms: { field: 'network.transport', missing_bucket: true } } },
        ],
      }))
        for (const b of page) out.push(`${b.key.peer}|${b.key.port ?? 0}/${b.key.transport ?? 'unknown'}`);
      return out.sort();
    };
    // Two windows: both captures' whole span, and their first 15 minutes. The devices: every source of answered
    // connections, whatever its network, the scanner, the browsing computer and an address that has no event.
    const r = await es().search({
      index: CONN_INDEX,
      size: 0,
      query: { bool: { filter: [{ term: { 'event.dataset': 'zeek.conn' } }, { terms: { 'zeek.conn.conn_state': ANSWERED_STATES } }] } },
      aggs: {
        from: { min: { field: '@timestamp' } },
        to: { max: { field: '@timestamp' } },
        sources: { terms: { field: 'source.ip', size: 100 } },
      },
    });
    const aggs = r.aggregations as { from: { value: number }; to: { value: number }; sources: { buckets: Array<{ key: string }> } };
    const sources = aggs.sources.buckets.map((b) => b.key);
    const devices = [...new Set([...sources, '172.16.1.11', '147.32.83.234', '192.0.2.1'])];
    let withEdges = 0;
    for (const window of [{ start: aggs.from.value, end: aggs.to.value + 1 }, { start: aggs.from.value, end: aggs.from.value + 15 * 60_000 }]) {
      const together = await answeredEdges({ client: es(), config, window }, devices);
      for (const device of devices) {
        const own = await alone(window, device);
        expect([device, [...(together.get(device) ?? [])].sort()]).toEqual([device, own]);
        if (own.length > 0) withEdges++;
      }
      expect(together.has('192.0.2.1')).toBe(false);
    }
    expect(withEdges).toBeGreaterThan(2);
  });
});
