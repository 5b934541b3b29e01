/**
 * The log path a file name implies, for logs that do not declare one (JSON without `_path`).
 *
 * Zeek names a log after its path and puts everything else after the first dot: `conn.log`,
 * `conn.2026-11-24-10-00-00.log.gz` (rotated), `conn.10:00:00-11:00:00.log.gz` (archived by
 * zeekctl), `dns.json.gz`, `conn.log.labeled` (Stratosphere labels). So the path is the base name up
 * to its first dot, without Stratosphere's `labeled-` prefix. A name without a dot (`out`, `output`)
 * or that does not look like a Zeek path gives `unknown`.
 */
const LABELED_PREFIX = 'labeled-';
const LOG_PATH = /^[A-Za-z0-9_-]+$/;

export function logTypeFromFileName(fileName: string): string {
  const slash = Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\'));
  let base = fileName.slice(slash + 1);
  if (base.startsWith(LABELED_PREFIX)) base = base.slice(LABELED_PREFIX.length);
  const dot = base.indexOf('.');
  if (dot <= 0) return 'unknown';
  const path = base.slice(0, dot);
  return LOG_PATH.test(path) ? path : 'unknown';
}
