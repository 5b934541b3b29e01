import { appendFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { SourceFile, SourceLine } from '../line';
import { CONN_LOG, corpusBytes, corpusDataLines, DNS_LOG_GZ, type Scratch, scratchDir } from './files.fixture';
import { tailOf } from './fingerprint';
import { type LineReader, openLineReader, type ReadLimits } from './reader';

const FILE: SourceFile = { path: 'conn.log', key: 'k', nameHint: 'conn', firstSeen: 0 };
const OPTIONS = { chunkBytes: 64 * 1024, maxLineBytes: 1024 * 1024 };
const ALL: ReadLimits = { maxLines: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER, flushPartial: true };

async function readAll(path: string, offset: number, limits: ReadLimits = ALL, options = OPTIONS): Promise<{ lines: SourceLine[]; reader: LineReader }> {
  const reader = await openLineReader(path, FILE, offset, options);
  const lines: SourceLine[] = [];
  for (;;) {
    const before = lines.length;
    await reader.read(lines, limits);
    if (lines.length === before && reader.atEnd) break;
  }
  await reader.close();
  return { lines, reader };
}

/** The lines of a buffer as `split` sees them, with their offsets: the reference the reader is checked against. */
function reference(content: Buffer): Array<{ offset: number; text: string }> {
  const out: Array<{ offset: number; text: string }> = [];
  let offset = 0;
  const parts = content.toString('latin1').split('\n');
  parts.forEach((part, i) => {
    if (i === parts.length - 1 && part === '') return;
    out.push({ offset, text: part.endsWith('\r') ? part.slice(0, -1) : part });
    offset += part.length + 1;
  });
  return out;
}

describe('LineReader', () => {
  let scratch: Scratch;
  beforeEach(() => {
    scratch = scratchDir();
  });
  afterEach(() => scratch.remove());

  it('covers a plain file exactly: line bytes plus newlines add up to its size, offsets chain', async () => {
    const content = corpusBytes(CONN_LOG);
    const { lines } = await readAll(CONN_LOG, 0);
    expect(lines.map((l) => ({ offset: l.offset, text: l.bytes.toString('latin1') }))).toEqual(reference(content));
    let next = 0;
    for (const line of lines) {
      expect(line.offset).toBe(next);
      expect(line.end).toBe(line.offset + line.bytes.length + 1);
      next = line.end;
    }
    expect(lines.reduce((n, l) => n + l.bytes.length + 1, 0)).toBe(content.length);
  });

  it('resumes from a line offset in the middle with exactly the remaining lines', async () => {
    const { lines: all } = await readAll(CONN_LOG, 0);
    const middle = all[Math.floor(all.length / 2)];
    const { lines: rest } = await readAll(CONN_LOG, middle.offset);
    expect(rest.map((l) => l.offset)).toEqual(all.slice(all.indexOf(middle)).map((l) => l.offset));
    expect(rest.map((l) => l.bytes.toString('latin1'))).toEqual(all.slice(all.indexOf(middle)).map((l) => l.bytes.toString('latin1')));
  });

  it.each([
    ['plain', CONN_LOG, () => corpusBytes(CONN_LOG)],
    ['gzip', DNS_LOG_GZ, () => gunzipSync(corpusBytes(DNS_LOG_GZ))],
  ])('gives the tail of the %s content just before its offset after each read, across chunks', async (_kind, file, content) => {
    const bytes = content();
    const reader = await openLineReader(file, FILE, 0, { chunkBytes: 4096, maxLineBytes: 1024 * 1024 });
    const lines: SourceLine[] = [];
    let reads = 0;
    for (;;) {
      const before = lines.length;
      await reader.read(lines, { ...ALL, maxLines: 7 });
      if (lines.length === before) break;
      reads++;
      expect(reader.tail()).toEqual(tailOf(bytes.subarray(0, reader.offset), 0));
    }
    expect(reader.offset).toBe(bytes.length);
    await reader.close();
    // Batches of a few lines end right after chunk boundaries many times over.
    expect(reads).toBeGreaterThan((2 * bytes.length) / 4096);
  });

  it('reads a gzip file (known by its magic bytes, whatever its name) with offsets in the decompressed content', async () => {
    const content = gunzipSync(corpusBytes(DNS_LOG_GZ));
    const renamed = scratch.path('dns.log');
    writeFileSync(renamed, corpusBytes(DNS_LOG_GZ));
    const { lines, reader } = await readAll(renamed, 0);
    expect(reader.gzip).toBe(true);
    expect(reader.finished).toBe(true);
    expect(reader.error).toBeUndefined();
    expect(lines.map((l) => ({ offset: l.offset, text: l.bytes.toString('latin1') }))).toEqual(reference(content));
  });

  it('resumes a gzip file at a decompressed offset, skipping what was read', async () => {
    const { lines: all } = await readAll(DNS_LOG_GZ, 0);
    const at = all[Math.floor(all.length * 0.7)];
    const { lines: rest } = await readAll(DNS_LOG_GZ, at.offset);
    expect(rest.map((l) => [l.offset, l.bytes.toString('latin1')])).toEqual(all.slice(all.indexOf(at)).map((l) => [l.offset, l.bytes.toString('latin1')]));
  });

  it('gives the same lines and offsets for a file and its gzipped copy', async () => {
    const gz = scratch.path('conn.2026-11-24-10-00-00.log.gz');
    writeFileSync(gz, gzipSync(corpusBytes(CONN_LOG)));
    const plain = (await readAll(CONN_LOG, 0)).lines;
    const packed = (await readAll(gz, 0)).lines;
    expect(packed.map((l) => [l.offset, l.end, l.bytes.toString('latin1')])).toEqual(plain.map((l) => [l.offset, l.end, l.bytes.toString('latin1')]));
  });

  it('hands out what a truncated gzip file holds, then reports the damage with the decompressed offset', async () => {
    const content = corpusBytes(CONN_LOG);
    const packed = gzipSync(content);
    const cut = scratch.path('conn.log.gz');
    writeFileSync(cut, packed.subarray(0, Math.floor(packed.length / 2)));
    const { lines, reader } = await readAll(cut, 0);
    expect(reader.error?.code).toBe('VIGIL_SOURCE');
    expect(reader.error?.meta.path).toBe(cut);
    const decodable = gunzipSync(packed.subarray(0, Math.floor(packed.length / 2)), { finishFlush: 2 /* Z_SYNC_FLUSH */ });
    expect(reader.error?.meta.offset).toBe(decodable.length);
    // Every complete line in front of the cut, then the cut line itself as it is (the parser rejects it).
    const expected = reference(decodable);
    expect(lines.map((l) => l.bytes.toString('latin1'))).toEqual(expected.map((l) => l.text));
    expect(lines[lines.length - 1].end).toBe(decodable.length);
    expect(content.subarray(0, decodable.length).equals(decodable)).toBe(true);
  });

  it('hands out everything in front of a corrupt spot in a gzip file, to the byte', async () => {
    const content = corpusBytes(CONN_LOG);
    // Stored (level 0) deflate blocks have a length and its complement: breaking the complement of one block makes
    // zlib fail exactly where that block's content starts.
    const packed = Buffer.from(gzipSync(content, { level: 0 }));
    let at = 10;
    let decompressed = 0;
    for (let block = 0; block < 6; block++) {
      const length = packed.readUInt16LE(at + 1);
      expect(length ^ packed.readUInt16LE(at + 3)).toBe(0xffff);
      at += 5 + length;
      decompressed += length;
    }
    packed[at + 3] ^= 0xff;
    const damaged = scratch.path('conn.log.gz');
    writeFileSync(damaged, packed);
    const { lines, reader } = await readAll(damaged, 0);
    expect(reader.error?.meta.errno).toBe('Z_DATA_ERROR');
    expect(reader.error?.meta.offset).toBe(decompressed);
    expect(lines[lines.length - 1].end).toBe(decompressed);
    expect(Buffer.concat(lines.map((l) => content.subarray(l.offset, l.end))).equals(content.subarray(0, decompressed))).toBe(true);
    for (const line of lines) expect(content.subarray(line.offset, line.offset + line.bytes.length).equals(line.bytes)).toBe(true);
  });

  it('holds back an unterminated last line until told the file is finished', async () => {
    const lines = corpusDataLines(CONN_LOG).slice(0, 3);
    const live = scratch.path('conn.log');
    writeFileSync(live, `${lines[0]}\n${lines[1]}\n${lines[2].slice(0, 40)}`);
    const reader = await openLineReader(live, FILE, 0, OPTIONS);
    const out: SourceLine[] = [];
    await reader.read(out, { ...ALL, flushPartial: false });
    expect(out.map((l) => l.bytes.toString('latin1'))).toEqual([lines[0], lines[1]]);
    expect(reader.atEnd).toBe(true);
    expect(reader.offset).toBe(lines[0].length + lines[1].length + 2);
    expect(reader.buffered).toBe(40);

    appendFileSync(live, `${lines[2].slice(40)}\n`);
    await reader.read(out, { ...ALL, flushPartial: false });
    expect(out.map((l) => l.bytes.toString('latin1'))).toEqual(lines);

    appendFileSync(live, lines[0].slice(0, 10));
    await reader.read(out, { ...ALL, flushPartial: true });
    expect(out[3].bytes.toString('latin1')).toBe(lines[0].slice(0, 10));
    expect(out[3].end).toBe(out[3].offset + 10);
    await reader.close();
  });

  it('strips the carriage return of CRLF lines but counts it in the offsets', async () => {
    const lines = corpusDataLines(CONN_LOG).slice(0, 50);
    const crlf = scratch.path('conn.log');
    writeFileSync(crlf, lines.map((l) => `${l}\r\n`).join(''));
    const { lines: out } = await readAll(crlf, 0);
    expect(out.map((l) => l.bytes.toString('latin1'))).toEqual(lines);
    expect(out[1].offset).toBe(lines[0].length + 2);
  });

  it('stops at the batch limits and goes on from there', async () => {
    const reader = await openLineReader(CONN_LOG, FILE, 0, OPTIONS);
    const first: SourceLine[] = [];
    await reader.read(first, { maxLines: 100, maxBytes: Number.MAX_SAFE_INTEGER, flushPartial: true });
    expect(first).toHaveLength(100);
    expect(reader.atEnd).toBe(false);
    const second: SourceLine[] = [];
    const bytes = await reader.read(second, { maxLines: Number.MAX_SAFE_INTEGER, maxBytes: 10_000, flushPartial: true });
    expect(second[0].offset).toBe(first[99].end);
    expect(bytes).toBeGreaterThanOrEqual(10_000);
    expect(bytes - (second[second.length - 1].end - second[second.length - 1].offset)).toBeLessThan(10_000);
    await reader.close();
  });

  it('hands out a line longer than maxLineBytes in pieces that keep the offsets exact', async () => {
    const content = corpusBytes(CONN_LOG);
    const { lines } = await readAll(CONN_LOG, 0, ALL, { chunkBytes: 4096, maxLineBytes: 100 });
    expect(lines.every((l) => l.bytes.length <= 100)).toBe(true);
    expect(Buffer.concat(lines.map((l) => content.subarray(l.offset, l.end))).equals(content)).toBe(true);
    for (const line of lines) expect(content.subarray(line.offset, line.offset + line.bytes.length).equals(line.bytes)).toBe(true);
  });

  it('keeps reading a file that was deleted after it was opened', async () => {
    const content = corpusBytes(CONN_LOG);
    const doomed = scratch.path('conn.log');
    writeFileSync(doomed, content);
    const reader = await openLineReader(doomed, FILE, 0, OPTIONS);
    scratch.remove();
    const out: SourceLine[] = [];
    while (!reader.atEnd) await reader.read(out, ALL);
    await reader.close();
    expect(out[out.length - 1].end).toBe(content.length);
  });
});
