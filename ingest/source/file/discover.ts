import type { Dirent, Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { SourceError } from '../../../common/errors';

export interface DiscoverOptions {
  /** Also list the files of subdirectories (not through symbolic links, which could loop). */
  recursive?: boolean;
  /** When given, a file found in a directory is taken when its name matches one of these, instead of `isLogFileName`. */
  include?: readonly RegExp[];
  /** A file found in a directory whose name matches one of these is left out. */
  exclude?: readonly RegExp[];
  /**
   * List files oldest first (by modification time) instead of directories' name order, for logs whose rotated
   * copies must be read before the current file (`mail.log.2.gz`, `mail.log.1`, `mail.log`).
   */
  oldestFirst?: boolean;
  /** Absolute paths never taken: the checkpoint files, when the state directory sits among the logs. */
  ignore?: ReadonlySet<string>;
}

export interface Candidate {
  /** Absolute path. */
  path: string;
  stats: Stats;
}

export interface Discovery {
  /** Regular files, directories' entries in name order. */
  files: Candidate[];
  /** Given paths or directories that could not be read. */
  errors: SourceError[];
}

const LOG_SUFFIXES = ['.log', '.json', '.labeled'];
/** zeekctl writes the Zeek process's own output into the spool directory next to the logs. */
const NOT_LOGS = new Set(['stderr.log', 'stdout.log']);

/**
 * Whether a name found in a directory looks like a log: `conn.log`, `dns.json`, `conn.log.labeled`, rotated names
 * (`conn.2026-11-24-10-00-00.log`, `conn.10:00:00-11:00:00.log.gz`), each optionally gzipped. Hidden files
 * (zeekctl's `.pid`, `.status`, ...) are not.
 */
export function isLogFileName(name: string): boolean {
  if (name.startsWith('.') || NOT_LOGS.has(name)) return false;
  const base = name.endsWith('.gz') ? name.slice(0, -3) : name;
  for (const suffix of LOG_SUFFIXES) {
    if (base.length > suffix.length && base.endsWith(suffix)) return true;
  }
  return false;
}

/** Lists the files to read: files given explicitly are always taken; directories contribute their log files. */
export async function discover(paths: readonly string[], options: DiscoverOptions = {}): Promise<Discovery> {
  const found: Discovery = { files: [], errors: [] };
  const taken = new Set<string>();
  const ignore = options.ignore ?? new Set<string>();
  for (const given of paths) {
    const absolute = path.resolve(given);
    let stats: Stats;
    try {
      stats = await stat(absolute);
    } catch (err) {
      found.errors.push(unreadable(absolute, err));
      continue;
    }
    if (stats.isDirectory()) {
      await walk(absolute, options, ignore, taken, found);
    } else if (stats.isFile()) {
      if (!taken.has(absolute) && !ignore.has(absolute)) {
        taken.add(absolute);
        found.files.push({ path: absolute, stats });
      }
    } else {
      found.errors.push(new SourceError(`${absolute} is neither a regular file nor a directory.`, undefined, { path: absolute }));
    }
  }
  if (options.oldestFirst) found.files.sort((a, b) => a.stats.mtimeMs - b.stats.mtimeMs);
  return found;
}

async function walk(dir: string, options: DiscoverOptions, ignore: ReadonlySet<string>, taken: Set<string>, found: Discovery): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    found.errors.push(unreadable(dir, err));
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (options.recursive) await walk(full, options, ignore, taken, found);
      continue;
    }
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    if (!wanted(entry.name, options) || ignore.has(full) || taken.has(full)) continue;
    let stats: Stats;
    try {
      stats = await stat(full);
    } catch (err) {
      // Gone between the listing and the stat: rotation in progress, the next scan sees the new name.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') found.errors.push(unreadable(full, err));
      continue;
    }
    if (!stats.isFile()) continue;
    taken.add(full);
    found.files.push({ path: full, stats });
  }
}

function wanted(name: string, options: DiscoverOptions): boolean {
  if (options.exclude?.some((re) => re.test(name))) return false;
  if (options.include) return options.include.some((re) => re.test(name));
  return isLogFileName(name);
}

function unreadable(where: string, err: unknown): SourceError {
  const code = (err as NodeJS.ErrnoException).code;
  return new SourceError(`${where} cannot be read (${code ?? String(err)}).`, err, { path: where, errno: code });
}

/** Just the paths `discover` takes; throws the first path that cannot be read. */
export async function discoverLogFiles(paths: readonly string[], options: DiscoverOptions = {}): Promise<string[]> {
  const { files, errors } = await discover(paths, options);
  if (errors.length > 0) throw errors[0];
  return files.map((file) => file.path);
}
