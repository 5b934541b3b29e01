import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { createLogger } from '../common/log';
import { fileRealmSecurity } from '../cli/local-es/file-realm';
import { currentHost, startLocalEs, stopLocalEs } from '../cli/local-es';
import { defaultHome } from '../cli/local-es/options';
import { scenarioFolders, scenarioTruth } from '../detector/eval/truth';
import { allModels } from '../detector/models';
import { buildReport, formatReport, reportJson, type ScenarioResult } from './eval-report';
import { runScenario, type EvalEnvironment } from './eval-scenario';
import { RITA_SCORE_THRESHOLD } from './eval-rita';

/**
 * `npm run eval`: the detector measured on the labeled scenarios of the corpus. Starts a dedicated local
 * Elasticsearch (its own home and port, never a user's instance), then for each scenario folder empties the
 * indices, ingests the scenario with `vigil ingest zeek --once`, runs the detector over every window in time order,
 * and scores its alerts, its incidents and the RITA baseline against the scenario's ground truth. A scenario that
 * fails is reported with its error and the others still run. Prints the tables and the verdicts, and writes
 * everything as JSON.
 *
 * Options: `--only 001,008` (scenario folders starting with these; a scenario is a folder holding Zeek logs),
 * `--out <file>` (JSON, default dist/eval/results.json), `--corpus <dir>` (the labeled datasets), `--keep` (leave
 * the instance running).
 * Environment: VIGIL_EVAL_ES_PORT (default 9270), VIGIL_EVAL_ES_HOME (default: eval-elasticsearch beside the local
 * instance's home), VIGIL_LOG_LEVEL for the detector's log (default warn, on stderr).
 */
const REPO = resolve(__dirname, '..', '..');
const DEFAULT_CORPUS = resolve(REPO, '..', 'shared', 'corpus', 'labeled', 'stratosphere-security-datasets');
const DEFAULT_PORT = 9270;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}

function port(): number {
  const raw = process.env.VIGIL_EVAL_ES_PORT;
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) throw new Error(`VIGIL_EVAL_ES_PORT must be a port number, not "${raw}"`);
  return Number(raw);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const corpus = resolve(option(args, '--corpus') ?? DEFAULT_CORPUS);
  const onlyArg = option(args, '--only');
  const only = onlyArg?.split(',').map((s) => s.trim()).filter(Boolean);
  const out = resolve(option(args, '--out') ?? join(REPO, 'dist', 'eval', 'results.json'));
  const dirs = scenarioFolders(corpus, only);
  if (dirs.length === 0) throw new Error(`no scenario folder (a folder holding Zeek logs) in ${corpus}${only ? ` starting with ${only.join(' or ')}` : ''}`);

  // Beside the default instance (somewhere the unprivileged Elasticsearch user can reach), never in it.
  const esOptions = {
    home: process.env.VIGIL_EVAL_ES_HOME || join(dirname(defaultHome(currentHost())), 'eval-elasticsearch'),
    httpPort: port(),
    heap: '1g',
  };
  say(`starting the evaluation Elasticsearch in ${esOptions.home} on port ${esOptions.httpPort}`);
  const es = await startLocalEs(esOptions, (m) => say(`  ${m}`));
  const client = new Client({ node: es.url, auth: { username: es.username, password: es.password }, requestTimeout: 120_000 });
  const env: EvalEnvironment = {
    es: { client, url: es.url, username: es.username, password: es.password },
    setup: { replicas: 0, security: fileRealmSecurity(client, esOptions) },
    log: createLogger(process.env.VIGIL_LOG_LEVEL || 'warn', 'vigil-eval'),
  };
  const results: ScenarioResult[] = [];
  const began = Date.now();
  try {
    say(`models: ${allModels().map((m) => m.id).join(', ')}`);
    for (const dir of dirs) {
      const scenario = dir.slice(dir.lastIndexOf('/') + 1);
      const t = process.hrtime.bigint();
      const elapsed = () => Math.round(Number(process.hrtime.bigint() - t) / 1e8) / 10;
      let truth: ScenarioResult['truth'];
      try {
        truth = scenarioTruth(dir);
        const outcome = await runScenario(env, truth);
        results.push({ scenario, status: 'ok', seconds: elapsed(), truth, outcome });
        const d = outcome.detector;
        say(
          `${scenario}: ${outcome.ingest.documentsIndexed} events, ${d.windows} windows in ${d.passes} pass(es), ` +
            `${d.anomaliesStored} anomalies (${outcome.alerts.length} alerts), ${outcome.incidents.length} incidents, ` +
            `RITA ${outcome.rita.analyzed} of ${outcome.rita.pairs} pairs analysed (${outcome.rita.alerts.length} >= ${RITA_SCORE_THRESHOLD}), ${elapsed()} s`,
        );
      } catch (err) {
        const e = err as Error;
        results.push({ scenario, status: 'failed', error: e.message || String(err), seconds: elapsed(), ...(truth ? { truth } : {}) });
        say(`${scenario}: FAILED after ${elapsed()} s: ${e.stack ?? e.message}`);
      }
    }
  } finally {
    await client.close();
    if (!args.includes('--keep')) await stopLocalEs(esOptions);
  }

  const report = buildReport(results);
  say('');
  process.stdout.write(formatReport(results, report));
  mkdirSync(dirname(out), { recursive: true });
  const meta = {
    generated: new Date().toISOString(),
    seconds: Math.round((Date.now() - began) / 100) / 10,
    elasticsearch: es.version,
    models: allModels().map((m) => m.id),
    ritaThreshold: RITA_SCORE_THRESHOLD,
    corpus: 'labeled/stratosphere-security-datasets',
  };
  writeFileSync(out, JSON.stringify(reportJson(results, report, meta), null, 2) + '\n');
  say(`\nresults written to ${out}`);
  if (report.failed.length > 0) process.exitCode = 1;
}

main().catch((err: Error) => {
  process.stderr.write(`eval: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
