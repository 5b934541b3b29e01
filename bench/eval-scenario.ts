/**
 * One labeled scenario through the evaluation: empty the event and detector indices, ingest the scenario's Zeek
 * files with the real `vigil ingest zeek --once` (the built command, as users run it), walk the detector over every
 * window in time order, then read back its alerts and incidents and compute the RITA baseline on the same events.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { validateConfig } from '../common/config/load';
import type { Logger } from '../common/log';
import {
  ANOMALIES_ALIAS,
  ANOMALIES_PATTERN,
  BASELINES_INDEX,
  DEAD_LETTER_INDEX,
  DETECTOR_STATE_INDEX,
  EVALUATIONS_INDEX,
  INCIDENTS_INDEX,
  MAIL_EVENTS_PATTERN,
  MAIL_MESSAGES_PATTERN,
  ZEEK_EVENTS_PATTERN,
} from '../common/es/names';
import { runSetup, type SetupOptions } from '../common/es/setup';
import type { Alert } from '../detector/eval/metrics';
import type { ScenarioTruth } from '../detector/eval/truth';
import { allModels } from '../detector/models';
import { runPass } from '../detector/pass';
import type { IngestSummary } from '../ingest/stats';
import { localNetworksFor } from './eval-networks';
import { ritaBaseline, type RitaBaseline } from './eval-rita';
import type { EsTarget } from './zeek-ingest';

const REPO = resolve(__dirname, '..', '..');
const DAY_MS = 86_400_000;
/** Characters of the ingest command's stderr kept for the error of a failed scenario. */
const STDERR_TAIL = 2000;
/** Passes per scenario at most: a pass takes up to `maxWindowsPerPass` windows (a week of 15-minute windows by default). */
const MAX_PASSES = 200;
const PAGE = 5000;

const ALL_INDICES = [
  ZEEK_EVENTS_PATTERN,
  MAIL_EVENTS_PATTERN,
  MAIL_MESSAGES_PATTERN,
  DEAD_LETTER_INDEX,
  ANOMALIES_PATTERN,
  BASELINES_INDEX,
  INCIDENTS_INDEX,
  EVALUATIONS_INDEX,
  DETECTOR_STATE_INDEX,
];

export interface DetectorRun {
  passes: number;
  windows: number;
  events: number;
  anomalies: number;
  alerts: number;
  incidents: { created: number; updated: number };
  byModel: Record<string, { anomalies: number; alerts: number; seconds: number }>;
  /** Anomalies of every status now stored (alerts, observations, ...). */
  anomaliesStored: number;
}

export interface ScenarioOutcome {
  localNetworks: string[];
  ingest: Pick<IngestSummary, 'linesRead' | 'documentsIndexed' | 'duplicates' | 'deadLettered' | 'filesRead'>;
  detector: DetectorRun;
  /** Anomalies with status `alert`, as metric alerts. */
  alerts: Alert[];
  /** Incidents, as metric alerts (score `incident.score`, naming `related.ip` and the incident's entities). */
  incidents: Alert[];
  rita: RitaBaseline;
  seconds: { reset: number; ingest: number; detect: number; read: number; rita: number };
}

export interface EvalEnvironment {
  es: EsTarget;
  setup: SetupOptions;
  log: Logger;
}

/** Deletes every Vigil index by name (this distribution refuses wildcard deletes and has no delete-by-query), then runs setup again. */
export async function resetAll(client: Client, setup: SetupOptions): Promise<void> {
  const indices = Object.keys(await client.indices.get({ index: ALL_INDICES, allow_no_indices: true, ignore_unavailable: true, expand_wildcards: 'all' }));
  for (let i = 0; i < indices.length; i += 50) await client.indices.delete({ index: indices.slice(i, i + 50) });
  await runSetup(client, setup);
}

async function refresh(client: Client, index: string[]): Promise<void> {
  await client.indices.refresh({ index, allow_no_indices: true, ignore_unavailable: true });
}

const seconds = (from: bigint) => Math.round(Number(process.hrtime.bigint() - from) / 1e7) / 100;

export async function runScenario(env: EvalEnvironment, truth: ScenarioTruth): Promise<ScenarioOutcome> {
  const { client } = env.es;
  const localNetworks = localNetworksFor(truth.scenario, truth.files);
  const config = validateConfig({ networks: { local: localNetworks } }, `evaluation of ${truth.scenario}`);
  const work = mkdtempSync(join(tmpdir(), 'vigil-eval-'));
  try {
    let t = process.hrtime.bigint();
    await resetAll(client, env.setup);
    const reset = seconds(t);

    t = process.hrtime.bigint();
    const configFile = join(work, 'vigil.json');
    writeFileSync(configFile, JSON.stringify({ networks: { local: localNetworks }, ingest: { metrics: { listen: null } } }));
    const s = await ingestFiles(env.es, truth.files, join(work, 'state'), configFile);
    await client.cluster.health({ index: [ZEEK_EVENTS_PATTERN, DEAD_LETTER_INDEX], wait_for_status: 'yellow', timeout: '30s' });
    await refresh(client, [ZEEK_EVENTS_PATTERN, MAIL_EVENTS_PATTERN, MAIL_MESSAGES_PATTERN, DEAD_LETTER_INDEX]);
    const ingest = seconds(t);

    t = process.hrtime.bigint();
    const detector = await detectAll(client, config, env.log, Math.max(Date.now(), truth.end * 1000) + DAY_MS);
    const detect = seconds(t);

    t = process.hrtime.bigint();
    await refresh(client, [ANOMALIES_PATTERN, INCIDENTS_INDEX]);
    const alerts = await readAlerts(client);
    const incidents = await readIncidents(client);
    detector.anomaliesStored = (await client.count({ index: ANOMALIES_ALIAS, ignore_unavailable: true, allow_no_indices: true })).count;
    const read = seconds(t);

    t = process.hrtime.bigint();
    const rita = await ritaBaseline(client);
    const ritaSeconds = seconds(t);

    return {
      localNetworks,
      ingest: { linesRead: s.linesRead, documentsIndexed: s.documentsIndexed, duplicates: s.duplicates, deadLettered: s.deadLettered, filesRead: s.filesRead },
      detector,
      alerts,
      incidents,
      rita,
      seconds: { reset, ingest, detect, read, rita: ritaSeconds },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * `vigil ingest zeek --once --json <files>`, the built command as users run it (its interpreter line sets the heap
 * cap), as the Elasticsearch superuser. Its stderr passes through, and its end is kept for the error if it fails.
 */
async function ingestFiles(es: EsTarget, files: string[], stateDir: string, configFile: string): Promise<IngestSummary> {
  const child = spawn(join(REPO, 'bin', 'vigil.js'), ['ingest', 'zeek', ...files, '--once', '--json', '--no-progress'], {
    env: {
      ...process.env,
      VIGIL_ES_URL: es.url,
      VIGIL_ES_USERNAME: es.username,
      VIGIL_ES_PASSWORD: es.password,
      VIGIL_STATE_DIR: stateDir,
      VIGIL_LOG_LEVEL: 'warn',
      VIGIL_CONFIG: configFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    process.stderr.write(d);
    stderr = (stderr + d.toString()).slice(-STDERR_TAIL);
  });
  const code = await new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('close', done);
  });
  if (code !== 0) throw new Error(`vigil ingest exited with ${code}: ${stderr.trim() || '(no output on stderr)'}`);
  return JSON.parse(stdout.trim().split('\n').pop()!) as IngestSummary;
}

/** Passes until no complete window is left; `now` lies after the data, so every window of the capture is complete. */
async function detectAll(client: Client, config: ReturnType<typeof validateConfig>, log: Logger, now: number): Promise<DetectorRun> {
  const out: DetectorRun = { passes: 0, windows: 0, events: 0, anomalies: 0, alerts: 0, incidents: { created: 0, updated: 0 }, byModel: {}, anomaliesStored: 0 };
  for (;;) {
    if (out.passes >= MAX_PASSES) throw new Error(`the detector still had windows pending after ${MAX_PASSES} passes`);
    const summary = await runPass({ client, config, models: allModels(), log, sensor: 'eval', now });
    out.passes++;
    out.windows += summary.windows;
    out.events += summary.events;
    out.anomalies += summary.anomalies;
    out.alerts += summary.alerts;
    out.incidents.created += summary.incidents.created;
    out.incidents.updated += summary.incidents.updated;
    for (const [model, m] of Object.entries(summary.byModel)) {
      const acc = (out.byModel[model] ??= { anomalies: 0, alerts: 0, seconds: 0 });
      acc.anomalies += m.anomalies;
      acc.alerts += m.alerts;
      acc.seconds = Math.round((acc.seconds + m.seconds) * 100) / 100;
    }
    if (!summary.pending) return out;
  }
}

interface AnomalySource {
  '@timestamp': string;
  related?: { ip?: string[] };
  vigil: { anomaly: { id: string; model: string; score: number; entity: { id: string }; peer?: { id: string } } };
}

interface IncidentSource {
  incident: { id: string; score: number; start: string; entities: string[]; models: string[] };
  related?: { ip?: string[] };
}

/** Every hit of a query, page by page (search_after on a unique keyword). */
async function* allHits<T>(client: Client, index: string, query: Record<string, unknown>, sortField: string): AsyncGenerator<T> {
  let after: Array<string | number> | undefined;
  for (;;) {
    const r = await client.search<T>({
      index,
      size: PAGE,
      ignore_unavailable: true,
      allow_no_indices: true,
      track_total_hits: false,
      query,
      sort: [{ [sortField]: 'asc' }],
      ...(after ? { search_after: after } : {}),
    });
    const hits = r.hits.hits;
    for (const h of hits) if (h._source) yield h._source;
    if (hits.length < PAGE) return;
    after = hits[hits.length - 1].sort as Array<string | number>;
  }
}

const unique = (values: Array<string | undefined>): string[] => [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== ''))];

export async function readAlerts(client: Client): Promise<Alert[]> {
  const out: Alert[] = [];
  for await (const s of allHits<AnomalySource>(client, ANOMALIES_ALIAS, { term: { 'vigil.anomaly.status': 'alert' } }, 'vigil.anomaly.id')) {
    const a = s.vigil.anomaly;
    out.push({
      id: a.id,
      score: a.score,
      time: Date.parse(s['@timestamp']) / 1000,
      entity: a.entity.id,
      related: unique([a.peer?.id, ...(s.related?.ip ?? [])]).filter((ip) => ip !== a.entity.id),
      model: a.model,
    });
  }
  return out;
}

export async function readIncidents(client: Client): Promise<Alert[]> {
  const out: Alert[] = [];
  for await (const s of allHits<IncidentSource>(client, INCIDENTS_INDEX, { match_all: {} }, 'incident.id')) {
    const inc = s.incident;
    const entity = inc.entities[0] ?? '';
    out.push({
      id: inc.id,
      score: inc.score,
      time: Date.parse(inc.start) / 1000,
      entity,
      related: unique([...(s.related?.ip ?? []), ...inc.entities]).filter((ip) => ip !== entity),
      model: inc.models.join('+'),
      incident: inc.id,
    });
  }
  return out;
}
