import { BatchBody, BufferPool } from './batch';

const META = { logType: 'mail.postfix' };

function filled(pool: BufferPool, docs: number, limit = 1 << 20): BatchBody {
  const body = new BatchBody(1024, limit, pool);
  for (let i = 0; i < docs; i++) body.add('vigil-mail-events-2026.11.24', `e${i}`, JSON.stringify({ message: 'x'.repeat(100), i }), 'mail.postfix', META);
  return body;
}

describe('BatchBody with a buffer pool', () => {
  it('hands a released buffer, grown to its batch, to the next batch, whose body holds only its own documents', () => {
    const pool = new BufferPool(3);
    const first = filled(pool, 50);
    const firstBody = first.view();
    first.release();
    expect(pool.size).toBe(1);
    const second = filled(pool, 1);
    // The same memory, so no new allocation; what the second batch reads is its own single document.
    expect(second.view().buffer).toBe(firstBody.buffer);
    expect(second.view().toString('utf8').trim().split('\n')).toHaveLength(2);
    expect(second.items).toHaveLength(1);
    expect(pool.size).toBe(0);
  });

  it('keeps at most as many buffers as it was told, and the largest is used first', () => {
    const pool = new BufferPool(2);
    const small = filled(pool, 1);
    const large = filled(pool, 100);
    const other = filled(pool, 1);
    const largeBytes = large.view().buffer.byteLength;
    for (const b of [small, large, other]) b.release();
    expect(pool.size).toBe(2);
    expect(pool.take(1024).byteLength).toBe(largeBytes);
  });

  it('grows a few times, not once per document, when documents keep coming past its limit', () => {
    const body = new BatchBody(16 * 1024, 16 * 1024);
    const buffers = new Set<ArrayBufferLike>();
    for (let i = 0; i < 2000; i++) {
      body.add('vigil-mail-messages-2026.11.24', `m${i}`, JSON.stringify({ message: 'x'.repeat(100), i }), 'mail.message', META, 'index');
      buffers.add(body.view().buffer);
    }
    expect(body.bytes).toBeGreaterThan(250 * 1024);
    // 16 KB doubled to the limit at once, then by half again to the 260 KB the documents take: about ten buffers.
    expect(buffers.size).toBeLessThan(15);
    const lines = body.view().toString('utf8').trim().split('\n');
    expect(lines).toHaveLength(4000);
    expect(JSON.parse(lines[3999])).toEqual({ message: 'x'.repeat(100), i: 1999 });
  });

  it('refuses to be written once its buffer is released', () => {
    const pool = new BufferPool(1);
    const body = filled(pool, 1);
    body.release();
    expect(() => body.add('i', 'x', '{}', 'mail.postfix', META)).toThrow(/released/);
  });
});
