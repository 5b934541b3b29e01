import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SourceError } from '../../../common/errors';
import { waitFor } from '../../../test/support/wait';
import { type Scratch, scratchDir } from '../file/files.fixture';
import { readSpool, realMessage, segmentFiles } from './messages.fixture';
import { encodeSpoolRecord } from './record';
import { SEGMENT_NAME, Spool, type SpoolOptions } from './spool';

const PEER = '192.0.2.25';

describe('Spool', () => {
  let scratch: Scratch;
  let dir: string;
  let errors: SourceError[];
  let changes: number;
  const open: Spool[] = [];

  async function spool(options: Partial<SpoolOptions> = {}): Promise<Spool> {
    const s = await Spool.open({
      dir,
      segmentBytes: 4096,
      fsyncIntervalMs: 10,
      writeBufferBytes: 1024 * 1024,
      onError: (e) => errors.push(e),
      onChange: () => changes++,
      ...options,
    });
    open.push(s);
    return s;
  }

  /** Appends real messages `from`.. one record per append; returns the records' text. */
  function append(s: Spool, from: number, count: number): string[] {
    const msgs: string[] = [];
    for (let n = from; n < from + count; n++) {
      msgs.push(realMessage(n));
      s.append(encodeSpoolRecord(n, PEER, Buffer.from(realMessage(n))), 1);
    }
    return msgs;
  }

  const sizes = () => segmentFiles(dir).reduce((sum, f) => sum + statSync(f).size, 0);

  beforeEach(() => {
    scratch = scratchDir();
    dir = scratch.path('syslog-spool');
    errors = [];
    changes = 0;
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    scratch.remove();
  });

  it('appends into segments named by time and sequence, starting the next one at segmentBytes', async () => {
    const s = await spool();
    const sent = append(s, 0, 200);
    const recordBytes = sent.map((m, n) => Buffer.byteLength(encodeSpoolRecord(n, PEER, Buffer.from(m))));
    expect(s.diskBytes).toBe(recordBytes.reduce((a, b) => a + b, 0));
    await s.close();

    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(5);
    const seqs = files.map((f) => Number(SEGMENT_NAME.exec(path.basename(f))![2]));
    expect(seqs).toEqual(seqs.map((_, i) => i));
    for (const f of files.slice(0, -1)) {
      expect(statSync(f).size).toBeGreaterThanOrEqual(4096);
      expect(statSync(f).size).toBeLessThan(4096 + Math.max(...recordBytes));
    }
    expect(readSpool(dir)).toEqual(sent.map((msg, t) => ({ t, peer: PEER, msg })));
    expect(s.diskBytes).toBe(sizes());
    expect(s.counters).toEqual({ bytesSpooled: sizes(), messagesLost: 0, writeErrors: 0, segmentsDeleted: 0 });
    expect(errors).toEqual([]);
  });

  it('deletes a closed segment only once the consumer has committed it to its end, never the open one', async () => {
    const s = await spool();
    append(s, 0, 60);
    const files = segmentFiles(dir);
    // Each segment is collectable once it is closed (written, synced), which the spool tells as a change.
    await waitFor(async () => changes >= files.length - 1, 'the rotated segments to be closed');
    const [first, second] = files;
    const open = files[files.length - 1];
    const committed = new Map<string, number>([
      [first, statSync(first).size],
      [second, statSync(second).size - 1],
      [open, statSync(open).size],
    ]);
    const before = s.diskBytes;
    await s.collect((p) => committed.get(p));
    expect(segmentFiles(dir)).toEqual(files.slice(1));
    expect(s.diskBytes).toBe(before - committed.get(first)!);
    expect(s.counters.segmentsDeleted).toBe(1);

    committed.set(second, statSync(second).size);
    await s.collect((p) => committed.get(p));
    expect(segmentFiles(dir)).toEqual(files.slice(2));
    expect(s.diskBytes).toBe(sizes());
  });

  it('keeps the segments of an earlier run, counts them, and starts a new segment after them', async () => {
    const first = await spool();
    const sent = append(first, 0, 40);
    await first.close();
    const earlier = segmentFiles(dir);
    // An empty segment, as a crash right after one was created leaves it: nothing to read, so it goes without asking.
    const empty = path.join(dir, path.basename(earlier[0]).replace(/-\d{6}\.jsonl$/, '-999998.jsonl'));
    writeFileSync(empty, '');

    const second = await spool();
    expect(second.diskBytes).toBe(sizes());
    expect(second.segments).toBe(earlier.length + 2);
    expect(earlier.every((f) => statSync(f).size > 0)).toBe(true);
    sent.push(...append(second, 40, 3));
    await second.collect(() => undefined);
    expect(segmentFiles(dir)).not.toContain(empty);
    await second.close();
    const now = segmentFiles(dir);
    expect(now.slice(0, earlier.length)).toEqual(earlier);
    expect(SEGMENT_NAME.exec(path.basename(now[now.length - 1]))![2]).toBe('999999');
    expect(readSpool(dir).map((r) => r.msg)).toEqual(sent);
  });

  it('holds what is appended while no segment can be created, and writes it once one can', async () => {
    const s = await spool();
    const sent = append(s, 0, 5);
    // The next segment's directory is not a directory anymore; the open segment is still written.
    const aside = scratch.path('aside');
    renameSync(dir, aside);
    writeFileSync(dir, '');
    while (!s.failed) sent.push(...append(s, sent.length, 1));
    expect(errors).toEqual([expect.objectContaining({ code: 'VIGIL_SOURCE', message: expect.stringMatching(/cannot be created \(ENOTDIR\)/) })]);
    expect(s.counters.writeErrors).toBe(1);
    sent.push(...append(s, sent.length, 30));
    expect(s.retry()).toBe(false);

    rmSync(dir);
    renameSync(aside, dir);
    expect(s.retry()).toBe(true);
    expect(s.failed).toBeUndefined();
    sent.push(...append(s, sent.length, 3));
    await s.close();
    expect(readSpool(dir).map((r) => r.msg)).toEqual(sent);
    expect(s.diskBytes).toBe(sizes());
    expect(s.counters.messagesLost).toBe(0);
  });

  it('counts what it held as lost when it closes without a segment to write it to', async () => {
    const s = await spool();
    append(s, 0, 5);
    renameSync(dir, scratch.path('aside'));
    writeFileSync(dir, '');
    // The append that fills a segment is written to it; only what comes after the failed rotation is held.
    for (let n = 5; !s.failed; n++) append(s, n, 1);
    append(s, 100, 7);
    await s.close();
    expect(s.counters.messagesLost).toBe(7);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/cannot be created/), expect.stringMatching(/^7 received syslog messages were lost/)]);
    expect(readFileSync(dir, 'utf8')).toBe('');
  });
});
