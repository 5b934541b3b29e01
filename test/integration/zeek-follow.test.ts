import { appendFileSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { useTestEsClient } from '../harness/es';
import { startVigil } from '../support/cli';
import { readLog, ZEEK_CORPUS } from '../support/corpus';
import { countEvents, resetVigilData } from '../support/es-data';
import { ingestEnvironment } from '../support/ingest-env';
import { waitFor } from '../support/wait';

/**
 * The worker as a sensor runs it: following Zeek's log directory while Zeek appends, rotates and archives, with
 * its metrics scraped the way Prometheus would.
 */
describe('vigil ingest zeek following a live log directory', () => {
  const es = useTestEsClient();

  it('picks up appended lines, rotated and gzipped files, and reports it in its metrics', async () => {
    await resetVigilData(es());
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const { env, work } = await ingestEnvironment(es(), {
      zeek: { pollIntervalMs: 200, partialLineTimeoutMs: 500 },
      bulk: { flushIntervalMs: 200 },
      metrics: { listen: `127.0.0.1:${port}` },
    });
    const spool = join(work, 'current');
    mkdirSync(spool);
    // Real records, written the way Zeek writes them: a header block, then lines as they come.
    const lines = readLog(join(ZEEK_CORPUS, 'zed-sample-data', 'zeek-default', 'dns.log.gz')).toString('utf8').split('\n');
    const header = lines.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
    const data = lines.filter((l) => l !== '' && !l.startsWith('#'));
    const part = (i: number) => data.slice(i * 1000, (i + 1) * 1000).join('\n') + '\n';
    const live = join(spool, 'dns.log');
    writeFileSync(live, header.join('\n') + '\n' + part(0));

    const worker = startVigil(['ingest', 'zeek', spool], env);
    try {
      await waitFor(async () => (await countEvents(es())) === 1000, 'the first 1000 records');
      appendFileSync(live, part(1));
      await waitFor(async () => (await countEvents(es())) === 2000, 'the appended records');

      // Zeek's rotation: the log is renamed with its time range, a new one starts, the old one is archived.
      const rotated = join(spool, 'dns.2018-03-24-17-00-00.log');
      appendFileSync(live, part(2));
      renameSync(live, rotated);
      writeFileSync(live, header.join('\n').replace(/#open\t\S+/, '#open\t2018-03-24-18-00-00') + '\n' + part(3));
      writeFileSync(`${rotated}.gz`, gzipSync(readFileSync(rotated)));
      unlinkSync(rotated);
      await waitFor(async () => (await countEvents(es())) === 4000, 'the records of the rotated and the new file');

      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const indexed = /vigil_ingest_documents_indexed_total\{log_type="dns"\} (\d+)/.exec(metrics);
      expect(Number(indexed?.[1])).toBe(4000);
      expect(metrics).toMatch(/vigil_ingest_bulk_latency_seconds_count \d+/);
      expect(metrics).toMatch(/vigil_ingest_lag_bytes \d+/);
    } finally {
      worker.kill('SIGTERM');
    }
    const run = await worker.output;
    expect(run.code).toBe(0);
    // Nothing was read twice: the archived copy was recognised as the file already read.
    expect(await countEvents(es())).toBe(4000);
  }, 300_000);
});
