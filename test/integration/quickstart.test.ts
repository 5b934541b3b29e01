import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { ANOMALIES_ALIAS } from '../../common/es/names';
import { discoverLogFiles } from '../../ingest/source/file/discover';
import type { IngestSummary } from '../../ingest/stats';
import { testEsClient, testEsControl } from '../harness/es';
import { jsonSummary, runVigil } from '../support/cli';
import { LABELED_CORPUS } from '../support/corpus';
import { resetDetectorData } from '../support/detector-env';
import { countEvents, resetVigilData } from '../support/es-data';

/**
 * The README's first command, `vigil quickstart <dir>`, as a user runs it: against the local Elasticsearch it
 * manages (here the test instance, found through VIGIL_HOME and VIGIL_ES_PORT), on a capture whose logs sit in a
 * subdirectory, as the labeled captures keep them in `data/`.
 */
/** A line of quickstart's list of the strongest anomalies: the score, then the explanation. */
const ANOMALY_LINE = /^  [ \d]{2}\d  \S/m;

describe('vigil quickstart', () => {
  const capture = join(LABELED_CORPUS, 'stratosphere-security-datasets', '010-zeek-mixed');
  let client: Client;
  let work: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    client = testEsClient();
    await resetVigilData(client);
    await resetDetectorData(client);
    const { options } = testEsControl();
    work = mkdtempSync(join(tmpdir(), 'vigil-quickstart-'));
    env = {
      VIGIL_HOME: options.home,
      VIGIL_ES_PORT: String(options.httpPort),
      VIGIL_ES_URL: '',
      VIGIL_ES_USERNAME: '',
      VIGIL_ES_PASSWORD: '',
      VIGIL_STATE_DIR: join(work, 'state'),
    };
  });
  afterAll(async () => {
    await client.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('reads the logs in the subdirectories of the folder it is given, then learns from them and says what it found', async () => {
    const files = await discoverLogFiles([capture], { recursive: true });
    expect(files.length).toBeGreaterThan(1);
    expect(files.every((f) => f.startsWith(join(capture, 'data')))).toBe(true);

    const run = await runVigil(['quickstart', '--json', capture], env);
    if (run.code !== 0) throw new Error(`vigil quickstart failed (${run.code}):\n${run.stderr}`);
    const summary = jsonSummary<IngestSummary & { localNetworksAdded: string[]; detection: { windows: number; anomalies: number; outsideLocal?: unknown } }>(run);
    expect(summary.filesFound).toBe(files.length);
    expect(summary.filesRead).toBe(files.length);
    expect(summary.documentsIndexed).toBeGreaterThan(0);
    expect(summary.detection.windows).toBeGreaterThan(0);
    await client.indices.refresh({ index: 'vigil-zeek-*' });
    expect(await countEvents(client)).toBe(summary.documentsIndexed);

    // The capture's computer sits on a public network that its Zeek called local (local_orig, local_resp): the run
    // takes those networks as local, as the configuration's defaults do not, and learns the computer's pattern of life.
    expect(summary.localNetworksAdded).toEqual(expect.arrayContaining(['147.32.83.0/24']));
    expect(summary.localNetworksAdded.every((n) => n.startsWith('147.32.'))).toBe(true);
    expect(summary.detection.outsideLocal).toBeUndefined();
    expect(summary.detection.anomalies).toBeGreaterThan(0);
    await client.indices.refresh({ index: ANOMALIES_ALIAS });
    const device = await client.count({ index: ANOMALIES_ALIAS, query: { term: { 'vigil.anomaly.entity.id': '147.32.83.234' } } });
    expect(device.count).toBeGreaterThan(0);

    // Run again: every file is found, none is read twice, and the text says which of the two it is.
    const again = await runVigil(['quickstart', capture], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`nothing new to read: the ${files.length} log files found were read before`);
    expect(await countEvents(client)).toBe(summary.documentsIndexed);
    // No window was passed: the anomalies of the first run are not listed as this run's.
    expect(again.stdout).toContain('Detection: 0 windows');
    expect(again.stdout).not.toMatch(ANOMALY_LINE);
  }, 300_000);


  it('leaves `vigil ingest zeek` to read subdirectories with --recursive, and it says so when it finds no log', async () => {
    const files = await discoverLogFiles([capture], { recursive: true });
    const fresh = { ...env, VIGIL_STATE_DIR: join(work, 'state-ingest') };
    const flat = await runVigil(['ingest', 'zeek', '--once', capture], fresh);
    expect(flat.code).toBe(0);
    expect(flat.stdout).toContain(`no log file found in ${capture}: looked for Zeek logs named like conn.log`);
    expect(flat.stdout).toContain('subdirectories are searched with --recursive');

    const deep = await runVigil(['ingest', 'zeek', '--once', '--recursive', '--json', capture], fresh);
    if (deep.code !== 0) throw new Error(`vigil ingest failed (${deep.code}):\n${deep.stderr}`);
    const summary = jsonSummary<IngestSummary>(deep);
    expect(summary.filesFound).toBe(files.length);
    // The quickstart above indexed them: the same documents, found already present.
    expect(summary.documentsIndexed).toBe(0);
    expect(summary.duplicates).toBe(await countEvents(client));
  }, 300_000);

  it('keeps ingest checkpoints for the cluster they were written for, and reads every file again for another one', async () => {
    const files = await discoverLogFiles([capture], { recursive: true });
    const stateFile = join(work, 'state-ingest', 'checkpoints.json');
    // The run above named the cluster it wrote to.
    const stored = JSON.parse(readFileSync(stateFile, 'utf8')) as { cluster: string; files: unknown[] };
    expect(stored.cluster).toBe(((await client.cluster.state({ metric: 'version' })) as { cluster_uuid: string }).cluster_uuid);
    expect(stored.cluster).not.toBe('');
    expect(stored.files).toHaveLength(files.length);

    // The same checkpoints as if written for another cluster (the user moved to a new one, or wiped and rebuilt it):
    // none of their lines is there, so every file is read again, and the worker says why.
    writeFileSync(stateFile, JSON.stringify({ ...stored, cluster: 'another-cluster' }));
    const fresh = { ...env, VIGIL_STATE_DIR: join(work, 'state-ingest'), VIGIL_LOG_LEVEL: 'warn' };
    const again = await runVigil(['ingest', 'zeek', '--once', '--recursive', '--json', capture], fresh);
    if (again.code !== 0) throw new Error(`vigil ingest failed (${again.code}):\n${again.stderr}`);
    expect(again.stderr).toContain(`were kept for another Elasticsearch cluster (another-cluster): their ${files.length} files are read again from the start`);
    const summary = jsonSummary<IngestSummary>(again);
    expect(summary.filesRead).toBe(files.length);
    // This cluster has them all already: the same document ids, nothing indexed twice.
    expect(summary.documentsIndexed).toBe(0);
    expect(summary.duplicates).toBe(await countEvents(client));
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).cluster).toBe(stored.cluster);
  }, 300_000);

  it('stops with an error that names the folder when it holds no log', async () => {
    const empty = mkdtempSync(join(work, 'empty-'));
    const run = await runVigil(['quickstart', empty], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`no log file found in ${empty}: looked for Zeek logs named like conn.log`);
    expect(run.stdout).not.toContain('Learning baselines');
  }, 120_000);

  it('on a capture older than the one before, says that the detector has passed its time and how to look at it on its own', async () => {
    // 2020, read after the 2022 capture of the first test was passed.
    const older = join(LABELED_CORPUS, 'stratosphere-security-datasets', '003-zeek-scenario-malicious');
    const before = await countEvents(client);
    const run = await runVigil(['quickstart', older], env);
    if (run.code !== 0) throw new Error(`vigil quickstart failed (${run.code}):\n${run.stderr}`);
    const indexed = (await countEvents(client)) - before;
    expect(indexed).toBeGreaterThan(300);
    expect(run.stdout).toContain('Detection: 0 windows');
    expect(run.stdout).toContain(`${indexed} events from 2020-08-07`);
    expect(run.stdout).toContain('arrived after the detector had passed their time');
    expect(run.stdout).toContain(`give it a local Elasticsearch of its own: VIGIL_HOME=<new folder> VIGIL_ES_PORT=<free port> npx vigil quickstart ${older}`);
    expect(run.stdout).not.toMatch(ANOMALY_LINE);

    // A detector that starts over (a new site) passes both captures, and lists the strongest anomalies it wrote.
    await resetDetectorData(client);
    const anew = await runVigil(['quickstart', older], env);
    if (anew.code !== 0) throw new Error(`vigil quickstart failed (${anew.code}):\n${anew.stderr}`);
    expect(anew.stdout).not.toContain('arrived after the detector had passed their time');
    const listed = anew.stdout.split('\n').filter((line) => ANOMALY_LINE.test(line));
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.length).toBeLessThanOrEqual(5);
    await client.indices.refresh({ index: ANOMALIES_ALIAS });
    const top = await client.search<{ vigil: { anomaly: { score: number; explanation: string } } }>({ index: ANOMALIES_ALIAS, size: 100, sort: [{ 'vigil.anomaly.score': 'desc' }] });
    const written = top.hits.hits.map((h) => h._source!.vigil.anomaly);
    const scores = listed.map((line) => Number(line.trim().split(/\s+/)[0]));
    expect(scores[0]).toBe(Math.round(written[0].score));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const line of listed) expect(written.some((a) => line.endsWith(`  ${a.explanation}`))).toBe(true);
  }, 300_000);
});
