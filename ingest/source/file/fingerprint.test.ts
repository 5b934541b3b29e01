import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { CONN_LOG, corpusBytes, type Scratch, scratchDir } from './files.fixture';
import { distinctKey, fingerprint, generationKey, KEY_BYTES, keyForHead, readHead, TAIL_BYTES, tailOf } from './fingerprint';

describe('file identity', () => {
  let scratch: Scratch;
  beforeEach(() => {
    scratch = scratchDir();
  });
  afterEach(() => scratch.remove());

  it('reads the same head from a log and from its gzipped rotation', async () => {
    const content = corpusBytes(CONN_LOG);
    const rotated = scratch.path('conn.2026-11-24-10-00-00.log.gz');
    writeFileSync(rotated, gzipSync(content));
    const plain = await readHead(CONN_LOG, 1024);
    const packed = await readHead(rotated, 1024);
    expect(plain.gzip).toBe(false);
    expect(packed.gzip).toBe(true);
    expect(packed.gzipError).toBeUndefined();
    expect(packed.bytes.equals(content.subarray(0, 1024))).toBe(true);
    expect(fingerprint(packed.bytes, 1024)).toBe(fingerprint(plain.bytes, 1024));
  });

  it('knows gzip by its magic bytes, not by its name', async () => {
    const content = corpusBytes(CONN_LOG);
    const misnamed = scratch.path('conn.log');
    writeFileSync(misnamed, gzipSync(content));
    const notGzip = scratch.path('conn.log.gz');
    writeFileSync(notGzip, content.subarray(0, 5000));
    expect((await readHead(misnamed, 1024)).gzip).toBe(true);
    const plain = await readHead(notGzip, 1024);
    expect(plain.gzip).toBe(false);
    expect(plain.bytes.equals(content.subarray(0, 1024))).toBe(true);
  });

  it('takes the whole content of a file shorter than the fingerprint size', async () => {
    const content = corpusBytes(CONN_LOG).subarray(0, 300);
    const short = scratch.path('conn.log');
    writeFileSync(short, content);
    const head = await readHead(short, 1024);
    expect(head.bytes.equals(content)).toBe(true);
    // A prefix fingerprint still matches once the file has grown.
    writeFileSync(short, corpusBytes(CONN_LOG).subarray(0, 5000));
    expect(fingerprint((await readHead(short, 1024)).bytes, 300)).toBe(fingerprint(content, 300));
  });

  it('reports a gzip file cut short within its head, with what could be decompressed', async () => {
    const packed = gzipSync(corpusBytes(CONN_LOG));
    const cut = scratch.path('conn.log.gz');
    writeFileSync(cut, packed.subarray(0, 150));
    const head = await readHead(cut, 1024);
    expect(head.gzip).toBe(true);
    expect(head.gzipError).toBeDefined();
    expect(head.bytes.length).toBeLessThan(1024);
    expect(head.bytes.equals(corpusBytes(CONN_LOG).subarray(0, head.bytes.length))).toBe(true);
  });

  it('keys new content by its first KEY_BYTES bytes: logs that differ after the fingerprint get different keys', () => {
    const content = corpusBytes(CONN_LOG);
    expect(content.length).toBeGreaterThan(KEY_BYTES + 1);
    const changed = Buffer.from(content);
    changed[5000] ^= 1;
    expect(keyForHead(changed)).not.toBe(keyForHead(content));
    expect(fingerprint(changed, 1024)).toBe(fingerprint(content, 1024));
    const beyond = Buffer.from(content);
    beyond[KEY_BYTES] ^= 1;
    expect(keyForHead(beyond)).toBe(keyForHead(content));
    const key = keyForHead(content);
    expect(new Set([key, distinctKey(key, 2), distinctKey(key, 3), generationKey(key, 2)]).size).toBe(4);
    expect(distinctKey(key, 2)).toBe(distinctKey(keyForHead(Buffer.from(content)), 2));
  });

  it('takes a tail of the last TAIL_BYTES bytes, placed at their offset', () => {
    const content = corpusBytes(CONN_LOG);
    const tail = tailOf(content.subarray(1000, 5000), 1000);
    expect(tail).toEqual({ start: 5000 - TAIL_BYTES, end: 5000, sha256: fingerprint(content.subarray(5000 - TAIL_BYTES, 5000), TAIL_BYTES) });
    expect(tailOf(content.subarray(0, 10), 0)).toEqual({ start: 0, end: 10, sha256: fingerprint(content, 10) });
  });

  it('derives keys from content, deterministically, with a different key per generation', () => {
    const head = corpusBytes(CONN_LOG).subarray(0, 1024);
    const key = keyForHead(head);
    expect(key).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(keyForHead(Buffer.from(head))).toBe(key);
    expect(keyForHead(head.subarray(0, 1023))).not.toBe(key);
    expect(generationKey(key, 2)).toBe(generationKey(key, 2));
    expect(new Set([key, generationKey(key, 2), generationKey(key, 3), generationKey(generationKey(key, 2), 3)]).size).toBe(4);
  });
});
