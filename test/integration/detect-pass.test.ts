import { join } from 'node:path';
import { ANOMALIES_ALIAS, ANOMALIES_PATTERN, BASELINES_INDEX, INCIDENTS_INDEX, MAIL_EVENTS_ALIAS, MAIL_MESSAGES_ALIAS, ZEEK_EVENTS_PATTERN } from '../../common/es/names';
import type { Client } from '@elastic/elasticsearch';
import { validateConfig } from '../../common/config/load';
import { createLogger } from '../../common/log';
import { allModels } from '../../detector/models';
import { lateEvents, nextEventTime, runPass, windowDatasets, type PassSummary } from '../../detector/pass';
import { partition as makePartition } from '../../detector/partition';
import { DetectorState } from '../../detector/state';
import { useTestEsClient } from '../harness/es';
import { LABELED_CORPUS, ZEEK_CORPUS } from '../support/corpus';
import { jsonSummary, runVigil, startVigil } from '../support/cli';
import { detectorEnvironment, resetDetectorData } from '../support/detector-env';
import { refresh, resetVigilData } from '../support/es-data';

const LOCAL_NETS = { local: ['147.32.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] };
const MIXED = join(LABELED_CORPUS, 'stratosphere-security-datasets', '008-zeek-mixed', 'data', 'conn.log.labeled');
/** Logs Zeek wrote about itself while reading the WRCCDC capture of 2018, in 2024. */
const SENSOR = ['packet_filter.log.gz', 'loaded_scripts.log.gz'].map((f) => join(ZEEK_CORPUS, 'zed-sample-data', 'zeek-default', f));
/** Two years older than the mixed day. */
const OLDER = join(LABELED_CORPUS, 'stratosphere-security-datasets', '003-zeek-scenario-malicious', 'conn.log');

/** Whole passes of the real `vigil detect` against the real Elasticsearch, on a real day of labeled traffic. */
describe('vigil detect on a day of real traffic', () => {
  const es = useTestEsClient();
  let env: Awaited<ReturnType<typeof detectorEnvironment>>;
  let connEvents = 0;

  beforeAll(async () => {
    await resetVigilData(es());
    // The capture's own network (its README: a computer in the university's 147.32.0.0/16) is the local one.
    env = await detectorEnvironment(es(), { networks: LOCAL_NETS });
    await resetDetectorData(es());
    const ingest = await env.ingest([MIXED]);
    connEvents = ingest.documentsIndexed;
    expect(connEvents).toBeGreaterThan(5000);
    // Events become searchable at the next refresh; a live detector's lag covers it, the test asks for it.
    await refresh(es());
  });

  async function detect(...args: string[]): Promise<PassSummary> {
    const run = await runVigil(['detect', '--once', '--json', ...args], env.detectEnv);
    if (run.code !== 0) throw new Error(`detect failed (${run.code}): ${run.stderr}`);
    if (process.env.DEBUG_DETECT) console.log(run.stdout, run.stderr);
    return jsonSummary<PassSummary>(run);
  }

  async function incidents(): Promise<Array<Record<string, any>>> {
    await es().indices.refresh({ index: INCIDENTS_INDEX });
    const r = await es().search({ index: INCIDENTS_INDEX, size: 10_000, sort: [{ 'incident.id': 'asc' }] });
    return r.hits.hits.map((h) => (h._source as { incident: Record<string, any> }).incident);
  }

  async function anomalies(): Promise<Array<Record<string, any>>> {
    await es().indices.refresh({ index: ANOMALIES_ALIAS, ignore_unavailable: true });
    const r = await es().search({ index: ANOMALIES_ALIAS, size: 10_000, sort: [{ 'vigil.anomaly.id': 'asc' }], ignore_unavailable: true });
    return r.hits.hits.map((h) => h._source as Record<string, any>);
  }

  it('learns the whole day in one pass, writes explained anomalies, and a second pass has nothing to do', async () => {
    const first = await detect();
    // 24 hours of 15-minute windows; the ingest summary counts the same conn events the models aggregate.
    expect(first.windows).toBeGreaterThanOrEqual(90);
    expect(first.events).toBeGreaterThanOrEqual(connEvents);
    expect(first.entities).toBeGreaterThan(0);
    // The configured networks cover every address the capture's Zeek called local.
    expect(first.outsideLocal).toBeUndefined();
    const written = await anomalies();
    expect(written.length).toBe(first.anomalies);
    for (const a of written) {
      expect(a.vigil.anomaly.explanation.length).toBeGreaterThan(20);
      expect(a.vigil.anomaly.score).toBeGreaterThanOrEqual(0);
      expect(a.vigil.anomaly.score).toBeLessThanOrEqual(100);
      expect(a.vigil.anomaly.events.query).toBeDefined();
    }
    await es().indices.refresh({ index: BASELINES_INDEX });
    expect((await es().count({ index: BASELINES_INDEX })).count).toBeGreaterThan(0);

    const second = await detect();
    expect(second.windows).toBe(0);
    expect(second.anomalies).toBe(0);
    expect(second.late).toBeUndefined();
  });

  it('writes the same anomalies when run again from scratch, and partitions split the work without changing it', async () => {
    const before = (await anomalies()).map((a) => a.vigil.anomaly.id);
    await resetDetectorData(es());
    const parts = await Promise.all([detect('--partition', '0/2'), detect('--partition', '1/2')]);
    const after = (await anomalies()).map((a) => a.vigil.anomaly.id);
    expect(after.sort()).toEqual([...before].sort());
    expect(parts[0].anomalies + parts[1].anomalies).toBe(before.length);
  });

  it('refuses a second pass of the same partition while one runs', async () => {
    await resetDetectorData(es());
    const running = startVigil(['detect', '--once', '--json'], env.detectEnv);
    // The lease is taken before the first window; wait until the first pass holds it.
    await new Promise((r) => setTimeout(r, 2500));
    const second = await runVigil(['detect', '--once', '--json'], env.detectEnv);
    const first = await running.output;
    expect(first.code).toBe(0);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/another detection pass/);
  });

  it('runs passes on the configured schedule, one at a time, and stops cleanly on SIGTERM', async () => {
    await resetDetectorData(es());
    env.configure({ networks: LOCAL_NETS, detector: { schedule: '*/2 * * * * *' } });
    const child = startVigil(['detect', '--json'], env.detectEnv);
    const lines = () => child.output.then((r) => r.stdout);
    let seen = 0;
    child.stdout.on('data', (d: Buffer) => (seen += d.toString().split('\n').filter((l) => l.startsWith('{')).length));
    const deadline = Date.now() + 60_000;
    while (seen < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    child.kill('SIGTERM');
    const run = await child.output;
    expect(run.code).toBe(0);
    const all = (await lines()).trim().split('\n').map((l) => JSON.parse(l) as PassSummary & { assets?: unknown });
    // Each tick runs an inventory pass, then a detection pass.
    all.forEach((line, i) => expect(line.assets === undefined).toBe(i % 2 === 1));
    const passes = all.filter((l) => l.assets === undefined);
    expect(passes.length).toBeGreaterThanOrEqual(3);
    // The first pass learns the whole day; the ones after it find no new window.
    expect(passes[0].windows).toBeGreaterThanOrEqual(90);
    for (const p of passes.slice(1)) expect(p.windows).toBe(0);
    expect(run.stderr).not.toMatch(/another detection pass/);
    env.configure({ networks: LOCAL_NETS });
  });

  it('groups alerts that share an entity into incidents with a readable summary', async () => {
    const grouped = await incidents();
    const alerts = (await anomalies()).filter((a) => a.vigil.anomaly.status === 'alert');
    if (alerts.length === 0) {
      expect(grouped.length).toBe(0);
      return;
    }
    expect(grouped.length).toBeGreaterThan(0);
    for (const inc of grouped) {
      expect(inc.summary).toMatch(/anomal/);
      for (const id of inc.anomalies) expect(alerts.map((a) => a.vigil.anomaly.id)).toContain(id);
    }
  });

  it('fails a pass whose incidents cannot be written, even though it groups them while the next window runs, leaves its watermark where it was, and the next pass groups the alerts it left as a pass that never failed would', async () => {
    await resetDetectorData(es());
    const config = validateConfig({ networks: LOCAL_NETS, log: { level: 'error' } }, 'the test');
    await es().indices.putSettings({ index: INCIDENTS_INDEX, settings: { 'index.blocks.write': true } });
    try {
      await expect(runPass({ client: es(), config, models: allModels(), log: createLogger('error') })).rejects.toThrow(/writing incidents failed.*cluster_block_exception/);
    } finally {
      await es().indices.putSettings({ index: INCIDENTS_INDEX, settings: { 'index.blocks.write': null } });
    }
    // The alerts were written, and the pass did not move past them.
    const alerts = (await anomalies()).filter((a) => a.vigil.anomaly.status === 'alert').map((a) => a.vigil.anomaly.id as string);
    expect(alerts.length).toBeGreaterThan(0);
    expect((await new DetectorState(es(), makePartition(0, 1)).watermark()).watermark).toBeUndefined();
    // The lease was given back: the next pass runs the same windows again, and groups the alerts the failed one left.
    const again = await runPass({ client: es(), config, models: allModels(), log: createLogger('error') });
    expect(again.windows).toBeGreaterThanOrEqual(90);
    expect(again.incidents.created).toBeGreaterThan(0);
    const named = new Set((await incidents()).flatMap((i) => i.anomalies as string[]));
    expect(alerts.filter((id) => !named.has(id))).toEqual([]);
    // As a pass that never failed would: the same incidents, alert for alert.
    const recovered = (await incidents()).map((i) => JSON.stringify([i.id, i.anomalies, i.entities, i.score])).sort();
    await resetDetectorData(es());
    await runPass({ client: es(), config, models: allModels(), log: createLogger('error') });
    expect((await incidents()).map((i) => JSON.stringify([i.id, i.anomalies, i.entities, i.score])).sort()).toEqual(recovered);
    await resetDetectorData(es());
  });

  it('writes the incidents a failing pass grouped before it failed, which a pass writes at its checkpoints and end', async () => {
    await resetDetectorData(es());
    const config = validateConfig({ networks: LOCAL_NETS, log: { level: 'error' } }, 'the test');
    // A model that fails in the 60th window, well before the pass's first checkpoint.
    const models = allModels();
    const ot = models.find((m) => m.id === 'ot')!;
    const run = ot.run.bind(ot);
    let windows = 0;
    ot.run = async (ctx) => {
      if (++windows === 60) throw new Error('the OT model failed');
      return run(ctx);
    };
    await expect(runPass({ client: es(), config, models, log: createLogger('error') })).rejects.toThrow('the OT model failed');
    expect((await new DetectorState(es(), makePartition(0, 1)).watermark()).watermark).toBeUndefined();
    // The alerts of the windows before were grouped, and their incidents written on the way out.
    const written = await incidents();
    expect(written.length).toBeGreaterThan(0);
    const alerts = new Set((await anomalies()).filter((a) => a.vigil.anomaly.status === 'alert').map((a) => a.vigil.anomaly.id as string));
    for (const inc of written) for (const id of inc.anomalies as string[]) expect(alerts).toContain(id);
    await resetDetectorData(es());
  });

  it('fails a pass whose anomalies cannot be written, and leaves its watermark where it was', async () => {
    await resetDetectorData(es());
    const config = validateConfig({ networks: LOCAL_NETS, log: { level: 'error' } }, 'the test');
    // A first pass makes the anomalies' indices; the second, from nothing learned, writes the same anomalies to them.
    await runPass({ client: es(), config, models: allModels(), log: createLogger('error') });
    await resetDetectorData(es(), { keepAnomalies: true });
    await es().indices.putSettings({ index: ANOMALIES_PATTERN, settings: { 'index.blocks.write': true } });
    try {
      await expect(runPass({ client: es(), config, models: allModels(), log: createLogger('error') })).rejects.toThrow(/writing anomaly \S+ failed: cluster_block_exception/);
    } finally {
      await es().indices.putSettings({ index: ANOMALIES_PATTERN, settings: { 'index.blocks.write': null } });
    }
    expect((await new DetectorState(es(), makePartition(0, 1)).watermark()).watermark).toBeUndefined();
    await resetDetectorData(es());
  });

  it('counts each window by dataset, and models send no request for logs the window does not hold', async () => {
    const first = await nextEventTime(es(), undefined);
    expect(first).toBeDefined();
    const windowMs = 15 * 60_000;
    const start = Math.floor(first! / windowMs) * windowMs;
    const window = { start, end: start + windowMs };
    const inWindow = { range: { '@timestamp': { gte: window.start, lt: window.end, format: 'epoch_millis' } } };
    const tally = await windowDatasets(es(), window);
    const conn = (await es().count({ index: ZEEK_EVENTS_PATTERN, query: { bool: { filter: [inWindow, { term: { 'event.dataset': 'zeek.conn' } }] } } })).count;
    expect(conn).toBeGreaterThan(0);
    expect(tally.events).toBe(conn);
    expect([...(tally.datasets ?? new Map())]).toEqual([['zeek.conn', conn]]);

    // A pass over the day in this process, every search kept.
    await resetDetectorData(es());
    const searches: Array<{ path: string; body: string }> = [];
    const client: Client = es().child({});
    client.diagnostic.on('request', (_err, event) => {
      const params = event?.meta.request.params;
      if (!params || !params.path.endsWith('/_search')) return;
      searches.push({ path: decodeURIComponent(params.path), body: typeof params.body === 'string' ? params.body : JSON.stringify(params.body ?? {}) });
    });
    const config = validateConfig({ networks: LOCAL_NETS, log: { level: 'error' } }, 'the test');
    const summary = await runPass({ client, config, models: allModels(), log: createLogger('error') });
    expect(summary.windows).toBeGreaterThanOrEqual(90);
    expect(summary.events).toBe(connEvents);
    const naming = (dataset: string) => searches.filter((r) => r.body.includes(`"${dataset}"`)).length;
    // The conn models swept every window; the models of logs this day does not have sent nothing.
    expect(naming('zeek.conn')).toBeGreaterThanOrEqual(4 * summary.windows);
    for (const absent of ['zeek.dns', 'zeek.weird', 'zeek.ssl', 'zeek.http', 'zeek.modbus']) expect([absent, naming(absent)]).toEqual([absent, 0]);
    // The pass's own searches span every event index; the email model's read the mail indices alone.
    expect(searches.filter((r) => [MAIL_EVENTS_ALIAS, MAIL_MESSAGES_ALIAS].some((mail) => r.path.startsWith(`/${mail}`))).map((r) => r.path)).toEqual([]);
  });

  it('keeps baselines across windows in a cache and runs models at once, and learns and reports exactly what one model at a time writing after every window does', async () => {
    /** A pass over the whole day from nothing, with this cache size and this many models at once: what it wrote, and its summary. */
    async function passWith(baselineCacheMegabytes: number, concurrency: number) {
      await resetDetectorData(es());
      const config = validateConfig({ networks: LOCAL_NETS, log: { level: 'error' }, detector: { baselineCacheMegabytes, concurrency } }, 'the test');
      const summary = await runPass({ client: es(), config, models: allModels(), log: createLogger('error') });
      await es().indices.refresh({ index: BASELINES_INDEX });
      const baselines: string[] = [];
      for await (const doc of es().helpers.scrollDocuments<Record<string, unknown>>({ index: BASELINES_INDEX, size: 5000 })) {
        // When it was written is all that may differ.
        const { updated, ...learned } = doc;
        expect(typeof updated).toBe('string');
        baselines.push(JSON.stringify(learned));
      }
      const written = (await anomalies()).map((a) => JSON.stringify([a.vigil.anomaly.id, a.vigil.anomaly.score, a.vigil.anomaly.status, a.vigil.anomaly.explanation]));
      await es().indices.refresh({ index: INCIDENTS_INDEX });
      const incidents: string[] = [];
      for await (const doc of es().helpers.scrollDocuments<{ incident: Record<string, unknown> }>({ index: INCIDENTS_INDEX, size: 1000 })) {
        const { updated, ...grouped } = doc.incident;
        expect(typeof updated).toBe('string');
        incidents.push(JSON.stringify(grouped));
      }
      return { summary, baselines: baselines.sort(), anomalies: written.sort(), incidents: incidents.sort() };
    }
    const everyWindow = await passWith(0, 1);
    expect(everyWindow.baselines.length).toBeGreaterThan(300);
    expect(everyWindow.anomalies.length).toBe(everyWindow.summary.anomalies);
    expect(everyWindow.incidents.length).toBe(everyWindow.summary.incidents.created);
    // A cache far smaller than the day's baselines (50 kB): full many times over, it writes and gives up baselines as it goes.
    const small = await passWith(0.05, 2);
    // Every model at once: the OT model still reads the new-connection model's device history after it learned the window.
    const large = await passWith(64, 16);
    for (const cached of [small, large]) {
      expect(cached.summary.windows).toBe(everyWindow.summary.windows);
      expect(cached.anomalies).toEqual(everyWindow.anomalies);
      expect(cached.incidents).toEqual(everyWindow.incidents);
      expect(cached.baselines).toEqual(everyWindow.baselines);
      expect(cached.summary.baselines.cached).toBeGreaterThan(everyWindow.summary.baselines.cached);
      expect(cached.summary.baselines.read).toBeLessThan(everyWindow.summary.baselines.read);
      expect(cached.summary.baselines.written).toBeLessThan(everyWindow.summary.baselines.written);
    }
    // The large cache holds the whole day: a baseline is written at most once per checkpoint (each minute of the pass, and its end).
    const checkpoints = Math.ceil(large.summary.seconds / 60) + 1;
    expect(large.summary.baselines.written).toBeLessThanOrEqual(large.baselines.length * checkpoints);
    expect(large.summary.baselines.written).toBeLessThan(small.summary.baselines.written);
    await resetDetectorData(es());
  }, 480_000 /* three whole-day passes */);

  it('says which addresses Zeek called local that networks.local leaves out', async () => {
    await resetDetectorData(es());
    // The private defaults, as on a site that did not configure its public network.
    const config = validateConfig({ log: { level: 'error' }, detector: { maxWindowsPerPass: 8 } }, 'the test');
    const summary = await runPass({ client: es(), config, models: allModels(), log: createLogger('error') });
    expect(summary.windows).toBe(8);
    // The capture's computer (labels.config: dstIP=147.32.81.167) is on the university's public network.
    expect(summary.outsideLocal?.examples).toContain('147.32.81.167');
    expect(summary.outsideLocal!.addresses).toBeGreaterThanOrEqual(summary.outsideLocal!.examples.length);
    for (const ip of summary.outsideLocal!.examples) expect(ip.startsWith('147.32.')).toBe(true);
    await resetDetectorData(es());
  });

  it('steps its windows by network events: the logs Zeek writes about itself neither open a window nor count as late', async () => {
    const day = await detect();
    expect(day.windows).toBeGreaterThanOrEqual(90);
    // Zeek stamped packet_filter with the day it read the capture, and filed loaded_scripts, which has no times, under
    // the day it opened the file: both years after the mixed day, both ahead of the watermark.
    const sensor = await env.ingest(SENSOR);
    expect(sensor.documentsIndexed).toBeGreaterThan(500);
    await refresh(es());
    const stamped = await es().search({
      index: ZEEK_EVENTS_PATTERN,
      size: 0,
      query: { terms: { 'event.dataset': ['zeek.packet_filter', 'zeek.loaded_scripts'] } },
      aggs: { from: { min: { field: '@timestamp' } }, indices: { terms: { field: '_index', size: 10 } } },
    });
    const aggs = stamped.aggregations as { from: { value: number }; indices: { buckets: Array<{ key: string }> } };
    expect(aggs.from.value).toBeGreaterThan(Date.parse(day.watermark!));
    try {
      // Nothing to step over: the next pass has no window, and the watermark stays at the day's end.
      expect(await nextEventTime(es(), Date.parse(day.watermark!))).toBeUndefined();
      const next = await detect();
      expect(next.windows).toBe(0);
      expect(next.watermark).toBe(day.watermark);
      // Behind a later watermark, the day's conn events would be late; the sensor's own lines would not.
      const late = await lateEvents(es(), Date.parse('2030-01-01T00:00:00Z'), 0, Date.now(), 120);
      expect(late?.events).toBe(connEvents);
    } finally {
      await es().indices.delete({ index: aggs.indices.buckets.map((b) => b.key) });
    }
  });

  it('says how many events arrived after their time was passed, once, and in its text too', async () => {
    // Last: the older capture stays in the index.
    const watermark = (await detect()).watermark!;
    // An older capture, read after the day was passed: every event of it is behind the watermark.
    const older = await env.ingest([OLDER]);
    expect(older.documentsIndexed).toBeGreaterThan(300);
    await refresh(es());
    const times = await es().search({
      index: ZEEK_EVENTS_PATTERN,
      size: 0,
      query: { range: { '@timestamp': { lt: '2021-01-01T00:00:00Z' } } },
      aggs: { from: { min: { field: '@timestamp' } }, to: { max: { field: '@timestamp' } } },
    });
    const agg = times.aggregations as { from: { value: number }; to: { value: number } };

    const run = await runVigil(['detect', '--once'], env.detectEnv);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${older.documentsIndexed} events from ${new Date(agg.from.value).toISOString()} to ${new Date(agg.to.value).toISOString()} arrived after the detector had passed their time`);
    expect(run.stdout).toContain(`(its watermark is ${watermark}): no model looked at them`);
    expect(run.stdout).toContain('detector.lagSeconds (120 s)');

    // Counted once: the next pass finds none that arrived since.
    const next = await detect();
    expect(next.windows).toBe(0);
    expect(next.late).toBeUndefined();
  });
});
