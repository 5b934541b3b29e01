import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { IngestSummary } from '../../ingest/stats';
import { testEsControl, useTestEsClient } from '../harness/es';
import { jsonSummary, runVigil, startVigil } from '../support/cli';
import { dataLines, readLog, ZEEK_CORPUS } from '../support/corpus';
import { countDeadLetters, countEvents, resetVigilData } from '../support/es-data';
import { ingestEnvironment } from '../support/ingest-env';
import { waitFor } from '../support/wait';

/**
 * Failures in the middle of a run: the worker killed with SIGKILL, Elasticsearch stopped for half a minute. Either
 * way the run ends with every line indexed exactly once.
 */
const LOGS = ['dns.log.gz', 'ssl.log.gz', 'weird.log.gz', 'analyzer.log.gz'].map((f) => join(ZEEK_CORPUS, 'zed-sample-data', 'zeek-default', f));

function copyLogs(dir: string): number {
  mkdirSync(dir, { recursive: true });
  let lines = 0;
  for (const file of LOGS) {
    copyFileSync(file, join(dir, basename(file)));
    lines += dataLines(readLog(file));
  }
  return lines;
}

describe('recovery in the middle of a run', () => {
  const es = useTestEsClient();

  it('ends with nothing missing and nothing duplicated after the worker is killed with SIGKILL', async () => {
    await resetVigilData(es());
    // Small batches, one at a time: the kill lands between many acknowledged batches.
    const { env, work } = await ingestEnvironment(es(), { bulk: { maxDocs: 500, concurrency: 1 } });
    const dir = join(work, 'logs');
    const expected = copyLogs(dir);

    const worker = startVigil(['ingest', 'zeek', '--once', '--json', dir], env);
    await waitFor(async () => (await countEvents(es())) > expected / 4, 'a quarter of the documents');
    worker.kill('SIGKILL');
    const killed = await worker.output;
    expect(killed.signal).toBe('SIGKILL');
    const atKill = await countEvents(es());
    expect(atKill).toBeLessThan(expected);

    const rerun = await runVigil(['ingest', 'zeek', '--once', '--json', dir], env);
    expect(rerun.code).toBe(0);
    const summary = jsonSummary<IngestSummary>(rerun);
    // The rerun starts from the last committed offsets: it reads only part of the input again.
    expect(summary.linesRead).toBeLessThan(expected);
    expect(await countEvents(es())).toBe(expected);
    expect(await countDeadLetters(es())).toBe(0);
    // A bulk request in flight at the kill may still have landed: those documents come back as duplicates.
    expect(summary.documentsIndexed).toBeLessThanOrEqual(expected - atKill);
    expect(summary.documentsIndexed + summary.duplicates).toBeGreaterThanOrEqual(expected - atKill);
  }, 300_000);

  it('ends with nothing missing and nothing duplicated when Elasticsearch is stopped for half a minute', async () => {
    await resetVigilData(es());
    const { env, work } = await ingestEnvironment(es(), { bulk: { maxDocs: 500, concurrency: 2, retryInitialMs: 200, retryMaxMs: 2000 } });
    const dir = join(work, 'logs');
    const expected = copyLogs(dir);
    const control = testEsControl();

    const worker = startVigil(['ingest', 'zeek', '--once', '--json', dir], env);
    await waitFor(async () => (await countEvents(es())) > expected / 5, 'a fifth of the documents');
    await control.stop();
    await new Promise((r) => setTimeout(r, 30_000));
    // The worker kept retrying and is still there.
    expect(worker.exitCode).toBeNull();
    await control.start();

    const run = await worker.output;
    // The exit with its last words, so that a failure says why.
    if (run.code !== 0) process.stderr.write(`worker ended with ${run.code ?? run.signal}:\n${run.stderr.slice(-3000)}\n`);
    expect({ code: run.code, signal: run.signal, stderr: run.stderr.slice(-3000) }).toMatchObject({ code: 0 });
    const summary = jsonSummary<IngestSummary>(run);
    expect(summary.retries).toBeGreaterThan(0);
    expect(summary.linesRead).toBe(expected + summary.headersSkipped);
    expect(await countEvents(es())).toBe(expected);
    expect(await countDeadLetters(es())).toBe(0);
  }, 400_000);
});
