import { appendFileSync, cpSync, mkdirSync, readFileSync, renameSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { SourceLine } from '../line';
import { CHECKPOINT_FILE, type Checkpoint } from './checkpointer';
import { CONN_LOG, commitBatch, corpusBytes, corpusDataLines, DNS_LOG_GZ, drain, rangesOf, type Scratch, scratchDir, text } from './files.fixture';
import { FileSource, type FileSourceOptions, type FileSourceWarning } from './follower';

const CONN_LINES = corpusDataLines(CONN_LOG);
const lines = (from: number, count: number) => CONN_LINES.slice(from, from + count);
const asFile = (ls: string[]) => ls.map((l) => `${l}\n`).join('');

function storedCheckpoints(scratch: Scratch): Checkpoint[] {
  return JSON.parse(readFileSync(scratch.path('state', CHECKPOINT_FILE), 'utf8')).files;
}

describe('FileSource', () => {
  let scratch: Scratch;
  let logs: string;
  let warnings: FileSourceWarning[];
  let errors: Array<{ message: string; offset?: number }>;
  const open: Array<FileSource> = [];

  async function source(options: Partial<FileSourceOptions> = {}): Promise<FileSource> {
    const s = await FileSource.open({
      paths: [logs],
      stateDir: scratch.path('state'),
      pollIntervalMs: 0,
      checkpointFlushIntervalMs: 0,
      onWarning: (w) => warnings.push(w),
      onFileError: (err, _file, offset) => errors.push({ message: err.message, offset }),
      ...options,
    });
    open.push(s);
    return s;
  }

  beforeEach(() => {
    scratch = scratchDir();
    logs = scratch.path('logs');
    mkdirSync(logs);
    warnings = [];
    errors = [];
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    scratch.remove();
  });

  it('reads a directory of plain and gzip logs once, then ends', async () => {
    writeFileSync(scratch.path('logs', 'conn.log'), corpusBytes(CONN_LOG));
    writeFileSync(scratch.path('logs', 'dns.log.gz'), corpusBytes(DNS_LOG_GZ));
    const s = await source({ once: true });
    const got: SourceLine[] = [];
    for await (const batch of s) {
      got.push(...batch);
      commitBatch(s, batch);
    }
    const byHint = (hint: string) => got.filter((l) => l.file.nameHint === hint);
    const rebuild = (ls: SourceLine[]) => Buffer.concat(ls.flatMap((l) => [l.bytes, Buffer.from('\n')]));
    expect(rebuild(byHint('conn')).equals(corpusBytes(CONN_LOG))).toBe(true);
    expect(rebuild(byHint('dns')).equals(gunzipSync(corpusBytes(DNS_LOG_GZ)))).toBe(true);
    expect(s.progress()).toMatchObject({ files: 2, filesDone: 2 });
    expect(s.progress().bytesRead).toBe(s.progress().bytesTotal);
    expect(s.lag()).toMatchObject({ unreadBytes: 0, uncommittedBytes: 0 });
    expect(s.stats()).toMatchObject({ linesRead: got.length, errors: 0, warnings: 0 });
    await s.close();
    // The gzip file is final and fully acknowledged: done. The plain one may still grow.
    const done = Object.fromEntries(storedCheckpoints(scratch).map((c) => [c.lastPath.endsWith('.gz') ? 'dns' : 'conn', c.done === true]));
    expect(done).toEqual({ dns: true, conn: false });
  });

  it('saves a new file’s checkpoint before handing out any of its lines', async () => {
    writeFileSync(scratch.path('logs', 'conn.log'), asFile(lines(0, 30)));
    const s = await source();
    const batch = (await s.readBatch())!;
    expect(batch.length).toBe(30);
    expect(storedCheckpoints(scratch)).toEqual([expect.objectContaining({ key: batch[0].file.key, offset: 0, lastPath: scratch.path('logs', 'conn.log') })]);
  });

  it('resumes after a restart at the acknowledged offset, with the header lines given there', async () => {
    writeFileSync(scratch.path('logs', 'conn.log'), corpusBytes(CONN_LOG));
    const first = await source({ once: true, batchMaxLines: 100 });
    const batch = (await first.readBatch())!;
    const header = batch.filter((l) => l.bytes[0] === 0x23).map((l) => Buffer.from(l.bytes));
    expect(header.length).toBeGreaterThan(5);
    first.commit(batch[0].file.key, batch[59].end, header);
    await first.close();

    const second = await source({ once: true, batchMaxLines: 100 });
    const resumed = (await second.readBatch())!;
    expect(resumed[0].file.key).toBe(batch[0].file.key);
    expect(resumed[0].offset).toBe(batch[59].end);
    expect(text(resumed.slice(0, 40))).toEqual(text(batch.slice(60)));
    expect(second.resumeHeader(resumed[0].file).map(String)).toEqual(header.map(String));
  });

  it('after a crash reads the unacknowledged lines again under the same identity', async () => {
    writeFileSync(scratch.path('logs', 'conn.log'), asFile(lines(0, 50)));
    const crashed = await source({ batchMaxLines: 10 });
    const b1 = (await crashed.readBatch())!;
    const b2 = (await crashed.readBatch())!;
    commitBatch(crashed, b1);
    await crashed.flush();
    commitBatch(crashed, b2); // acknowledged, never written: lost in the crash
    open.splice(open.indexOf(crashed), 1);

    const restarted = await source({ batchMaxLines: 100 });
    const again = await drain(restarted);
    expect(again.slice(0, 10).map((l) => [l.file.key, l.offset])).toEqual(b2.map((l) => [l.file.key, l.offset]));
    expect(text(again)).toEqual(lines(10, 40));
  });

  it('follows a rotation: the renamed file goes on under its key, the new file gets a new one', async () => {
    const live = scratch.path('logs', 'conn.log');
    writeFileSync(live, asFile(lines(0, 5)));
    const s = await source();
    const before = await drain(s);
    renameSync(live, scratch.path('logs', 'conn.2026-11-24-10-00-00.log'));
    appendFileSync(scratch.path('logs', 'conn.2026-11-24-10-00-00.log'), asFile(lines(5, 2)));
    writeFileSync(live, asFile(lines(7, 3)));
    const after = await drain(s);
    const oldKey = before[0].file.key;
    expect(text(after.filter((l) => l.file.key === oldKey))).toEqual(lines(5, 2));
    expect(after.find((l) => l.file.key === oldKey)?.offset).toBe(before[4].end);
    const fresh = after.filter((l) => l.file.key !== oldKey);
    expect(text(fresh)).toEqual(lines(7, 3));
    expect(fresh[0].offset).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('reads only the unread rest of a rotated file that was gzipped while it was stopped', async () => {
    const live = scratch.path('logs', 'conn.log');
    writeFileSync(live, asFile(lines(0, 40)));
    const first = await source({ batchMaxLines: 25 });
    const batch = (await first.readBatch())!;
    commitBatch(first, batch);
    await first.close();

    const rotated = scratch.path('logs', 'conn.2026-11-24-10-00-00.log');
    renameSync(live, rotated);
    writeFileSync(`${rotated}.gz`, gzipSync(readFileSync(rotated)));
    unlinkSync(rotated);
    // Written a while ago: a gzip file is read once it has been left alone for partialLineTimeoutMs.
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${rotated}.gz`, old, old);
    const second = await source({ batchMaxLines: 25 });
    const rest = await drain(second);
    expect(text(rest)).toEqual(lines(25, 15));
    expect(rest.every((l) => l.file.key === batch[0].file.key)).toBe(true);
    expect(rest[0].offset).toBe(batch[24].end);
    await second.close();
    expect(storedCheckpoints(scratch)).toEqual([expect.objectContaining({ key: batch[0].file.key, done: true, lastPath: `${rotated}.gz` })]);
  });

  it('reads a file deleted after it was opened to its end, and reports one deleted before it was read', async () => {
    writeFileSync(scratch.path('logs', 'conn.log'), asFile(lines(0, 20)));
    writeFileSync(scratch.path('logs', 'dns.log'), asFile(lines(20, 20)));
    // One descriptor only: conn.log is opened when seen, dns.log has to wait.
    const s = await source({ maxOpenFiles: 1, batchMaxLines: 5 });
    const first = (await s.readBatch())!;
    expect(text(first)).toEqual(lines(0, 5));
    unlinkSync(scratch.path('logs', 'conn.log'));
    const dnsSize = readFileSync(scratch.path('logs', 'dns.log')).length;
    unlinkSync(scratch.path('logs', 'dns.log'));
    const rest = await drain(s);
    await s.readBatch();
    expect(text(rest)).toEqual(lines(5, 15));
    expect(warnings).toEqual([expect.objectContaining({ code: 'deleted_unread', path: scratch.path('logs', 'dns.log'), lostBytes: dnsSize })]);
    expect(s.stats().bytesLost).toBe(dnsSize);
  });

  it('starts a new generation with a new key when a file is truncated to less than was read', async () => {
    const live = scratch.path('logs', 'conn.log');
    writeFileSync(live, asFile(lines(0, 40)));
    const s = await source();
    const all = await drain(s);
    const oldKey = all[0].file.key;
    await s.close();
    cpSync(scratch.path('state'), scratch.path('state-copy'), { recursive: true });

    const cut = all[19].end;
    expect(cut).toBeGreaterThan(1024);
    truncateSync(live, cut);
    appendFileSync(live, asFile(lines(100, 3)));
    const after = await source();
    const again = await drain(after);
    expect(text(again)).toEqual([...lines(0, 20), ...lines(100, 3)]);
    const newKey = again[0].file.key;
    expect(newKey).not.toBe(oldKey);
    expect(again[0].offset).toBe(0);
    expect(warnings).toEqual([expect.objectContaining({ code: 'truncated', key: oldKey })]);
    await after.close();
    expect(storedCheckpoints(scratch)).toEqual([expect.objectContaining({ key: newKey, generation: 2, offset: again[again.length - 1].end })]);

    // Whoever sees the truncation derives the same key: a crash before it was saved changes nothing.
    const other = await source({ stateDir: scratch.path('state-copy') });
    expect((await drain(other))[0].file.key).toBe(newKey);
  });

  it('notices a truncation while following and reads the new content from its start', async () => {
    const live = scratch.path('logs', 'conn.log');
    writeFileSync(live, asFile(lines(0, 40)));
    const s = await source();
    const all = await drain(s);
    truncateSync(live, all[9].end);
    const again = await drain(s);
    expect(text(again)).toEqual(lines(0, 10));
    expect(again[0].file.key).not.toBe(all[0].file.key);
    expect(warnings.map((w) => w.code)).toEqual(['truncated']);
  });

  it('moves the checkpoint only over the acknowledged prefix when batches are acknowledged out of order', async () => {
    writeFileSync(scratch.path('logs', 'conn.log'), asFile(lines(0, 30)));
    const s = await source({ batchMaxLines: 10 });
    const [b1, b2, b3] = [(await s.readBatch())!, (await s.readBatch())!, (await s.readBatch())!];
    const key = b1[0].file.key;
    const range = (b: SourceLine[]) => rangesOf(b).get(key)!;
    s.commitRange(key, range(b3).start, range(b3).end, [Buffer.from('h3')]);
    s.commitRange(key, range(b2).start, range(b2).end, [Buffer.from('h2')]);
    await s.flush();
    expect(storedCheckpoints(scratch)[0].offset).toBe(0);
    expect(s.lag().uncommittedBytes).toBe(b3[9].end);
    s.commitRange(key, range(b1).start, range(b1).end, [Buffer.from('h1')]);
    await s.flush();
    expect(storedCheckpoints(scratch)[0]).toMatchObject({ offset: b3[9].end, header: [Buffer.from('h3').toString('base64')] });
    expect(s.lag().uncommittedBytes).toBe(0);
    expect(() => s.commitRange(key, 0, b3[9].end + 1, [])).toThrow(/not within what was handed out/);
  });

  it('waits for the newline of a last line while following, and hands it out when reading once', async () => {
    const [a, b] = lines(0, 2);
    writeFileSync(scratch.path('logs', 'conn.log'), `${a}\n${b.slice(0, 30)}`);
    const following = await source({ partialLineTimeoutMs: 3_600_000 });
    expect(text(await drain(following))).toEqual([a]);
    appendFileSync(scratch.path('logs', 'conn.log'), `${b.slice(30)}\n`);
    expect(text(await drain(following))).toEqual([b]);
    await following.close();

    const [c, d] = lines(2, 2);
    writeFileSync(scratch.path('logs', 'dns.log'), `${c}\n${d.slice(0, 30)}`);
    const once = await source({ once: true, paths: [scratch.path('logs', 'dns.log')] });
    expect(text(await drain(once))).toEqual([c, d.slice(0, 30)]);
  });

  it('leaves a gzip file alone while it may still be written, then reads what it holds and reports the damage', async () => {
    const packed = gzipSync(corpusBytes(CONN_LOG));
    const archive = scratch.path('logs', 'conn.2026-11-24-10-00-00.log.gz');
    writeFileSync(archive, packed.subarray(0, Math.floor(packed.length / 3)));
    const s = await source({ partialLineTimeoutMs: 3_600_000 });
    expect(await drain(s)).toEqual([]);
    expect(errors).toEqual([]);
    const old = new Date(Date.now() - 7_200_000);
    utimesSync(archive, old, old);
    const got = await drain(s);
    expect(got.length).toBeGreaterThan(1000);
    expect(errors).toEqual([{ message: expect.stringMatching(/ends early/), offset: got[got.length - 1].end }]);
    expect(corpusBytes(CONN_LOG).subarray(0, got[got.length - 2].end).toString('latin1')).toBe(text(got.slice(0, -1)).join('\n') + '\n');
  });

  it('does not read an empty file until it has content, and reports progress and lag', async () => {
    writeFileSync(scratch.path('logs', 'conn.log'), '');
    const s = await source({ maxOpenFiles: 1, batchMaxLines: 4 });
    expect(await s.readBatch()).toEqual([]);
    expect(s.progress()).toMatchObject({ files: 0, bytesTotal: 0 });
    const conn = asFile(lines(0, 4));
    const dns = asFile(lines(4, 4));
    writeFileSync(scratch.path('logs', 'conn.log'), conn);
    writeFileSync(scratch.path('logs', 'dns.log'), dns);
    expect(text((await s.readBatch())!)).toEqual(lines(0, 4));
    expect(s.progress()).toMatchObject({ files: 2, bytesRead: conn.length, bytesTotal: conn.length + dns.length });
    expect(s.lag()).toMatchObject({ unreadBytes: dns.length, uncommittedBytes: conn.length });
    expect(text(await drain(s, false))).toEqual(lines(4, 4));
    expect(s.progress()).toMatchObject({ bytesRead: conn.length + dns.length });
    expect(s.lag()).toMatchObject({ unreadBytes: 0, uncommittedBytes: conn.length + dns.length, oldestUnreadMs: 0 });
  });

  it('does not read its own checkpoints when the state directory is the log directory', async () => {
    writeFileSync(scratch.path('logs', 'conn.log'), asFile(lines(0, 5)));
    const first = await source({ stateDir: logs });
    await drain(first);
    await first.close();
    appendFileSync(scratch.path('logs', 'conn.log'), asFile(lines(5, 1)));
    const second = await source({ stateDir: logs, once: true });
    expect(text(await drain(second))).toEqual(lines(5, 1));
    expect(errors).toEqual([]);
  });

  it('refuses bad options at once, naming the option', async () => {
    await expect(source({ paths: [] })).rejects.toMatchObject({ code: 'VIGIL_USAGE' });
    await expect(source({ batchMaxLines: 0 })).rejects.toThrow(/batchMaxLines/);
    await expect(source({ fingerprintBytes: 1.5 })).rejects.toThrow(/fingerprintBytes/);
  });
});
