import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INCIDENTS_INDEX } from '../../common/es/names';
import type { PassSummary } from '../../detector/pass';
import { isTransportWeird } from '../../detector/models/protocol';
import { useTestEsClient } from '../harness/es';
import { LABELED_CORPUS } from '../support/corpus';
import { detectorEnvironment, modelAnomalies, onlyModels, resetDetectorData } from '../support/detector-env';
import { refresh, resetVigilData } from '../support/es-data';

const STRATOSPHERE = join(LABELED_CORPUS, 'stratosphere-security-datasets');
const KOVTER_WEIRD = join(STRATOSPHERE, '009-zeek-malicious', 'data', 'weird.log.labeled');
const ORDINARY_WEIRD = join(STRATOSPHERE, '012-zeek-mixed', 'data', 'weird.log.labeled');
const KOVTER = '192.168.1.113';
const NETWORKS = { local: ['147.32.0.0/16', '192.168.0.0/16', '10.0.0.0/8', '172.16.0.0/12', 'fc00::/7', 'fe80::/10'] };
const ALERT_SCORE = 60;
const TIMEOUT = 10 * 60_000;

type Anomaly = Record<string, any>;

/**
 * The protocol model in a real pass of `vigil detect` over real weird logs ingested with the real `vigil ingest`:
 * the Kovter-infected host of 009, which sends junk to web servers all day long, and a day of an ordinary computer
 * of the university network (012), whose weirds are transport noise.
 */
describe('vigil detect: protocol violations on real captures', () => {
  const es = useTestEsClient();
  let env: Awaited<ReturnType<typeof detectorEnvironment>>;
  let pass: PassSummary;

  beforeAll(async () => {
    await resetVigilData(es());
    await resetDetectorData(es());
    env = await detectorEnvironment(es(), {
      networks: NETWORKS,
      detector: { alertScore: ALERT_SCORE, models: onlyModels('protocol') },
    });
    await env.ingest([KOVTER_WEIRD, ORDINARY_WEIRD]);
    await refresh(es());
    pass = await env.detect();
  }, TIMEOUT);

  const anomalies = (): Promise<Anomaly[]> => modelAnomalies(es(), 'protocol');

  /** Destinations of the host's content weirds in the log, per weird name. */
  function destinations(file: string, host: string): Map<string, Set<string>> {
    const lines = readFileSync(file, 'utf8').split('\n');
    const fields = (lines.find((l) => l.startsWith('#fields\t')) ?? '').split('\t').slice(1);
    const [orig, resp, name] = ['id.orig_h', 'id.resp_h', 'name'].map((f) => fields.indexOf(f));
    const byName = new Map<string, Set<string>>();
    for (const l of lines) {
      if (l === '' || l.startsWith('#')) continue;
      const c = l.split('\t');
      if (c[orig] !== host || isTransportWeird(c[name])) continue;
      if (!byName.has(c[name])) byName.set(c[name], new Set());
      byName.get(c[name])!.add(c[resp]);
    }
    return byName;
  }

  it('alerts once when the infected host starts spraying junk at web servers, and names every server it hit', async () => {
    expect(pass.byModel?.protocol?.anomalies).toBeGreaterThan(80);
    const all = await anomalies();
    const kovter = all.filter((a) => a.vigil.anomaly.entity.id === KOVTER);
    expect(kovter.length).toBeGreaterThan(80);
    const first = kovter[0].vigil.anomaly;
    expect(first.status).toBe('alert');
    expect(first.kind).toBe('protocol_violation');
    expect(first.explanation).toMatch(/^192\.168\.1\.113 opened connections to \d+ external hosts that Zeek could not parse as the port's protocol \(Zeek weird bad_HTTP_request on port 80, /);
    expect(first.explanation).toMatch(/it never did before/);
    expect(kovter[0].threat.technique.id).toEqual(['T1071', 'T1001.001']);
    // The same behaviour all day is background to the first alert, not ninety-six alerts.
    expect(kovter.filter((a) => a.vigil.anomaly.status === 'alert').length).toBeLessThanOrEqual(2);

    const byName = destinations(KOVTER_WEIRD, KOVTER);
    const sprayed = byName.get('bad_HTTP_request')!;
    expect(sprayed.size).toBeGreaterThan(1000);
    const content = new Set([...byName.values()].flatMap((s) => [...s]));
    const named = new Set(kovter.flatMap((a) => a.related.ip as string[]).filter((ip) => ip !== KOVTER));
    // Every address named is one the host sent a content weird to; only windows with fewer than 3 peers go unnamed.
    for (const ip of named) expect(content.has(ip)).toBe(true);
    expect([...sprayed].filter((ip) => named.has(ip)).length / sprayed.size).toBeGreaterThan(0.98);

    // The host's incident opened with the alert and gathered the rest of the day as context.
    await es().indices.refresh({ index: INCIDENTS_INDEX });
    const found = await es().search({ index: INCIDENTS_INDEX, size: 10, query: { term: { 'incident.entities': KOVTER } } });
    const incidents = found.hits.hits.map((h) => h._source as Anomaly);
    expect(incidents).toHaveLength(1);
    expect(incidents[0].incident.observation_count).toBeGreaterThan(80);
    const covered = new Set(incidents[0].related.ip as string[]);
    expect([...sprayed].filter((ip) => covered.has(ip)).length / sprayed.size).toBeGreaterThan(0.98);
  }, TIMEOUT);

  it('raises nothing on the ordinary computer, whose weirds are transport noise', async () => {
    const all = await anomalies();
    const ordinary = all.filter((a) => a.vigil.anomaly.entity.id !== KOVTER);
    expect(ordinary.filter((a) => a.vigil.anomaly.status === 'alert')).toEqual([]);
  }, TIMEOUT);

  it('writes the same anomalies when run again from scratch, in two partitions at once', async () => {
    const before = (await anomalies()).map((a) => a.vigil.anomaly.id);
    await resetDetectorData(es());
    await Promise.all(['0/2', '1/2'].map((p) => env.detect('--partition', p)));
    const after = (await anomalies()).map((a) => a.vigil.anomaly.id);
    expect(after.sort()).toEqual([...before].sort());
  }, TIMEOUT);
});
