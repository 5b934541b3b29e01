import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { DETECTOR_USER } from '../../common/es/client';
import { runSetup } from '../../common/es/setup';
import { ANOMALIES_ALIAS, ANOMALIES_PATTERN, ASSETS_INDEX, BASELINES_INDEX, CONDUITS_INDEX, DETECTOR_STATE_INDEX, EVALUATIONS_INDEX, INCIDENTS_INDEX } from '../../common/es/names';
import { fileRealmSecurity } from '../../cli/local-es/file-realm';
import { testEsConnection, testEsControl } from '../harness/es';
import { ingestEnvironment } from './ingest-env';
import { jsonSummary, runVigil } from './cli';
import type { IngestSummary } from '../../ingest/stats';
import type { PassSummary } from '../../detector/pass';
import { MODEL_IDS, type ModelId } from '../../common/config/detector-schema';

const DETECTOR_PASSWORD = 'test-detector-password-8b2e11';

/**
 * The environments under which the real `vigil` command ingests (as the ingest user) and detects (as the
 * least-privilege detector user), sharing one configuration file.
 */
export async function detectorEnvironment(admin: Client, config: Record<string, unknown> = {}) {
  const ingest = await ingestEnvironment(admin);
  await runSetup(admin, {
    replicas: 0,
    security: fileRealmSecurity(admin, testEsControl().options),
    detectorUserPassword: DETECTOR_PASSWORD,
  });
  const configFile = join(ingest.work, 'vigil.json');
  writeFileSync(configFile, JSON.stringify({ ingest: { metrics: { listen: null } }, ...config }));
  const { url } = testEsConnection();
  const detectEnv = { VIGIL_ES_URL: url, VIGIL_ES_USERNAME: DETECTOR_USER, VIGIL_ES_PASSWORD: DETECTOR_PASSWORD, VIGIL_CONFIG: configFile };
  return {
    ...ingest,
    configFile,
    detectEnv,
    /** Rewrites the shared configuration file (both commands read it at start). */
    configure(next: Record<string, unknown>) {
      writeFileSync(configFile, JSON.stringify({ ingest: { metrics: { listen: null } }, ...next }));
    },
    async ingest(files: string[]): Promise<IngestSummary> {
      const run = await runVigil(['ingest', 'zeek', '--once', '--json', ...files], ingest.env);
      if (run.code !== 0) throw new Error(`ingest failed (${run.code}): ${run.stderr}`);
      return jsonSummary<IngestSummary>(run);
    },
    /** One pass of the real `vigil detect --once`, as the detector user; its summary. */
    async detect(...args: string[]): Promise<PassSummary> {
      const run = await runVigil(['detect', '--once', '--json', ...args], detectEnv);
      if (run.code !== 0) throw new Error(`detect failed (${run.code}): ${run.stderr}`);
      return jsonSummary<PassSummary>(run);
    },
  };
}

/** The anomaly documents one model wrote (up to 10,000), oldest first, once the anomalies are searchable. */
export async function modelAnomalies(client: Client, model: ModelId): Promise<Array<Record<string, any>>> {
  await client.indices.refresh({ index: ANOMALIES_ALIAS, ignore_unavailable: true });
  const r = await client.search({ index: ANOMALIES_ALIAS, size: 10_000, query: { term: { 'vigil.anomaly.model': model } }, sort: [{ '@timestamp': 'asc' }], ignore_unavailable: true });
  return r.hits.hits.map((h) => h._source as Record<string, any>);
}

/** `detector.models` of a configuration in which only these models run. */
export function onlyModels(...run: ModelId[]): Record<string, { enabled: false }> {
  return Object.fromEntries(MODEL_IDS.filter((m) => !run.includes(m)).map((m) => [m, { enabled: false }]));
}

const DETECTOR_INDICES = [ANOMALIES_PATTERN, BASELINES_INDEX, INCIDENTS_INDEX, EVALUATIONS_INDEX, DETECTOR_STATE_INDEX, ASSETS_INDEX, CONDUITS_INDEX];

/**
 * Empties what the detector and the inventory wrote. This distribution has no delete-by-query, so the indices are deleted and setup
 * creates the single ones again.
 */
export async function resetDetectorData(client: Client, options: { keepEvaluations?: boolean; keepAnomalies?: boolean } = {}): Promise<void> {
  const kept = [...(options.keepEvaluations ? [EVALUATIONS_INDEX] : []), ...(options.keepAnomalies ? [ANOMALIES_PATTERN] : [])];
  const names = DETECTOR_INDICES.filter((i) => !kept.includes(i));
  const indices = Object.keys(await client.indices.get({ index: names, allow_no_indices: true, ignore_unavailable: true }));
  for (let i = 0; i < indices.length; i += 50) await client.indices.delete({ index: indices.slice(i, i + 50) });
  await runSetup(client, { replicas: 0, security: fileRealmSecurity(client, testEsControl().options) });
}
