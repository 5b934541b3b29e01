import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ANOMALIES_ALIAS, BASELINES_INDEX, INCIDENTS_INDEX } from '../../common/es/names';
import { localNetworkMatcher } from '../../ingest/enrich/direction';
import type { PassSummary } from '../../detector/pass';
import type { IngestSummary } from '../../ingest/stats';
import { useTestEsClient } from '../harness/es';
import { LABELED_CORPUS, dataLines, readLog, shiftTimes } from '../support/corpus';
import { jsonSummary, runVigil } from '../support/cli';
import { detectorEnvironment, resetDetectorData } from '../support/detector-env';
import { refresh, resetVigilData } from '../support/es-data';

const STRATOSPHERE = join(LABELED_CORPUS, 'stratosphere-security-datasets');
/** A scenario's conn, ssl and http logs: what the volume and rare destination models read. */
const day = (scenario: string) => ['conn', 'ssl', 'http'].map((log) => join(STRATOSPHERE, scenario, 'data', `${log}.log.labeled`));
const NJRAT = join(STRATOSPHERE, '001-zeek-scenario-malicious', 'labeled-conn.log');
/** The NjRAT capture's infected host and its command-and-control server (the records labeled `Malicious CC`). */
const INFECTED = '192.168.1.115';
const C2 = '41.108.179.197';
const C2_PORT = 1177;
const DAY_MS = 86_400_000;
/** The computer of the 008 capture, reached from the internet all day. */
const DEVICE_008 = '147.32.81.167';

/**
 * The mixed captures are one Windows computer each of the university network (their READMEs: 147.32.0.0/16);
 * the NjRAT capture is a home network (192.168.1.0/24, fd2d::/16 and link-local IPv6).
 */
const NETWORKS = { local: ['147.32.0.0/16', '192.168.0.0/16', '10.0.0.0/8', '172.16.0.0/12', 'fc00::/7', 'fe80::/10'] };
const ALERT_SCORE = 60;
/** A pass over days of events runs every model; on a busy machine it takes minutes. */
const TIMEOUT = 15 * 60_000;

type Anomaly = Record<string, any>;

/**
 * The real `vigil ingest zeek` and `vigil detect` on real labeled captures, with the volume and rare destination
 * models: the alerts they raise on days of ordinary traffic, and whether they find NjRAT's command-and-control
 * server when the infected host joins a network whose baseline is a day old.
 */
describe('vigil detect: volume, rare destinations and inbound on labeled captures', () => {
  const es = useTestEsClient();
  let env: Awaited<ReturnType<typeof detectorEnvironment>>;

  beforeAll(async () => {
    await resetVigilData(es());
    env = await detectorEnvironment(es(), { networks: NETWORKS, detector: { alertScore: ALERT_SCORE } });
  }, TIMEOUT);

  async function detect(...args: string[]): Promise<PassSummary> {
    const run = await runVigil(['detect', '--once', '--json', ...args], env.detectEnv);
    if (run.code !== 0) throw new Error(`detect failed (${run.code}): ${run.stderr}`);
    // The volume model walks two sweeps in step, relying on Elasticsearch's order of addresses.
    expect(run.stderr).not.toMatch(/out of address order/);
    return jsonSummary<PassSummary>(run);
  }

  async function anomalies(model: string): Promise<Anomaly[]> {
    await es().indices.refresh({ index: ANOMALIES_ALIAS, ignore_unavailable: true });
    const r = await es().search({ index: ANOMALIES_ALIAS, size: 10_000, query: { term: { 'vigil.anomaly.model': model } }, sort: [{ 'vigil.anomaly.score': 'desc' }, { 'vigil.anomaly.id': 'asc' }], ignore_unavailable: true });
    return r.hits.hits.map((h) => (h._source as Anomaly).vigil.anomaly);
  }

  /** The whole stored documents of a model's anomalies. */
  async function rawAnomalies(model: string): Promise<Anomaly[]> {
    await es().indices.refresh({ index: ANOMALIES_ALIAS, ignore_unavailable: true });
    const r = await es().search({ index: ANOMALIES_ALIAS, size: 10_000, query: { term: { 'vigil.anomaly.model': model } }, ignore_unavailable: true });
    return r.hits.hits.map((h) => h._source as Anomaly);
  }

  /** With DEBUG_DETECT set, prints what a model found: the figures a person tuning the models looks at. */
  function report(title: string, list: Anomaly[], days: number): void {
    if (!process.env.DEBUG_DETECT) return;
    const alerts = list.filter((a) => a.status === 'alert');
    const lines = list.slice(0, 8).map((a) => `  ${a.score} ${a.status} ${a.explanation}`);
    process.stdout.write(`${title}: ${list.length} anomalies, ${alerts.length} alerts over ${days.toFixed(2)} days (${(alerts.length / days).toFixed(1)} per day)\n${lines.join('\n')}\n`);
  }

  /** Empty indices, then the files ingested by the real command, with a state directory of their own (it remembers files ingested before). */
  async function fresh(files: string[]): Promise<void> {
    await resetVigilData(es());
    await resetDetectorData(es());
    const ingestEnv = { ...env.env, VIGIL_STATE_DIR: mkdtempSync(join(env.work, 'state-')) };
    const run = await runVigil(['ingest', 'zeek', '--once', '--json', ...files], ingestEnv);
    if (run.code !== 0) throw new Error(`ingest failed (${run.code}): ${run.stderr}`);
    const lines = files.reduce((n, f) => n + dataLines(readLog(f)), 0);
    expect(jsonSummary<IngestSummary>(run).documentsIndexed).toBeGreaterThanOrEqual(0.99 * lines);
    await refresh(es());
  }

  it('raises few alerts on a day of a computer browsing and being scanned from the internet (008)', async () => {
    await fresh(day('008-zeek-mixed'));
    const pass = await detect();
    expect(pass.windows).toBeGreaterThanOrEqual(90);
    const days = (Date.parse(pass.to!) - Date.parse(pass.from!)) / DAY_MS;
    for (const model of ['volume', 'rare_destination']) {
      const found = await anomalies(model);
      report(`008 ${model}`, found, days);
      for (const a of found) {
        expect(a.explanation).toMatch(/^147\.32\.81\.167 /);
        expect(a.score).toBeGreaterThanOrEqual(0);
        expect(a.score).toBeLessThanOrEqual(100);
      }
      // The budget of a model on a day without an incident inside the network: a handful of alerts.
      expect(found.filter((a) => a.status === 'alert').length / days).toBeLessThanOrEqual(5);
    }
    // Volume judges a device only after its minimum history, so nothing can come out of the first windows.
    const firstVolume = (await anomalies('volume')).map((a) => Date.parse(a.window.start));
    for (const t of firstVolume) expect(t).toBeGreaterThanOrEqual(Date.parse(pass.from!) + 24 * 15 * 60_000);
    // First contacts with rare destinations are not scored until the organisation has 24 windows of history (uploads
    // to them are, from the first window; none of these days has one).
    const rare = await anomalies('rare_destination');
    for (const a of rare) expect(Date.parse(a.window.start)).toBeGreaterThanOrEqual(Date.parse(pass.from!) + 24 * 15 * 60_000);
    expect(rare.filter((a) => a.kind === 'data_to_rare')).toEqual([]);
  }, TIMEOUT);

  it('names every internet address that reached the computer of 008, in its anomalies and in its incident (same pass)', async () => {
    // What reached the computer, from the real log: connections an external address opened (SYN first, or data for
    // UDP; not a reply from a service port to an ephemeral one), and the ports it completed a handshake on.
    const sources = new Set<string>();
    const served = new Set<string>();
    const isLocal = localNetworkMatcher(NETWORKS.local);
    const [conn] = day('008-zeek-mixed');
    const rows = columns(readFileSync(conn, 'utf8'), ['id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'history', 'conn_state']);
    for (const [orig, origPort, resp, respPort, proto, history, state] of rows) {
      if (resp !== DEVICE_008 || isLocal(orig) || proto === 'icmp' || !(proto === 'tcp' ? /^S/ : /^[SD]/).test(history)) continue;
      if (Number(origPort) < 1024 && Number(respPort) >= 1024) continue;
      sources.add(orig);
      if (['S1', 'S2', 'S3', 'SF', 'RSTO', 'RSTR'].includes(state)) served.add(`${respPort}/${proto}`);
    }
    expect(sources.size).toBeGreaterThan(1000);

    const inbound = await anomalies('inbound');
    expect(inbound.length).toBeGreaterThan(80);
    for (const a of inbound) expect(a.entity.id).toBe(DEVICE_008);
    const byTime = [...inbound].sort((a, b) => Date.parse(a.window.start) - Date.parse(b.window.start));
    expect(byTime[0].status).toBe('alert');
    expect(byTime[0].explanation).toMatch(/^147\.32\.81\.167 (was reached from the internet for the first time|answered external addresses on )/);
    // Each port it answered the internet on is an exposed service once; the rest of the day is background.
    const exposed = inbound.filter((a) => a.kind === 'exposed_service');
    expect(exposed.flatMap((a) => a.figures.details.newPorts).sort()).toEqual([...served].sort());
    for (const a of exposed) expect(a.status).toBe('alert');
    const days = (Date.parse(byTime[byTime.length - 1].window.end) - Date.parse(byTime[0].window.start)) / DAY_MS;
    expect(inbound.filter((a) => a.status === 'alert').length / days).toBeLessThanOrEqual(8);

    // Every address is named by an anomaly, and none that did not reach it.
    const named = new Set(
      (await rawAnomalies('inbound')).flatMap((d) => (d.related?.ip ?? []) as string[]).filter((ip) => ip !== DEVICE_008),
    );
    expect([...named].sort()).toEqual([...sources].sort());

    // The device's incident opened with its first alert; the observations that followed joined it as context.
    await es().indices.refresh({ index: INCIDENTS_INDEX });
    const found = await es().search({ index: INCIDENTS_INDEX, size: 100, query: { term: { 'incident.entities': DEVICE_008 } } });
    const incidents = found.hits.hits.map((h) => h._source as Anomaly);
    expect(incidents.length).toBeGreaterThanOrEqual(1);
    const joined = incidents.reduce((n, i) => n + (i.incident.observation_count ?? 0), 0);
    expect(joined).toBeGreaterThan(50);
    const covered = new Set(incidents.flatMap((i) => i.related.ip as string[]));
    const share = [...sources].filter((ip) => covered.has(ip)).length / sources.size;
    expect(share).toBeGreaterThan(0.9);
    for (const i of incidents) {
      expect(i.incident.alert_count).toBe(i.incident.timeline.length);
      expect(i.incident.anomaly_count).toBe(i.incident.alert_count + (i.incident.observation_count ?? 0));
    }
  }, TIMEOUT);

  it('finds the NjRAT command-and-control server as a rare destination of the infected host, among days of ordinary traffic', async () => {
    // Two overlapping first days (008, 011) and the next day (010) of three computers of the same network make a
    // baseline of two days; the NjRAT capture (1970 timestamps, 50 minutes) is replayed in the middle of the
    // third day by moving its timestamps, nothing else.
    const days = ['008-zeek-mixed', '011-zeek-mixed', '010-zeek-mixed'].flatMap(day);
    const njrat = join(env.work, 'njrat-conn.log');
    const at = Date.parse('2022-06-14T12:00:00Z') / 1000;
    writeFileSync(njrat, shiftTimes(readLog(NJRAT).toString('utf8'), at));
    await fresh([...days, njrat]);
    const pass = await detect();
    const span = (Date.parse(pass.to!) - Date.parse(pass.from!)) / DAY_MS;
    const rare = await anomalies('rare_destination');
    const volume = await anomalies('volume');
    report('008+011+010+NjRAT rare_destination', rare, span);
    report('008+011+010+NjRAT volume', volume, span);

    const c2 = rare.find((a) => a.entity.id === INFECTED && a.peer?.id === C2);
    expect(c2).toBeDefined();
    expect(c2!.kind).toBe('rare_destination');
    expect(c2!.score).toBeGreaterThanOrEqual(ALERT_SCORE);
    expect(c2!.status).toBe('alert');
    expect(c2!.explanation).toContain(`${INFECTED} connected to ${C2}:${C2_PORT}/tcp`);
    expect(c2!.explanation).toMatch(/no internal device had contacted before|no other internal device has contacted/);
    expect(c2!.explanation).toMatch(/the organisation has seen [\d,]+ external destinations over \d+ (hours|days)/);
    // Of everything the infected host contacted, the command-and-control server scores highest.
    const infected = rare.filter((a) => a.entity.id === INFECTED);
    expect(infected[0].peer.id).toBe(C2);
    // The benign computers of the first days contact rare destinations too, but rarely enough to alert.
    const benignAlerts = rare.filter((a) => a.status === 'alert' && a.entity.id !== INFECTED);
    expect(benignAlerts.length / span).toBeLessThanOrEqual(5);
    // Both sweeps of the volume model met every device of the NjRAT capture, IPv4 and IPv6, in the same order:
    // each device's baseline counts exactly the windows in which it had traffic.
    const windows = new Map<string, Set<number>>();
    const isLocal = localNetworkMatcher(NETWORKS.local);
    for (const [ts, orig, resp] of columns(readFileSync(njrat, 'utf8'), ['ts', 'id.orig_h', 'id.resp_h'])) {
      for (const ip of [orig, resp]) {
        if (!isLocal(ip)) continue;
        const set = windows.get(ip) ?? new Set<number>();
        set.add(Math.floor((Number(ts) * 1000) / (15 * 60_000)));
        windows.set(ip, set);
      }
    }
    expect([...windows.keys()].some((ip) => ip.includes(':'))).toBe(true);
    await es().indices.refresh({ index: BASELINES_INDEX });
    const ids = [...windows.keys()].map((ip) => `volume:device:${ip}`);
    const stored = await es().mget<{ observations: number }>({ index: BASELINES_INDEX, ids });
    stored.docs.forEach((doc, i) => {
      const ip = [...windows.keys()][i];
      expect({ ip, observations: 'found' in doc && doc.found ? doc._source!.observations : 0 }).toEqual({ ip, observations: windows.get(ip)!.size });
    });

    const volumeAlerts = volume.filter((a) => a.status === 'alert');
    expect(volumeAlerts.length / span).toBeLessThanOrEqual(5);
    for (const a of volume) expect(a.explanation).toMatch(/times its usual|far above its usual/);
  }, TIMEOUT);

  it('writes the same anomalies when two partitions share the work at the same time', async () => {
    const ids = async () => (await Promise.all(['volume', 'rare_destination', 'inbound'].map(anomalies))).flat().map((a) => a.id).sort();
    const before = await ids();
    expect(before.length).toBeGreaterThan(0);
    await resetDetectorData(es());
    const parts = await Promise.all(['0/2', '1/2'].map((p) => detect('--partition', p)));
    expect(parts.every((p) => p.windows > 0)).toBe(true);
    expect(await ids()).toEqual(before);
    // Each partition keeps the habits of its share of destinations: scores move a little, the C2 server stays an alert.
    const c2 = (await anomalies('rare_destination')).find((a) => a.entity.id === INFECTED && a.peer?.id === C2);
    expect(c2!.status).toBe('alert');
  }, TIMEOUT);

  it('writes the same anomalies and scores when pages hold a handful of buckets, so that every contact spans pages', async () => {
    const scored = async () =>
      (await Promise.all(['volume', 'rare_destination', 'inbound'].map(anomalies))).flat().map((a) => `${a.id} ${a.score} ${a.explanation} ${a.figures.observed}`).sort();
    await resetDetectorData(es());
    await detect();
    const before = await scored();
    expect(before.length).toBeGreaterThan(0);
    await resetDetectorData(es());
    env.configure({ networks: NETWORKS, detector: { alertScore: ALERT_SCORE, pageSize: 3 } });
    try {
      await detect();
    } finally {
      env.configure({ networks: NETWORKS, detector: { alertScore: ALERT_SCORE } });
    }
    expect(await scored()).toEqual(before);
  }, TIMEOUT);
});

/** The given columns of a Zeek TSV log's data lines. */
function columns(content: string, names: string[]): string[][] {
  const lines = content.split('\n');
  const fields = (lines.find((l) => l.startsWith('#fields\t')) ?? '').split('\t').slice(1);
  const at = names.map((n) => fields.indexOf(n));
  return lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => {
    const cols = l.split('\t');
    return at.map((i) => cols[i]);
  });
}
