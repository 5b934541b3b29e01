import { type SourceError, UsageError } from '../../../common/errors';
import type { SourceFile } from '../line';
import type { CheckpointError } from './checkpointer';

export interface FileSourceOptions {
  /** Directories (their log files are read, see `isLogFileName`) and files (always read). */
  paths: readonly string[];
  /** Where the checkpoints are kept (`checkpoints.json`). */
  stateDir: string;
  /**
   * The Elasticsearch cluster (its uuid) the lines go to. Checkpoints are kept for one cluster: those of another are
   * set aside, and every file is read again for this one. Unset: checkpoints are taken whatever cluster they were for.
   */
  cluster?: string;
  /** Read what is there now, `.gz` archives included, then end. Otherwise follow the files as they grow and rotate. */
  once?: boolean;
  /** Also read the log files of subdirectories. */
  recursive?: boolean;
  /** File names taken from directories, instead of the built-in log name rule. */
  include?: readonly RegExp[];
  /** File names left out of directories. */
  exclude?: readonly RegExp[];
  /** Read files oldest first (modification time) rather than in name order: rotated copies before the live file. */
  oldestFirst?: boolean;
  /**
   * Follow mode: how often directories are listed again and files stat'ed (default 1000). Polling rather than
   * fs.watch: inotify and its kin miss events on network and container filesystems, coalesce or drop them under
   * load and say nothing about content, whereas a listing and a stat per interval are exact everywhere and cheap
   * for the few dozen files of a Zeek spool.
   */
  pollIntervalMs?: number;
  /** How many leading (decompressed) bytes identify a file (default 1024). */
  fingerprintBytes?: number;
  /**
   * How long an unterminated last line waits for its newline before it is handed out as it is (default 5000), and
   * how long a gzip file must be left unchanged before it is read (it may still be being written).
   */
  partialLineTimeoutMs?: number;
  /** A batch holds at most this many lines (default 1000)... */
  batchMaxLines?: number;
  /** ...and about this many bytes (default 1 MiB). */
  batchMaxBytes?: number;
  /** Bytes per read from disk (default 256 KiB). */
  readChunkBytes?: number;
  /** Longer lines are handed out in pieces of this size (default 1 MiB). */
  maxLineBytes?: number;
  /** Open file descriptors kept at most (default 256). */
  maxOpenFiles?: number;
  /** Checkpoints are written at most this often (default 1000), and on `flush()` and `close()`. */
  checkpointFlushIntervalMs?: number;
  /** Checkpoints of files gone for longer than this are forgotten (default 7 days). */
  checkpointRetentionMs?: number;
  /**
   * A file could not be read (completely): the lines before `offset` were handed out. It is tried again from there
   * when it changes (follow mode) or in the next run.
   */
  onFileError?: (error: SourceError, file?: SourceFile, offset?: number) => void;
  /** Data went away before it could be read, or a truncation makes a file's start be read again. */
  onWarning?: (warning: FileSourceWarning) => void;
  /** A periodic checkpoint write failed; it is retried with the next change, and `close()` rejects if it still fails. */
  onCheckpointError?: (error: CheckpointError) => void;
}

export interface FileSourceWarning {
  /** deleted_unread: gone before it was read to its end; truncated: shorter than what was read of it; replaced: overwritten in place. */
  code: 'deleted_unread' | 'truncated' | 'replaced';
  message: string;
  path: string;
  key: string;
  /** Bytes on disk that were never read (compressed bytes for a gzip file, an upper bound). */
  lostBytes: number;
}

export const DEFAULTS = {
  pollIntervalMs: 1000,
  fingerprintBytes: 1024,
  partialLineTimeoutMs: 5000,
  batchMaxLines: 1000,
  batchMaxBytes: 1024 * 1024,
  readChunkBytes: 256 * 1024,
  maxLineBytes: 1024 * 1024,
  maxOpenFiles: 256,
  checkpointFlushIntervalMs: 1000,
  checkpointRetentionMs: 7 * 24 * 3600 * 1000,
};

export type Limits = typeof DEFAULTS;

/** The limits in effect: the defaults, overridden by the options given; a bad value fails at once, naming the option. */
export function resolveLimits(options: FileSourceOptions): Limits {
  if (options.paths.length === 0) throw new UsageError('The file source needs at least one path to read.');
  const limits = { ...DEFAULTS };
  for (const name of Object.keys(DEFAULTS) as Array<keyof Limits>) {
    const value = options[name];
    if (value === undefined) continue;
    const min = name === 'pollIntervalMs' || name === 'partialLineTimeoutMs' || name === 'checkpointFlushIntervalMs' ? 0 : 1;
    if (!Number.isInteger(value) || value < min) throw new UsageError(`The file source option ${name} must be an integer of at least ${min}, not ${value}.`);
    limits[name] = value;
  }
  return limits;
}
