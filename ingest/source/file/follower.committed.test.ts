import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { CONN_LOG, commitBatch, corpusDataLines, drain, type Scratch, scratchDir } from './files.fixture';
import { FileSource } from './follower';

const CONN_LINES = corpusDataLines(CONN_LOG);
const asFile = (ls: string[]) => ls.map((l) => `${l}\n`).join('');

describe('FileSource.committedBytes', () => {
  let scratch: Scratch;
  const open: FileSource[] = [];

  async function source(): Promise<FileSource> {
    const s = await FileSource.open({ paths: [scratch.path('logs')], stateDir: scratch.path('state'), pollIntervalMs: 0, checkpointFlushIntervalMs: 0, batchMaxLines: 10 });
    open.push(s);
    return s;
  }

  beforeEach(() => {
    scratch = scratchDir();
    mkdirSync(scratch.path('logs'));
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    scratch.remove();
  });

  it('tells how far the file at a path is acknowledged, follows it when renamed, and resumes after a restart', async () => {
    const live = scratch.path('logs', 'conn.log');
    writeFileSync(live, asFile(CONN_LINES.slice(0, 25)));
    const s = await source();
    expect(s.committedBytes(live)).toBeUndefined();

    const b1 = (await s.readBatch())!;
    expect(s.committedBytes(live)).toBe(0);
    commitBatch(s, b1);
    expect(s.committedBytes(live)).toBe(b1[9].end);
    expect(s.committedBytes(scratch.path('logs', 'dns.log'))).toBeUndefined();

    await drain(s);
    expect(s.committedBytes(live)).toBe(statSync(live).size);

    const rotated = scratch.path('logs', 'conn.2026-11-24-10-00-00.log');
    renameSync(live, rotated);
    await drain(s);
    expect(s.committedBytes(rotated)).toBe(statSync(rotated).size);
    expect(s.committedBytes(live)).toBeUndefined();
    await s.close();

    const again = await source();
    await again.readBatch();
    expect(again.committedBytes(rotated)).toBe(statSync(rotated).size);
  });
});
