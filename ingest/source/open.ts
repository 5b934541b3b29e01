import type { Logger } from 'pino';
import type { SourceError } from '../../common/errors';
import type { IngestMetrics } from '../metrics';
import type { SourceFile } from './line';
import { FileSource } from './file/follower';

export interface LogSourceOptions {
  paths: string[];
  stateDir: string;
  /** The uuid of the cluster the lines go to: see `FileSourceOptions.cluster`. */
  cluster?: string;
  once: boolean;
  /** The configured limits of this kind of log (`ingest.zeek`, `ingest.mail`). */
  limits: { pollIntervalMs: number; fingerprintBytes: number; partialLineTimeoutMs: number; recursive?: boolean };
  /** File names taken from directories, instead of the built-in log name rule. */
  include?: readonly RegExp[];
  /** Rotated copies before the live file. */
  oldestFirst?: boolean;
  log: Logger;
  metrics?: IngestMetrics;
  onFileError(err: SourceError, file?: SourceFile, offset?: number): void;
}

/** The file source set up for log files or directories, its warnings logged and its lag exported as metrics. */
export async function openLogSource(options: LogSourceOptions): Promise<FileSource & { close(): Promise<void> }> {
  const { log, metrics } = options;
  const source = await FileSource.open({
    paths: options.paths,
    stateDir: options.stateDir,
    cluster: options.cluster,
    once: options.once,
    recursive: options.limits.recursive,
    include: options.include,
    oldestFirst: options.oldestFirst,
    pollIntervalMs: options.limits.pollIntervalMs,
    fingerprintBytes: options.limits.fingerprintBytes,
    partialLineTimeoutMs: options.limits.partialLineTimeoutMs,
    onFileError: options.onFileError,
    onWarning: (w) => log.warn({ code: w.code, path: w.path, lostBytes: w.lostBytes }, w.message),
    onCheckpointError: (err) => log.error({ err: err.message }, 'Checkpoints could not be written; they will be written with the next change.'),
  });
  const setAside = source.checkpointsSetAside;
  if (setAside) {
    log.warn(
      { stateDir: options.stateDir, checkpointsFor: setAside.cluster, files: setAside.files, cluster: options.cluster },
      `The checkpoints in ${options.stateDir} were kept for another Elasticsearch cluster (${setAside.cluster}): ` +
        `their ${setAside.files} files are read again from the start for this one (${options.cluster}), under the same document ids.`,
    );
  }
  if (!metrics) return source;
  const timer = setInterval(() => {
    const lag = source.lag();
    metrics.lagBytes.set(lag.unreadBytes + lag.uncommittedBytes);
    metrics.lagSeconds.set(lag.oldestUnreadMs / 1000);
    metrics.files.set(source.progress().files);
  }, 1000);
  timer.unref();
  const close = source.close.bind(source);
  return Object.assign(source, {
    async close() {
      clearInterval(timer);
      await close();
    },
  });
}
