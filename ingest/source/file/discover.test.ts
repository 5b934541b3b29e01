import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { discover, isLogFileName } from './discover';
import { CONN_LOG, corpusBytes, type Scratch, scratchDir } from './files.fixture';

describe('isLogFileName', () => {
  it.each([
    'conn.log',
    'conn.log.gz',
    'dns.json',
    'dns.json.gz',
    'conn.log.labeled',
    'conn.2026-11-24-10-00-00.log',
    'conn.10:00:00-11:00:00.log.gz',
    'modbus_detailed.log',
  ])('takes %s', (name) => expect(isLogFileName(name)).toBe(true));

  it.each(['.status', '.conn.log.swp', 'stderr.log', 'stdout.log', 'checkpoints', 'README.md', 'conn.log.tmp', '.log', 'capture.pcap'])('leaves out %s', (name) =>
    expect(isLogFileName(name)).toBe(false),
  );
});

describe('discover', () => {
  let scratch: Scratch;
  beforeEach(() => {
    scratch = scratchDir();
    const content = corpusBytes(CONN_LOG);
    for (const name of ['conn.log', 'dns.log.gz', '.status', 'stderr.log', 'notes.txt', 'checkpoints.json']) writeFileSync(scratch.path(name), content);
    mkdirSync(scratch.path('2026-11-24'));
    writeFileSync(scratch.path('2026-11-24', 'conn.10:00:00-11:00:00.log.gz'), content);
    symlinkSync(scratch.path('2026-11-24'), scratch.path('loop'));
  });
  afterEach(() => scratch.remove());

  it('lists the log files of a directory in name order, not its subdirectories by default', async () => {
    const found = await discover([scratch.dir], { ignore: new Set([scratch.path('checkpoints.json')]) });
    expect(found.errors).toEqual([]);
    expect(found.files.map((f) => f.path)).toEqual([scratch.path('conn.log'), scratch.path('dns.log.gz')]);
    expect(found.files[0].stats.size).toBe(corpusBytes(CONN_LOG).length);
  });

  it('goes into subdirectories when recursive, never through symbolic links', async () => {
    const found = await discover([scratch.dir], { recursive: true, exclude: [/^dns\./], ignore: new Set([scratch.path('checkpoints.json')]) });
    expect(found.files.map((f) => f.path)).toEqual([scratch.path('2026-11-24', 'conn.10:00:00-11:00:00.log.gz'), scratch.path('conn.log')]);
  });

  it('always takes a file given explicitly, once, and reports a path that does not exist', async () => {
    const found = await discover([scratch.path('notes.txt'), scratch.dir, scratch.path('conn.log'), scratch.path('missing.log')], { include: [/^conn\./] });
    expect(found.files.map((f) => f.path)).toEqual([scratch.path('notes.txt'), scratch.path('conn.log')]);
    expect(found.errors).toHaveLength(1);
    expect(found.errors[0]).toMatchObject({ code: 'VIGIL_SOURCE', meta: { path: scratch.path('missing.log'), errno: 'ENOENT' } });
  });
});
