import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Client } from '@elastic/elasticsearch';
import { UsageError } from '../../common/errors';
import { BulkSink } from '../../ingest/sink/elasticsearch/bulk';
import { IngestMetrics } from '../../ingest/metrics';
import { ZeekIngestWorker } from '../../ingest/worker';
import { MailIngestWorker } from '../../ingest/mail-worker';
import type { IngestPipeline } from '../../ingest/pipeline';
import { localNetworkMatcher } from '../../ingest/enrich/direction';
import { AssetEnricher } from '../../ingest/enrich/assets';
import { openLogSource } from '../../ingest/source/open';
import { lockStateDir } from '../../ingest/source/lock';
import { openMessages } from '../../ingest/reconstruct/mail/rehydrate';
import { MAIL_LOG_NAMES } from '../../ingest/source/mail-names';
import { parseListenList } from '../../ingest/source/syslog/listen';
import { startSyslogReceiver, type SyslogReceiver } from '../../ingest/source/syslog/receiver';
import type { IngestSummary } from '../../ingest/stats';
import { commandContext, stateDir, type CommandContext } from '../context';
import { startProgress } from '../progress';

export interface IngestFlags {
  once?: boolean;
  json?: boolean;
  progress?: boolean;
  /** Also read log files in subdirectories (`ingest.zeek.recursive` turns it on for every run). */
  recursive?: boolean;
}

export interface MailIngestFlags extends IngestFlags {
  syslog?: string;
}

export function registerIngest(program: Command): void {
  const ingest = program.command('ingest').description('Read logs into Elasticsearch.');
  ingest
    .command('zeek')
    .description('Follow Zeek log directories or files (TSV or JSON, rotated, .gz) into Elasticsearch; resumes where it stopped.')
    .argument('<paths...>', "Zeek's log directory (its current/ spool or any folder) or log files")
    .option('--once', 'read what is there, including .gz archives, then exit')
    .option('--recursive', 'also read log files in subdirectories (ingest.zeek.recursive)')
    .option('--json', 'end with one JSON summary line on stdout')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .action(async (paths: string[], flags: IngestFlags) => {
      printSummary(await ingestZeek(program.opts().config, paths, flags), flags, { paths, logs: zeekLogNames(flags.recursive) });
    });
  ingest
    .command('mail')
    .description('Follow mail logs (Postfix, Exim, Sendmail, Dovecot; rotated, .gz) or receive them over syslog; one event per line and one document per message.')
    .argument('[paths...]', 'mail log files (/var/log/mail.log, maillog, exim mainlog) or directories holding them')
    .option('--syslog <listeners>', 'also receive syslog, e.g. udp://127.0.0.1:5514,tcp://127.0.0.1:5514 (RFC 3164 and 5424)')
    .option('--once', 'read what is there, including .gz archives, then exit')
    .option('--json', 'end with one JSON summary line on stdout')
    .option('--no-progress', 'no progress bar, even on a terminal')
    .action(async (paths: string[], flags: MailIngestFlags) => {
      printSummary(await ingestMail(program.opts().config, paths, flags), flags, { paths, logs: MAIL_LOGS_TEXT });
    });
}

function printSummary(summary: IngestSummary, flags: IngestFlags, where: SearchedPaths): void {
  if (flags.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else process.stdout.write(formatSummary(summary, where));
}

/** Where a run looked for logs and what it looked for, to say so when it found none. */
export interface SearchedPaths {
  paths: readonly string[];
  /** The names looked for, as a person reads them. */
  logs: string;
}

/** The Zeek log names a directory is searched for (see `isLogFileName`), and whether subdirectories were searched. */
export function zeekLogNames(recursive: boolean | undefined): string {
  const names = 'Zeek logs named like conn.log, dns.json or conn.log.labeled, rotated and .gz copies included';
  return recursive ? `${names}, subdirectories included` : `${names}; subdirectories are searched with --recursive`;
}

const MAIL_LOGS_TEXT = 'mail logs named like mail.log, maillog or mainlog, rotated and .gz copies included';

export async function ingestZeek(configFile: string | undefined, paths: string[], flags: IngestFlags): Promise<IngestSummary> {
  const ctx = commandContext(configFile);
  const { config } = ctx;
  return runIngest(ctx, 'Zeek', stateDir(config), flags, async ({ client, cluster, metrics, sink, onFileError }) => {
    const assets = new AssetEnricher({ zones: config.zones, client, refreshSeconds: config.ingest.assets.refreshSeconds, log: ctx.log });
    // Roles are read before the first line, so that a run with --once gets them too.
    await assets.start();
    let source: Awaited<ReturnType<typeof openLogSource>>;
    try {
      const limits = { ...config.ingest.zeek, recursive: config.ingest.zeek.recursive || Boolean(flags.recursive) };
      source = await openLogSource({ paths, stateDir: stateDir(config), cluster, once: Boolean(flags.once), limits, log: ctx.log, metrics, onFileError });
    } catch (err) {
      assets.stop();
      throw err;
    }
    const worker = new ZeekIngestWorker(source, sink, {
      rollover: config.elasticsearch.indexRollover,
      isLocal: localNetworkMatcher(config.networks.local),
      assetOf: assets.active ? assets.assetOf : undefined,
      sensor: ctx.sensor,
      log: ctx.log,
      metrics,
    });
    return { source, worker, close: async () => assets.stop() };
  });
}

export async function ingestMail(configFile: string | undefined, paths: string[], flags: MailIngestFlags): Promise<IngestSummary> {
  const ctx = commandContext(configFile);
  const { config } = ctx;
  const mail = config.ingest.mail;
  const listenText = (flags.syslog ?? mail.syslog.listen.join(',')).trim();
  const listen = listenText ? parseListenList(listenText) : [];
  if (paths.length === 0 && listen.length === 0) throw new UsageError('Give mail log files or directories to read, or --syslog listeners (or ingest.mail.syslog.listen).');
  if (flags.once && listen.length > 0) throw new UsageError('--once reads files and exits; a syslog receiver runs until stopped. Leave out one of them.');
  // Mail has its own checkpoints and lock: it may run beside a Zeek worker that uses the same state directory.
  const dir = resolve(stateDir(config), 'mail');
  // Received syslog waits in files here until it is indexed; the worker reads them like any mail log.
  const spoolDir = join(dir, 'syslog-spool');
  return runIngest(ctx, 'Mail', dir, flags, async ({ client, cluster, metrics, sink, onFileError }) => {
    let receiver: SyslogReceiver | undefined;
    if (listen.length > 0) mkdirSync(spoolDir, { recursive: true });
    const source = await openLogSource({
      paths: listen.length > 0 ? [...paths, spoolDir] : paths,
      stateDir: dir,
      cluster,
      once: Boolean(flags.once),
      limits: mail,
      include: MAIL_LOG_NAMES,
      oldestFirst: true,
      log: ctx.log,
      metrics,
      onFileError,
    });
    const worker = new MailIngestWorker(source, sink, {
      rollover: config.elasticsearch.indexRollover,
      timeZone: mail.timeZone,
      messageTimeoutMs: mail.messageTimeoutSeconds * 1000,
      deferredTimeoutMs: mail.deferredTimeoutSeconds * 1000,
      maxOpenMessages: mail.maxOpenMessages,
      sensor: ctx.sensor,
      log: ctx.log,
      metrics,
      spoolDir: listen.length > 0 ? spoolDir : undefined,
      restore: () => openMessages(client, ctx.sensor, mail.messageTimeoutSeconds * 1000),
    });
    if (listen.length > 0) {
      try {
        receiver = await startSyslogReceiver({
          listen,
          spoolDir,
          maxBytes: mail.syslog.maxBufferBytes,
          segmentBytes: mail.syslog.segmentBytes,
          committedBytes: (path) => source.committedBytes(path),
          logger: ctx.log,
        });
      } catch (err) {
        await source.close();
        throw err;
      }
      ctx.log.info({ listen: receiver.addresses }, 'Receiving syslog.');
    }
    return {
      source,
      worker,
      close: async () => {
        if (!receiver) return;
        await receiver.close();
        const stats = receiver.stats();
        ctx.log.info(stats, 'Syslog receiver stopped.');
      },
      extra: () => ({
        mail: { messagesRestored: worker.restoredMessages, messagesOpen: worker.assembler.openCount },
        ...(receiver ? { syslog: receiver.stats() } : {}),
      }),
    };
  }, mail.bulk);
}

interface Wiring {
  client: Client;
  /** The uuid of the cluster the worker writes to: checkpoints are kept for it. */
  cluster: string;
  metrics: IngestMetrics;
  sink: BulkSink;
  onFileError: Parameters<typeof openLogSource>[0]['onFileError'];
}

interface Running {
  source: Awaited<ReturnType<typeof openLogSource>>;
  worker: IngestPipeline;
  /** Stopped after the source, before the client closes (a syslog receiver). */
  close?: () => Promise<void>;
  /** Added to the summary (the syslog receiver's counts). */
  extra?: () => Record<string, unknown>;
}

/** What every ingest command does around its worker: connect, lock, metrics, signals, progress, summary. */
async function runIngest(
  ctx: CommandContext,
  what: string,
  dir: string,
  flags: IngestFlags,
  build: (w: Wiring) => Promise<Running>,
  limits?: { maxDocs: number; maxBytes: number },
): Promise<IngestSummary> {
  const { config, log } = ctx;
  const { client, connection, user, cluster, clusterUuid } = await ctx.connect('ingest');
  log.info({ url: connection.url, cluster, clusterUuid, user, once: Boolean(flags.once) }, `${what} ingest is starting.`);

  const lock = lockStateDir(dir);
  const metrics = new IngestMetrics();
  const metricsServer = !flags.once && config.ingest.metrics.listen ? await metrics.listen(config.ingest.metrics.listen) : undefined;
  if (metricsServer) log.info({ listen: config.ingest.metrics.listen }, 'Prometheus metrics are served at /metrics.');

  const bulk = config.ingest.bulk;
  const sink = new BulkSink(
    client.transport,
    { maxDocs: limits?.maxDocs ?? bulk.maxDocs, maxBytes: limits?.maxBytes ?? bulk.maxBytes, concurrency: bulk.concurrency, flushIntervalMs: bulk.flushIntervalMs },
    { initialMs: bulk.retryInitialMs, maxMs: bulk.retryMaxMs },
    log,
  );
  let worker: IngestPipeline | undefined;
  let running: Running;
  try {
    running = await build({ client, cluster: clusterUuid, metrics, sink, onFileError: (err, file, offset) => worker?.reportSourceError(err, file, offset) });
  } catch (err) {
    metricsServer?.close();
    await client.close();
    lock.release();
    throw err;
  }
  const { source } = running;
  worker = running.worker;

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
    worker.stats.filesFound = source.progress().files;
    await source.close();
    await running.close?.();
    metricsServer?.close();
    await client.close();
    lock.release();
  }
  const summary = { ...worker.stats.summary(), ...running.extra?.() };
  log.info(summary, `${what} ingest finished.`);
  return summary;
}

export function formatSummary(s: IngestSummary, where?: SearchedPaths): string {
  if (s.linesRead === 0) {
    if (s.filesFound > 0) {
      const files = s.filesFound === 1 ? 'the one log file found was' : `the ${s.filesFound} log files found were`;
      return `nothing new to read: ${files} read before (their checkpoints are in the state directory, ingest.stateDir)\n`;
    }
    // A syslog receiver alone has no paths: it received nothing.
    return where && where.paths.length > 0 ? `no log file found in ${where.paths.join(', ')}: looked for ${where.logs}\n` : 'nothing was read\n';
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
