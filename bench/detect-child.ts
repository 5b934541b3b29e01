import { AsyncLocalStorage } from 'node:async_hooks';
import { validateConfig } from '../common/config/load';
import { createClient } from '../common/es/client';
import { createLogger } from '../common/log';
import type { Client } from '@elastic/elasticsearch';
import { AnomalyWriter } from '../detector/anomaly/writer';
import { allModels } from '../detector/models';
import type { DetectionModel } from '../detector/models/model';
import { EVENT_INDICES, runPass } from '../detector/pass';
import { DETECTOR_STATE_INDEX, EVALUATIONS_INDEX, INCIDENTS_INDEX } from '../common/es/names';
import { BENCH_ZONES, connWindows, deviceSweep, sweep, SWEEPS, type SweepName } from './detect-sweeps';
import { runAssetPass } from '../detector/assets/pass';

/**
 * One measured step of the detection benchmark, in a process of its own so that its peak RSS is its own:
 * `pass` runs one detection pass with every registered model, `assets` one inventory pass, `device-sweep [last-seen]` one composite
 * sweep keyed by device over all the events (with each device's last event time), `sweep <name> [page size]` one composite sweep over
 * the same windows (with the detector's page size unless given). Connects with VIGIL_ES_URL / VIGIL_ES_USERNAME / VIGIL_ES_PASSWORD, uses the default configuration (as
 * `vigil detect` would without a configuration file) and prints one JSON line: the time of the step alone (start-up
 * excluded), the process's peak RSS and what the step reports. A pass also reports, per model, the time its
 * requests to Elasticsearch took by kind (event reads `_search`, baseline reads `_mget`, writes `_bulk`). A model
 * reads its next page and writes its baselines while it judges, so these times overlap each other and its computing.
 */
export interface DetectStepOutput {
  step: string;
  seconds: number;
  peakRssMb: number;
  result: unknown;
  requests?: RequestTimes;
  progress?: PassProgress;
}

const PASS_OWN = [DETECTOR_STATE_INDEX, INCIDENTS_INDEX, EVALUATIONS_INDEX];

/** Prefix of the progress lines a pass writes on stderr after each window, for a pass that does not finish. */
export const PROGRESS = 'detect-progress ';

export interface PassProgress {
  windows: number;
  /** Anomalies the pass's writer holds for incident grouping, and their size as JSON. */
  anomaliesHeld: number;
  anomaliesHeldMb: number;
  heapUsedMb: number;
  rssMb: number;
}

/**
 * Counts what the pass's anomaly writer holds (the alerts and observations of the window not yet grouped into incidents) by
 * wrapping its flush; the writer itself is unchanged. Each anomaly is serialized once to be measured: serializing all that
 * are held after every model's flush cost the measured pass seconds of its time.
 */
function accountAnomalies(progress: PassProgress): void {
  const flush = AnomalyWriter.prototype.flush;
  const sizes = new WeakMap<object, number>();
  const sizeOf = (a: object): number => {
    let n = sizes.get(a);
    if (n === undefined) sizes.set(a, (n = JSON.stringify(a).length));
    return n;
  };
  AnomalyWriter.prototype.flush = async function (this: AnomalyWriter) {
    await flush.call(this);
    const held = this.held;
    progress.anomaliesHeld = held.length;
    progress.anomaliesHeldMb = held.reduce((mb, a) => mb + sizeOf(a) / 1048576, 0);
  };
}

export type RequestKind = 'search' | 'mget' | 'bulk' | 'other';
export type RequestTimes = Record<string, Record<RequestKind, { requests: number; seconds: number }>>;

/**
 * Times every request of the client, charged to the model whose run made it (models run at once are told apart by
 * their asynchronous context). The pass's own requests (its progress and lease, feedback, incidents, the probe for
 * the next event time, and the writes of baselines and anomalies after a model's run) are charged to `pass`. The
 * models themselves are untouched.
 */
function accountRequests(client: Client, models: DetectionModel[], progress: PassProgress): { models: DetectionModel[]; times: RequestTimes } {
  const times: RequestTimes = {};
  const running = new AsyncLocalStorage<string>();
  const transport = client.transport as unknown as {
    request: (params: { path: string; querystring?: Record<string, unknown> }, options?: unknown) => Promise<unknown>;
  };
  const request = transport.request.bind(transport);
  transport.request = async (params, options) => {
    const current = running.getStore() ?? 'pass';
    const started = process.hrtime.bigint();
    try {
      return await request(params, options);
    } finally {
      const path = decodeURIComponent(params.path.split('?')[0]);
      // Incidents are written with a refresh, baselines and anomalies without.
      const refresh = params.querystring?.refresh;
      const incidents = path.endsWith('/_bulk') && refresh !== undefined && refresh !== false && refresh !== 'false';
      const owner = incidents || PASS_OWN.some((index) => path.includes(index)) || path.startsWith(`/${EVENT_INDICES}/`) ? 'pass' : current;
      const kind: RequestKind = path.endsWith('/_search') ? 'search' : path.endsWith('/_mget') ? 'mget' : path.endsWith('/_bulk') ? 'bulk' : 'other';
      const byKind = (times[owner] ??= { search: { requests: 0, seconds: 0 }, mget: { requests: 0, seconds: 0 }, bulk: { requests: 0, seconds: 0 }, other: { requests: 0, seconds: 0 } });
      byKind[kind].requests++;
      byKind[kind].seconds += Number(process.hrtime.bigint() - started) / 1e9;
      // The watermark is saved after each window (and once more with the pass's summary).
      if (path.includes(`${DETECTOR_STATE_INDEX}/_doc/watermark-`) && (params as { body?: { last_summary?: unknown } }).body?.last_summary === undefined) {
        progress.windows++;
        const memory = process.memoryUsage();
        progress.heapUsedMb = Math.round(memory.heapUsed / 1048576);
        progress.rssMb = Math.round(memory.rss / 1048576);
        process.stderr.write(`${PROGRESS}${JSON.stringify({ ...progress, anomaliesHeldMb: Math.round(progress.anomaliesHeldMb * 10) / 10 })}\n`);
      }
    }
  };
  const wrapped = models.map(
    (model): DetectionModel => ({
      id: model.id,
      reads: model.reads,
      run: (ctx) => running.run(model.id, () => model.run(ctx)),
    }),
  );
  return { models: wrapped, times };
}

async function main(): Promise<void> {
  const [step, name, pageArg] = process.argv.slice(2);
  const env = process.env;
  const config = validateConfig({ log: { level: env.VIGIL_LOG_LEVEL || 'warn' } }, 'the benchmark');
  const client = createClient(
    { url: env.VIGIL_ES_URL!, username: env.VIGIL_ES_USERNAME, password: env.VIGIL_ES_PASSWORD, origin: 'the benchmark' },
    config.elasticsearch.requestTimeoutMs,
  );
  try {
    const started = process.hrtime.bigint();
    let result: unknown;
    let requests: RequestTimes | undefined;
    let progress: PassProgress | undefined;
    if (step === 'pass') {
      progress = { windows: 0, anomaliesHeld: 0, anomaliesHeldMb: 0, heapUsedMb: 0, rssMb: 0 };
      accountAnomalies(progress);
      const accounted = accountRequests(client, allModels(), progress);
      requests = accounted.times;
      result = await runPass({ client, config, models: accounted.models, log: createLogger(config.log.level), sensor: 'bench' });
    } else if (step === 'assets') {
      // As `vigil assets --once --lag 0` right after an ingest, with zones so that conduits are measured too.
      const withZones = validateConfig({ log: { level: env.VIGIL_LOG_LEVEL || 'warn' }, zones: BENCH_ZONES }, 'the benchmark');
      result = await runAssetPass({ client, config: withZones, log: createLogger(withZones.log.level), lagSeconds: 0 });
    } else if (step === 'device-sweep') {
      result = await deviceSweep(client, config.assets.pageSize, name === 'last-seen');
    } else if (step === 'sweep' && name in SWEEPS) {
      const d = config.detector;
      const pageSize = pageArg ? Number(pageArg) : d.pageSize;
      result = await sweep(client, name as SweepName, await connWindows(client, d.windowMinutes * 60_000), pageSize);
    } else {
      throw new Error(`usage: detect-child pass | assets | device-sweep | sweep ${Object.keys(SWEEPS).join('|')} [page size]`);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // resourceUsage().maxRSS is in KiB: the high-water mark of this process's resident memory.
    const output: DetectStepOutput = { step: [step, name, pageArg].filter(Boolean).join(' '), seconds, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), result, requests, progress };
    process.stdout.write(JSON.stringify(output) + '\n');
  } finally {
    await client.close();
  }
}

// The benchmark imports this module for its types and progress prefix; only the child process runs it.
if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`detect-child: ${err.stack ?? err.message}\n`);
    process.exitCode = 1;
  });
}
