import type { Command } from 'commander';
import { BulkSink } from '../../ingest/sink/elasticsearch/bulk';
import { IngestMetrics } from '../../ingest/metrics';
import { ZeekIngestWorker } from '../../ingest/worker';
import { localNetworkMatcher } from '../../ingest/enrich/direction';
import { openZeekSource } from '../../ingest/source/zeek';
import { lockStateDir } from '../../ingest/source/lock';
import type { IngestSummary } from '../../ingest/stats';
import { commandContext, stateDir } from '../context';
import { startProgress } from '../progress';

export interface ZeekIngestFlags {
  once?: boolean;
  json?: boolean;
  progress?: boolean;
}

export function registerIngest(program: Command): void {
  const ingest = program.command('ingest').description('Read logs into Elasticsearch.');
  ingest
    .command('zeek')
    .description('Follow Zeek log directories or files (TSV or JSON, rotated, .gz) into Elasticsearch; resumes where it stopped.')
    .argument('<paths...>', "Zeek's log directory (its current/ spool or any folder) or log files")
    .option('--once', 'read what is there, including .gz archives, then exit')
    .option('--json', 'end with one JSON summary line on stdout')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .action(async (paths: string[], flags: ZeekIngestFlags) => {
      const summary = await ingestZeek(program.opts().config, paths, flags);
      if (flags.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else process.stdout.write(formatSummary(summary));
    });
}

export async function ingestZeek(configFile: string | undefined, paths: string[], flags: ZeekIngestFlags): Promise<IngestSummary> {
  const ctx = commandContext(configFile);
  const { config, log } = ctx;
  const { client, connection, user, cluster } = await ctx.connect('ingest');
  log.info({ url: connection.url, cluster, user, paths, once: Boolean(flags.once) }, 'Zeek ingest is starting.');

  const lock = lockStateDir(stateDir(config));
  const metrics = new IngestMetrics();
  const metricsServer = !flags.once && config.ingest.metrics.listen ? await metrics.listen(config.ingest.metrics.listen) : undefined;
  if (metricsServer) log.info({ listen: config.ingest.metrics.listen }, 'Prometheus metrics are served at /metrics.');

  const bulk = config.ingest.bulk;
  const sink = new BulkSink(
    client.transport,
    { maxDocs: bulk.maxDocs, maxBytes: bulk.maxBytes, concurrency: bulk.concurrency, flushIntervalMs: bulk.flushIntervalMs },
    { initialMs: bulk.retryInitialMs, maxMs: bulk.retryMaxMs },
    log,
  );
  let worker: ZeekIngestWorker | undefined;
  const source = await openZeekSource({
    paths,
    stateDir: stateDir(config),
    once: Boolean(flags.once),
    zeek: config.ingest.zeek,
    log,
    metrics,
    onFileError: (err, file, offset) => worker?.reportSourceError(err, file, offset),
  });
  worker = new ZeekIngestWorker(source, sink, {
    rollover: config.elasticsearch.indexRollover,
    isLocal: localNetworkMatcher(config.networks.local),
    sensor: ctx.sensor,
    log,
    metrics,
  });

  const stop = (signal: string) => {
    log.info({ signal }, 'Stopping: finishing the batches in flight and saving checkpoints.');
    source.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const progress = flags.once && flags.progress !== false && process.stderr.isTTY ? startProgress(source) : undefined;
  try {
    await worker.run();
  } finally {
    progress?.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await source.close();
    metricsServer?.close();
    await client.close();
    lock.release();
  }
  const summary = worker.stats.summary();
  log.info(summary, 'Zeek ingest finished.');
  return summary;
}

export function formatSummary(s: IngestSummary): string {
  if (s.linesRead === 0) {
    return 'nothing new to read: these files were read before (their checkpoints are in the state directory, ingest.stateDir)\n';
  }
  const lines = [
    `read ${s.linesRead} lines from ${s.filesRead} files in ${s.seconds} s: ${s.documentsIndexed} documents indexed, ` +
      `${s.duplicates} already present, ${s.deadLettered} dead-lettered, ${s.headersSkipped} header lines`,
  ];
  for (const [type, t] of Object.entries(s.perLogType)) {
    lines.push(`  ${type.padEnd(28)} ${String(t.lines).padStart(9)} lines ${String(t.indexed).padStart(9)} indexed ${String(t.duplicates).padStart(7)} present ${String(t.deadLettered).padStart(6)} dead-lettered`);
  }
  return lines.join('\n') + '\n';
}
