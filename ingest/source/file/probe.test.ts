import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { CONN_LOG, corpusBytes, DNS_LOG_GZ, type Scratch, scratchDir } from './files.fixture';
import { tailOf } from './fingerprint';
import { probe } from './probe';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('probe', () => {
  let scratch: Scratch;
  beforeEach(() => {
    scratch = scratchDir();
  });
  afterEach(() => scratch.remove());

  it('hashes a plain file at the places asked, and its end', async () => {
    const content = corpusBytes(CONN_LOG);
    const windows = [
      { start: 0, end: 10 },
      { start: 500_000, end: 500_256 },
      { start: content.length - 5, end: content.length + 5 },
    ];
    const found = await probe(CONN_LOG, false, windows, true);
    expect(found.hashes).toEqual([sha256(content.subarray(0, 10)), sha256(content.subarray(500_000, 500_256)), undefined]);
    expect(found.last).toEqual(tailOf(content, 0));
    expect(found.last!.end).toBe(content.length);
    expect((await probe(CONN_LOG, false, [], false)).last).toBeUndefined();
  });

  it('decompresses a gzip file only as far as needed, with windows across its chunks', async () => {
    const content = gunzipSync(corpusBytes(DNS_LOG_GZ));
    expect(content.length).toBeGreaterThan(200_000);
    // Wherever the windows fall in the chunks decompression yields.
    const windows = [
      { start: 100, end: 356 },
      { start: 65_500, end: 65_700 },
      { start: content.length - 256, end: content.length },
    ];
    const found = await probe(DNS_LOG_GZ, true, windows, false);
    expect(found.hashes).toEqual(windows.map((w) => sha256(content.subarray(w.start, w.end))));
    expect(found.last).toBeUndefined();
    const whole = await probe(DNS_LOG_GZ, true, [{ start: content.length, end: content.length + 1 }], true);
    expect(whole.hashes).toEqual([undefined]);
    expect(whole.last).toEqual(tailOf(content, 0));
  });

  it('hashes what comes before the damage of a gzip file cut short, and cannot tell its end', async () => {
    const packed = corpusBytes(DNS_LOG_GZ);
    const cut = scratch.path('dns.log.gz');
    writeFileSync(cut, packed.subarray(0, Math.floor(packed.length / 2)));
    const content = gunzipSync(packed);
    const found = await probe(cut, true, [{ start: 0, end: 1000 }, { start: content.length - 10, end: content.length }], true);
    expect(found.hashes).toEqual([sha256(content.subarray(0, 1000)), undefined]);
    expect(found.last).toBeUndefined();
  });
});
