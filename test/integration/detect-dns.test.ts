import { isIP } from 'node:net';
import { join } from 'node:path';
import { ANOMALIES_ALIAS, BASELINES_INDEX, DETECTOR_STATE_INDEX } from '../../common/es/names';
import { runSetup } from '../../common/es/setup';
import { fileRealmSecurity } from '../../cli/local-es/file-realm';
import { baselineId } from '../../detector/baseline/store';
import type { PassSummary } from '../../detector/pass';
import {
  clientWindows,
  connPairs,
  dnsEvents,
  KOVTER_DNS,
  KOVTER_HOST,
  resolverLookups,
  SIMDA_CONN,
  SIMDA_DNS,
  SIMDA_V4,
  SIMDA_V6,
  ZED_DNS,
} from '../../detector/models/dns/corpus.fixture';
import { domainShape, isFailure } from '../../detector/models/dns/failures';
import { isGlobalUnicast } from '../../detector/models/rare-destination';
import { registrableDomain } from '../../detector/models/dns/stats';
import { ResolvedNames, unusedNames } from '../../detector/models/dns/unused';
import { localNetworkMatcher } from '../../ingest/enrich/direction';
import { testEsControl, useTestEsClient } from '../harness/es';
import { jsonSummary, runVigil } from '../support/cli';
import { detectorEnvironment, resetDetectorData } from '../support/detector-env';
import { refresh, resetVigilData } from '../support/es-data';

const SIMDA_HTTP = join(SIMDA_DNS, '..', 'http.log');
/** The default local networks (`networks.local`): every capture's clients are in them. */
const LOCAL = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7', 'fe80::/10'];
const ALERT = 60;

/**
 * The DNS model in whole passes of the real `vigil detect`, on real captures ingested with the real `vigil ingest`:
 * a DGA bot must stand out, ordinary traffic must not. Only the DNS model runs, so every anomaly is its own.
 */
describe('vigil detect: the DNS model on real captures', () => {
  const es = useTestEsClient();
  let env: Awaited<ReturnType<typeof detectorEnvironment>>;
  const isLocal = localNetworkMatcher(LOCAL);

  beforeAll(async () => {
    await resetVigilData(es());
    env = await detectorEnvironment(es(), {
      networks: { local: LOCAL },
      detector: {
        models: Object.fromEntries(['new_connection', 'rare_destination', 'volume', 'beacon', 'ot', 'email'].map((m) => [m, { enabled: false }])),
      },
    });
  });

  async function scenario(files: string[]): Promise<{ pass: PassSummary; anomalies: Array<Record<string, any>> }> {
    await resetVigilData(es());
    await resetDetectorData(es());
    await env.ingest(files);
    await refresh(es());
    const run = await runVigil(['detect', '--once', '--json'], env.detectEnv);
    if (run.code !== 0) throw new Error(`detect failed (${run.code}): ${run.stderr}`);
    const pass = jsonSummary<PassSummary>(run);
    await es().indices.refresh({ index: ANOMALIES_ALIAS, ignore_unavailable: true });
    const r = await es().search({ index: ANOMALIES_ALIAS, size: 10_000, query: { term: { 'vigil.anomaly.model': 'dns' } }, ignore_unavailable: true });
    const anomalies = r.hits.hits.map((h) => h._source as Record<string, any>);
    if (process.env.DEBUG_DETECT) {
      console.log(JSON.stringify(pass));
      for (const a of anomalies) console.log(a.vigil.anomaly.kind, a.vigil.anomaly.score, a.vigil.anomaly.status, a.message);
      if (anomalies[0]) console.log(JSON.stringify(anomalies[0], null, 1));
    }
    return { pass, anomalies };
  }

  /** Client and window pairs with resolver lookups in a file: the clients the model judges. */
  function judgedClientWindows(file: string): number {
    return [...clientWindows(file).values()].filter((c) => isLocal(c.client)).length;
  }

  function alertsPerDay(anomalies: Array<Record<string, any>>, file: string): { alerts: number; days: number; perDay: number } {
    const times = dnsEvents(file).map((e) => e.time);
    const days = Math.max(...times) / 86_400_000 - Math.min(...times) / 86_400_000;
    const alerts = anomalies.filter((a) => a.vigil.anomaly.status === 'alert').length;
    return { alerts, days, perDay: alerts / days };
  }

  it('alerts on both addresses of the Simda host for its burst of generated domains (capture 005)', async () => {
    const { pass, anomalies } = await scenario([SIMDA_DNS, SIMDA_CONN, SIMDA_HTTP]);
    expect(pass.windows).toBeGreaterThanOrEqual(1);
    expect(pass.entities).toBe(judgedClientWindows(SIMDA_DNS));
    const lookups = resolverLookups(dnsEvents(SIMDA_DNS));
    for (const [client, least] of [
      [SIMDA_V6, 75],
      [SIMDA_V4, ALERT],
    ] as const) {
      const burst = anomalies.find((a) => a.vigil.anomaly.kind === 'dns_failure_burst' && a.vigil.anomaly.entity.id === client);
      expect(burst).toBeDefined();
      const anomaly = burst!.vigil.anomaly;
      expect(anomaly.status).toBe('alert');
      expect(anomaly.score).toBeGreaterThanOrEqual(least);
      expect(burst!.threat.technique.id).toEqual(['T1568.002']);
      // The figures are those of the raw log, counted here without Elasticsearch.
      const failed = lookups.filter((e) => e.client === client && isFailure(e.rcode));
      const domains = new Set(failed.map((e) => registrableDomain(e.name!)?.domain).filter((d) => d !== undefined));
      expect(anomaly.figures.observed).toBe(domains.size);
      expect(anomaly.figures.count).toBe(failed.length);
      expect(burst!.message).toContain(`${client} made ${failed.length} lookups of ${new Set(failed.map((e) => e.name)).size} names that do not exist`);
      expect(burst!.message).toContain(`under ${domains.size} registered domains`);
      // The link finds exactly the failed lookups behind the anomaly.
      const linked = await es().count({ index: anomaly.events.index, query: anomaly.events.query });
      expect(linked.count).toBe(failed.length);
      expect(anomaly.events.count).toBe(failed.length);
      // The names of the burst's template that did resolve, and where they pointed: the algorithm's live servers.
      const failedNames = new Set(failed.map((e) => e.name));
      const siblings = lookups.filter((e) => e.client === client && e.rcode === 'NOERROR' && /^[a-z]{7}\.com$/.test(e.name!) && !failedNames.has(e.name));
      const template = siblings.filter((e) => domainShape({ domain: e.name!, suffix: 'com' }) === 'com|CVCVCVC');
      expect(template.length).toBeGreaterThan(10);
      const pointed = new Set(template.flatMap((e) => e.answers).filter((a) => isIP(a) !== 0 && isGlobalUnicast(a)));
      expect(pointed.size).toBeGreaterThan(3);
      expect([...burst!.related.ip].sort()).toEqual([client, ...pointed].sort());
      expect(anomaly.figures.details.resolved_siblings).toBe(new Set(template.map((e) => e.name)).size);
      expect(burst!.message).toMatch(/ \d+ domains of the same shape did resolve \(.+\), to \d+ addresses \(/);
    }
    // The IPv6 address's burst is the larger one, and scores higher.
    const score = (client: string) => anomalies.find((a) => a.vigil.anomaly.kind === 'dns_failure_burst' && a.vigil.anomaly.entity.id === client)!.vigil.anomaly.score;
    expect(score(SIMDA_V6)).toBeGreaterThan(score(SIMDA_V4));
    // Nothing else alerts: the capture's other hosts only chatter on the multicast name services.
    for (const a of anomalies.filter((x) => x.vigil.anomaly.status === 'alert')) expect([SIMDA_V4, SIMDA_V6]).toContain(a.vigil.anomaly.entity.id);
  });

  it('checks the Simda answers against its connections and learns the unused count, with no history to judge it', async () => {
    // Continues on the data of the test above. The unused-name check has no prior: one window is history only.
    await es().indices.refresh({ index: BASELINES_INDEX });
    const pairs = new Set(connPairs(SIMDA_CONN).map((c) => `${c.client}|${c.peer}`));
    for (const client of [SIMDA_V4, SIMDA_V6]) {
      const resolved = new ResolvedNames(client);
      for (const e of resolverLookups(dnsEvents(SIMDA_DNS)).filter((x) => x.client === client)) {
        for (const a of e.answers) if (isIP(a) !== 0) resolved.add(e.name!, a, 1, e.time);
      }
      const expected = unusedNames(resolved, (a) => pairs.has(`${client}|${a}`));
      expect(expected.judged).toBeGreaterThan(0);
      const doc = await es().get<{ observations: number; state: { names: { mean: number; weight: number } } }>({ index: BASELINES_INDEX, id: baselineId('dns', 'unused', client) });
      expect(doc._source!.observations).toBe(1);
      expect(doc._source!.state.names.mean).toBe(expected.unused.length);
    }
  });

  it('neither alerts again nor learns twice when the window is run again after a lost watermark', async () => {
    // Continues on the data of the tests above: the detector state goes, the baselines stay.
    await es().indices.delete({ index: DETECTOR_STATE_INDEX });
    await runSetup(es(), { replicas: 0, security: fileRealmSecurity(es(), testEsControl().options) });
    const run = await runVigil(['detect', '--once', '--json'], env.detectEnv);
    expect(run.code).toBe(0);
    const again = jsonSummary<PassSummary>(run);
    expect(again.windows).toBeGreaterThanOrEqual(1);
    expect(again.anomalies).toBe(0);
    expect(again.duplicates).toBe(0);
    await es().indices.refresh({ index: BASELINES_INDEX });
    const doc = await es().get<{ observations: number }>({ index: BASELINES_INDEX, id: baselineId('dns', 'failures', SIMDA_V6) });
    expect(doc._source!.observations).toBe(1);
  });

  it('keeps quiet on a day of a small LAN (capture 009), whose Kovter host calls its controllers by address', async () => {
    const { pass, anomalies } = await scenario([KOVTER_DNS]);
    expect(pass.windows).toBeGreaterThanOrEqual(90);
    expect(pass.entities).toBe(judgedClientWindows(KOVTER_DNS));
    // Kovter reaches its controllers over HTTP by IP address (the capture's http.log); its resolver lookups are
    // a handful of Windows connectivity checks, so no DNS figure of it can stand out. Every alert on another host
    // would be a false one.
    const kovterLookups = resolverLookups(dnsEvents(KOVTER_DNS)).filter((e) => e.client === KOVTER_HOST).length;
    expect(kovterLookups).toBeLessThan(10);
    const rate = alertsPerDay(
      anomalies.filter((a) => a.vigil.anomaly.entity.id !== KOVTER_HOST),
      KOVTER_DNS,
    );
    if (process.env.DEBUG_DETECT) console.log('kovter', rate, anomalies.length);
    expect(rate.days).toBeGreaterThan(0.9);
    expect(rate.perDay).toBeLessThanOrEqual(1);
  });

  it('raises at most one alert on the ordinary WRCCDC lookups of 77 hosts', async () => {
    const { pass, anomalies } = await scenario([ZED_DNS]);
    expect(pass.entities).toBe(judgedClientWindows(ZED_DNS));
    expect(pass.entities).toBeGreaterThan(100);
    const rate = alertsPerDay(anomalies, ZED_DNS);
    if (process.env.DEBUG_DETECT) console.log('zed', rate, anomalies.length);
    expect(rate.alerts).toBeLessThanOrEqual(1);
    for (const a of anomalies) {
      expect(a.message.length).toBeGreaterThan(40);
      const linked = await es().count({ index: a.vigil.anomaly.events.index, query: a.vigil.anomaly.events.query });
      expect(linked.count).toBe(a.vigil.anomaly.events.count);
    }
  });
});
