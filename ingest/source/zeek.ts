import type { Logger } from 'pino';
import type { SourceError } from '../../common/errors';
import type { VigilConfig } from '../../common/config/schema';
import type { IngestMetrics } from '../metrics';
import type { SourceFile } from './line';
import { FileSource } from './file/follower';

export interface ZeekSourceOptions {
  paths: string[];
  stateDir: string;
  once: boolean;
  zeek: VigilConfig['ingest']['zeek'];
  log: Logger;
  metrics?: IngestMetrics;
  onFileError(err: SourceError, file?: SourceFile, offset?: number): void;
}

/** The file source set up for a Zeek log directory, its warnings logged and its lag exported as metrics. */
export async function openZeekSource(options: ZeekSourceOptions): Promise<FileSource & { close(): Promise<void> }> {
  const { log, metrics } = options;
  const source = await FileSource.open({
    paths: options.paths,
    stateDir: options.stateDir,
    once: options.once,
    recursive: options.zeek.recursive,
    pollIntervalMs: options.zeek.pollIntervalMs,
    fingerprintBytes: options.zeek.fingerprintBytes,
    partialLineTimeoutMs: options.zeek.partialLineTimeoutMs,
    onFileError: options.onFileError,
    onWarning: (w) => log.warn({ code: w.code, path: w.path, lostBytes: w.lostBytes }, w.message),
    onCheckpointError: (err) => log.error({ err: err.message }, 'Checkpoints could not be written; they will be written with the next change.'),
  });
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
