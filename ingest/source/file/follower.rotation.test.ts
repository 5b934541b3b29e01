import { appendFileSync, mkdirSync, readFileSync, renameSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { SourceLine } from '../line';
import { CONN_LOG, corpusDataLines, rangesOf, type Scratch, scratchDir } from './files.fixture';
import { FileSource, type FileSourceWarning } from './follower';

/**
 * Model-based test of the file source in the style of Vector's file source tests: random sequences of appends,
 * rotations, gzips, truncations, crashes and clean restarts, with reading passes whose acknowledgements come back
 * late and out of order. Whatever happens, every line that was not destroyed by a truncation before it was read
 * must end up in the sink, each line under one (key, offset) identity only, and nothing else may.
 */

const CORPUS_LINES = corpusDataLines(CONN_LOG);
const LIVE = 'conn.log';

/** What the files hold, as the test wrote them. */
interface Model {
  /** File name -> its lines. */
  files: Map<string, string[]>;
  rotations: number;
}

interface PendingAck {
  key: string;
  start: number;
  end: number;
  lines: string[];
}

/** The real thing: files on disk, a source, and a fake sink keyed by (file key, offset) as Elasticsearch ids are. */
class World {
  readonly scratch: Scratch = scratchDir();
  readonly logs = this.scratch.path('logs');
  source: FileSource | undefined;
  nextLine = 0;
  readonly appended = new Set<string>();
  /** Lines truncated away: they can never be read (again). */
  readonly gone = new Set<string>();
  /** Lines truncated away before the source handed them out: they can never be delivered. */
  readonly destroyed = new Set<string>();
  readonly sink = new Map<string, string>();
  readonly identityOf = new Map<string, string>();
  readonly deliveries = new Map<string, number>();
  /** Lines handed out but not acknowledged when the source went down, with their delivery count then. */
  readonly mustComeAgain = new Map<string, number>();
  pending: PendingAck[] = [];
  readonly warnings: FileSourceWarning[] = [];
  readonly errors: string[] = [];
  private headerChecked = new Set<string>();

  constructor(readonly batchMaxLines: number) {
    mkdirSync(this.logs);
  }

  path(name: string): string {
    return `${this.logs}/${name}`;
  }

  async start(): Promise<FileSource> {
    this.source ??= await FileSource.open({
      paths: [this.logs],
      stateDir: this.scratch.path('state'),
      pollIntervalMs: 0,
      // Gzip files are complete when the test writes them, and every line has its newline.
      partialLineTimeoutMs: 0,
      // Checkpoints reach the disk only when a pass flushes them (or a file is new): a crash loses the rest.
      checkpointFlushIntervalMs: 0,
      batchMaxLines: this.batchMaxLines,
      onWarning: (w) => this.warnings.push(w),
      onFileError: (err) => this.errors.push(err.message),
    });
    return this.source;
  }

  deliver(source: FileSource, line: SourceLine): void {
    const text = line.bytes.toString('latin1');
    const id = `${line.file.key}@${line.offset}`;
    if (!this.appended.has(text)) throw new Error(`delivered a line that was never appended: ${JSON.stringify(text)} as ${id}`);
    const before = this.sink.get(id);
    if (before !== undefined && before !== text) throw new Error(`identity ${id} delivered with two contents`);
    const other = this.identityOf.get(text);
    if (other !== undefined && other !== id) throw new Error(`line delivered under two identities: ${other} and ${id}`);
    this.sink.set(id, text);
    this.identityOf.set(text, id);
    this.deliveries.set(text, (this.deliveries.get(text) ?? 0) + 1);
    if (!this.headerChecked.has(line.file.key)) {
      // The first line of a file in this run starts where its checkpoint was: the header given with that commit.
      this.headerChecked.add(line.file.key);
      const expected = line.offset === 0 ? [] : [`${line.file.key}@${line.offset}`];
      const got = source.resumeHeader(line.file).map(String);
      if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`resume header ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    }
  }

  commit(source: FileSource, ack: PendingAck): void {
    source.commitRange(ack.key, ack.start, ack.end, [Buffer.from(`${ack.key}@${ack.end}`)]);
  }

  /** The source went down: what it handed out and was not acknowledged must come again (unless destroyed). */
  down(): void {
    for (const ack of this.pending) {
      for (const line of ack.lines) if (!this.gone.has(line)) this.mustComeAgain.set(line, this.deliveries.get(line) ?? 0);
    }
    this.pending = [];
    this.source = undefined;
    this.headerChecked = new Set();
  }
}

/** A small deterministic generator for the choices inside one command. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

type Command = fc.AsyncCommand<Model, World>;

class Append implements Command {
  constructor(readonly count: number) {}
  check = () => true;
  async run(model: Model, world: World): Promise<void> {
    const lines = CORPUS_LINES.slice(world.nextLine, world.nextLine + this.count);
    world.nextLine += this.count;
    for (const line of lines) world.appended.add(line);
    appendFileSync(world.path(LIVE), lines.map((l) => `${l}\n`).join(''));
    model.files.set(LIVE, [...(model.files.get(LIVE) ?? []), ...lines]);
  }
  toString = () => `append(${this.count})`;
}

class Rotate implements Command {
  check = (model: Readonly<Model>) => model.files.has(LIVE);
  async run(model: Model, world: World): Promise<void> {
    const name = `conn.2026-11-24-10-${String(model.rotations++).padStart(2, '0')}-00.log`;
    renameSync(world.path(LIVE), world.path(name));
    model.files.set(name, model.files.get(LIVE)!);
    model.files.delete(LIVE);
  }
  toString = () => 'rotate';
}

/** Zeek's archiver: gzip a rotated file, then delete the plain one. */
class Gzip implements Command {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => rotatedPlain(model).length > 0;
  async run(model: Model, world: World): Promise<void> {
    const candidates = rotatedPlain(model);
    const name = candidates[this.pick % candidates.length];
    writeFileSync(world.path(`${name}.gz`), gzipSync(readFileSync(world.path(name))));
    unlinkSync(world.path(name));
    model.files.set(`${name}.gz`, model.files.get(name)!);
    model.files.delete(name);
  }
  toString = () => `gzip(${this.pick})`;
}

/** copytruncate-style: the live file is emptied in place; what was not read yet is gone. */
class Truncate implements Command {
  check = (model: Readonly<Model>) => model.files.has(LIVE);
  async run(model: Model, world: World): Promise<void> {
    truncateSync(world.path(LIVE), 0);
    for (const line of model.files.get(LIVE)!) {
      world.gone.add(line);
      if (!world.deliveries.has(line)) world.destroyed.add(line);
      world.mustComeAgain.delete(line);
    }
    model.files.set(LIVE, []);
  }
  toString = () => 'truncate';
}

/** A crash (the source dropped as it is) or a clean stop; acknowledgements in flight are lost either way. */
class Restart implements Command {
  constructor(readonly clean: boolean) {}
  check = () => true;
  async run(_model: Model, world: World): Promise<void> {
    if (!world.source) return;
    if (this.clean) await world.source.close();
    world.down();
  }
  toString = () => (this.clean ? 'stop' : 'crash');
}

/** Reads until the source is idle; acknowledges everything (in a random order) or a random part, maybe flushes. */
class Pass implements Command {
  constructor(
    readonly ackAll: boolean,
    readonly seed: number,
    readonly flush: boolean,
  ) {}
  check = () => true;
  async run(_model: Model, world: World): Promise<void> {
    await pass(world, this.ackAll, this.seed, this.flush);
  }
  toString = () => `pass(${this.ackAll ? 'ack all' : 'ack some'}${this.flush ? ', flush' : ''})`;
}

async function pass(world: World, ackAll: boolean, seed: number, flush: boolean): Promise<void> {
  const source = await world.start();
  const next = random(seed);
  for (let idle = 0; idle < 2; ) {
    const batch = await source.readBatch();
    if (!batch || batch.length === 0) {
      idle++;
      continue;
    }
    idle = 0;
    for (const line of batch) world.deliver(source, line);
    for (const [key, range] of rangesOf(batch)) {
      const lines = batch.filter((l) => l.file.key === key).map((l) => l.bytes.toString('latin1'));
      world.pending.push({ key, ...range, lines });
    }
    // Acknowledgements of concurrent bulk requests: some come back now, in any order.
    const now = world.pending.filter(() => next() < 0.5);
    world.pending = world.pending.filter((ack) => !now.includes(ack));
    for (const ack of now) world.commit(source, ack);
  }
  if (ackAll) {
    const all = world.pending.sort(() => next() - 0.5);
    world.pending = [];
    for (const ack of all) world.commit(source, ack);
  }
  if (flush) await source.flush();
}

function rotatedPlain(model: Readonly<Model>): string[] {
  return [...model.files.keys()].filter((name) => name !== LIVE && !name.endsWith('.gz'));
}

const commands = [
  fc.integer({ min: 1, max: 8 }).map((n) => new Append(n)),
  fc.constant(new Rotate()),
  fc.nat().map((n) => new Gzip(n)),
  fc.constant(new Truncate()),
  fc.boolean().map((clean) => new Restart(clean)),
  fc.tuple(fc.boolean(), fc.integer({ min: 1 }), fc.boolean()).map(([all, seed, flush]) => new Pass(all, seed, flush)),
];

describe('FileSource under random rotation, compression, truncation and crashes', () => {
  it('delivers every line that was not destroyed, under one identity each, and nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.commands(commands, { size: 'large', maxCommands: 40 }), async (batchMaxLines, cmds) => {
        const world = new World(batchMaxLines);
        try {
          await fc.asyncModelRun(() => ({ model: { files: new Map(), rotations: 0 }, real: world }), cmds);
          // The source that is running (if any) must catch up by itself, without a restart's help...
          await pass(world, true, 1, false);
          const missing = () => [...world.appended].filter((line) => !world.destroyed.has(line) && !world.deliveries.has(line));
          expect(missing()).toEqual([]);
          // ...and after a last restart, what was not acknowledged comes again, under the same identities.
          await world.source!.close();
          world.down();
          await pass(world, true, 1, false);
          await world.source!.close();
          expect(missing()).toEqual([]);
          const notAgain = [...world.mustComeAgain].filter(([line, count]) => (world.deliveries.get(line) ?? 0) <= count);
          expect(notAgain).toEqual([]);
          expect(new Set(world.sink.values()).size).toBe(world.sink.size);
          expect(world.errors).toEqual([]);
          expect(world.warnings.filter((w) => w.code === 'deleted_unread')).toEqual([]);
        } finally {
          world.scratch.remove();
        }
      }),
      { numRuns: 80 },
    );
  });
});
