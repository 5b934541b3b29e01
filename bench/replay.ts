import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * Volume from real data: replays real Zeek TSV logs as many times as needed, each copy shifted in time by whole
 * days and with its originator addresses moved, so that copies are distinct events (and distinct files to the
 * source's fingerprint) while keeping the shape, field mix and sizes of the real traffic.
 */
export interface ReplayResult {
  dir: string;
  files: string[];
  dataLines: number;
  bytes: number;
}

const DAY = 86_400;

export function replayZeekLogs(sourceDir: string, targetDir: string, minLines: number): ReplayResult {
  const sources = readdirSync(sourceDir)
    .filter((name) => name.endsWith('.log.gz') || name.endsWith('.log'))
    .sort()
    .map((name) => ({ name: name.replace(/\.gz$/, ''), lines: decompress(join(sourceDir, name)).toString('utf8').split('\n') }));
  mkdirSync(targetDir, { recursive: true });
  const result: ReplayResult = { dir: targetDir, files: [], dataLines: 0, bytes: 0 };
  for (let copy = 0; result.dataLines < minLines; copy++) {
    for (const source of sources) {
      const text = shiftCopy(source.lines, copy);
      const file = join(targetDir, source.name.replace(/\.log$/, `.replay-${copy}.log`));
      writeFileSync(file, text.content);
      result.files.push(file);
      result.dataLines += text.dataLines;
      result.bytes += Buffer.byteLength(text.content);
    }
    if (copy > 1000) throw new Error(`${sourceDir} holds too few data lines to replay`);
  }
  return result;
}

function decompress(path: string): Buffer {
  const raw = readFileSync(path);
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}

function shiftCopy(lines: string[], copy: number): { content: string; dataLines: number } {
  const out: string[] = [];
  let timeColumns: number[] = [];
  let addrColumns: number[] = [];
  let dataLines = 0;
  for (const line of lines) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (line.startsWith('#types\t')) {
        const types = line.split('\t').slice(1);
        timeColumns = types.flatMap((t, i) => (t === 'time' ? [i] : []));
        addrColumns = types.flatMap((t, i) => (t === 'addr' ? [i] : []));
      }
      // A distinct #open per copy gives each copy its own fingerprint, as successive real logs have.
      out.push(line.startsWith('#open\t') ? `#open\t${shiftOpen(line.slice(6), copy)}` : line);
      continue;
    }
    const cols = line.split('\t');
    for (const i of timeColumns) {
      const v = Number(cols[i]);
      if (cols[i] !== '-' && Number.isFinite(v)) cols[i] = (v + copy * DAY).toFixed(6);
    }
    if (copy > 0) {
      for (const i of addrColumns.slice(0, 1)) cols[i] = moveAddress(cols[i], copy);
    }
    out.push(cols.join('\t'));
    dataLines++;
  }
  return { content: out.join('\n') + '\n', dataLines };
}

/** Zeek's `#open` format, `2018-03-24-17-15-20`, moved by whole days; the header sits in the fingerprinted bytes. */
function shiftOpen(open: string, copy: number): string {
  const m = /^(\d{4})-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$/.exec(open);
  if (!m) return open;
  const t = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3] + copy, +m[4], +m[5], +m[6])).toISOString();
  return `${t.slice(0, 10)}-${t.slice(11, 13)}-${t.slice(14, 16)}-${t.slice(17, 19)}`;
}

/** Moves an IPv4 address within its /16 so copies look like other hosts of the same networks. */
function moveAddress(addr: string, copy: number): string {
  const parts = addr.split('.');
  if (parts.length !== 4) return addr;
  parts[2] = String((Number(parts[2]) + copy) % 256);
  return parts.join('.');
}
