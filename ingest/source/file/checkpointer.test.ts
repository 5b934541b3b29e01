import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { type Checkpoint, Checkpointer, CHECKPOINT_FILE } from './checkpointer';
import { type Scratch, scratchDir } from './files.fixture';

function entry(key: string, offset = 0): Checkpoint {
  return { key, fingerprint: 'a'.repeat(64), fingerprintLength: 1024, offset, lastPath: `/logs/${key}.log`, firstSeen: 1_700_000_000, updatedAt: 1_700_000_000 };
}

describe('Checkpointer', () => {
  let scratch: Scratch;
  beforeEach(() => {
    scratch = scratchDir();
  });
  afterEach(() => scratch.remove());

  it('writes a versioned file that a new instance reads back', async () => {
    const first = await Checkpointer.open(scratch.dir, { flushIntervalMs: 0 });
    first.add(entry('conn'));
    first.commit('conn', 4096, [Buffer.from('#separator \\x09'), Buffer.from('#fields\tts\tuid')]);
    await first.close();
    const stored = JSON.parse(readFileSync(scratch.path(CHECKPOINT_FILE), 'utf8'));
    expect(stored.version).toBe(1);
    expect(stored.files).toHaveLength(1);
    expect(stored.files[0].header).toEqual([Buffer.from('#separator \\x09').toString('base64'), Buffer.from('#fields\tts\tuid').toString('base64')]);

    const second = await Checkpointer.open(scratch.dir);
    expect(second.get('conn')?.offset).toBe(4096);
    expect(second.get('conn')?.header?.map((h) => Buffer.from(h, 'base64').toString())).toEqual(['#separator \\x09', '#fields\tts\tuid']);
    await second.close();
  });

  it('keeps checkpoints for one Elasticsearch cluster: those of another are set aside, those that name none are taken', async () => {
    // Written before checkpoints named their cluster: taken as this cluster's, and named at the next write.
    writeFileSync(scratch.path(CHECKPOINT_FILE), JSON.stringify({ version: 1, files: [entry('conn', 700)] }));
    const adopted = await Checkpointer.open(scratch.dir, { flushIntervalMs: 0, cluster: 'uuid-a' });
    expect(adopted.get('conn')?.offset).toBe(700);
    expect(adopted.setAside).toBeUndefined();
    await adopted.close();
    expect(JSON.parse(readFileSync(scratch.path(CHECKPOINT_FILE), 'utf8')).cluster).toBe('uuid-a');

    // The same cluster again: nothing changes.
    const same = await Checkpointer.open(scratch.dir, { flushIntervalMs: 0, cluster: 'uuid-a' });
    expect(same.get('conn')?.offset).toBe(700);
    await same.close();

    // Another cluster holds none of those lines: every file starts over, and the file is for it from now on.
    const other = await Checkpointer.open(scratch.dir, { flushIntervalMs: 0, cluster: 'uuid-b' });
    expect(other.setAside).toEqual({ cluster: 'uuid-a', files: 1 });
    expect(other.get('conn')).toBeUndefined();
    expect(other.size).toBe(0);
    other.add(entry('dns', 30));
    await other.close();
    const stored = JSON.parse(readFileSync(scratch.path(CHECKPOINT_FILE), 'utf8'));
    expect(stored.cluster).toBe('uuid-b');
    expect(stored.files.map((f: Checkpoint) => f.key)).toEqual(['dns']);

    // Without a cluster (a reader that does not know it), the checkpoints are read whatever cluster they name, and kept for it.
    const unknown = await Checkpointer.open(scratch.dir, { flushIntervalMs: 0 });
    expect(unknown.get('dns')?.offset).toBe(30);
    unknown.commit('dns', 60, []);
    await unknown.close();
    expect(JSON.parse(readFileSync(scratch.path(CHECKPOINT_FILE), 'utf8')).cluster).toBe('uuid-b');
  });

  it('keeps the last complete version when a crash left a half-written temporary file', async () => {
    const first = await Checkpointer.open(scratch.dir, { flushIntervalMs: 0 });
    first.add(entry('conn', 100));
    await first.flush();
    first.commit('conn', 900, []);
    // The crash: the next version got as far as a partial temporary file, never renamed.
    const full = JSON.stringify({ version: 1, files: [{ ...entry('conn'), offset: 900 }] });
    writeFileSync(first.tempFile, full.slice(0, full.length / 2));
    const reopened = await Checkpointer.open(scratch.dir, { flushIntervalMs: 0 });
    expect(reopened.get('conn')?.offset).toBe(100);
    // The next write replaces the leftover.
    reopened.commit('conn', 500, []);
    await reopened.close();
    expect(existsSync(reopened.tempFile)).toBe(false);
    expect((await Checkpointer.open(scratch.dir)).get('conn')?.offset).toBe(500);
  });

  it('writes nothing until asked when the interval is 0, and only moves offsets forward', async () => {
    const cp = await Checkpointer.open(scratch.dir, { flushIntervalMs: 0 });
    cp.add(entry('dns', 50));
    expect(existsSync(cp.file)).toBe(false);
    cp.commit('dns', 40, []);
    expect(cp.get('dns')?.offset).toBe(50);
    cp.commit('unknown', 40, []);
    await cp.flush();
    expect(JSON.parse(readFileSync(cp.file, 'utf8')).files.map((f: Checkpoint) => [f.key, f.offset])).toEqual([['dns', 50]]);
  });

  it('keeps the content tail given with a commit when it lies further, within the offset, and reads it back', async () => {
    const tail = (end: number) => ({ start: end - 256, end, sha256: String(end % 10).repeat(64) });
    const cp = await Checkpointer.open(scratch.dir, { flushIntervalMs: 0 });
    cp.add({ ...entry('conn'), tail: tail(700) });
    cp.commit('conn', 500, [], tail(500));
    expect(cp.get('conn')?.tail).toEqual(tail(700));
    cp.commit('conn', 900, [], tail(901));
    expect(cp.get('conn')?.tail).toEqual(tail(700));
    cp.commit('conn', 1000, [], tail(1000));
    expect(cp.get('conn')?.tail).toEqual(tail(1000));
    cp.commit('conn', 1100, []);
    await cp.close();
    const reopened = await Checkpointer.open(scratch.dir);
    expect(reopened.get('conn')).toMatchObject({ offset: 1100, tail: tail(1000) });
    writeFileSync(scratch.path(CHECKPOINT_FILE), JSON.stringify({ version: 1, files: [{ ...entry('x'), tail: { start: 9, end: 9, sha256: '0'.repeat(64) } }] }));
    await expect(Checkpointer.open(scratch.dir)).rejects.toMatchObject({ code: 'VIGIL_CHECKPOINT', message: expect.stringMatching(/files\.0\.tail/) });
  });

  it('writes by itself after the interval', async () => {
    const cp = await Checkpointer.open(scratch.dir, { flushIntervalMs: 10 });
    cp.add(entry('ssl', 7));
    for (let i = 0; i < 500 && !existsSync(cp.file); i++) await new Promise((r) => setTimeout(r, 10));
    expect(JSON.parse(readFileSync(cp.file, 'utf8')).files[0].offset).toBe(7);
    await cp.close();
  });

  it('forgets files gone for longer than the retention, never files still present', async () => {
    const cp = await Checkpointer.open(scratch.dir, { flushIntervalMs: 0 });
    cp.add({ ...entry('old-gone'), updatedAt: 1 });
    cp.add({ ...entry('old-present'), updatedAt: 1 });
    cp.add({ ...entry('recent-gone'), updatedAt: Math.floor(Date.now() / 1000) });
    expect(cp.prune(new Set(['old-present']), 7 * 24 * 3600)).toEqual(['old-gone']);
    expect([...cp.all()].map((e) => e.key).sort()).toEqual(['old-present', 'recent-gone']);
  });

  it('refuses a damaged file or another version instead of starting over silently', async () => {
    writeFileSync(scratch.path(CHECKPOINT_FILE), '{"version":1,"files":[{"key":');
    await expect(Checkpointer.open(scratch.dir)).rejects.toMatchObject({ code: 'VIGIL_CHECKPOINT', message: expect.stringMatching(/not valid JSON/) });
    writeFileSync(scratch.path(CHECKPOINT_FILE), JSON.stringify({ version: 2, files: [] }));
    await expect(Checkpointer.open(scratch.dir)).rejects.toMatchObject({ code: 'VIGIL_CHECKPOINT', message: expect.stringMatching(/version 2/) });
    writeFileSync(scratch.path(CHECKPOINT_FILE), JSON.stringify({ version: 1, files: [{ ...entry('x'), offset: -5 }] }));
    await expect(Checkpointer.open(scratch.dir)).rejects.toMatchObject({ code: 'VIGIL_CHECKPOINT', message: expect.stringMatching(/files\.0\.offset/) });
  });
});
