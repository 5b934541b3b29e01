import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mailEventsIndex, mailMessagesIndex, MAIL_EVENTS_PATTERN, MAIL_MESSAGES_ALIAS, MAIL_MESSAGES_PATTERN } from '../common/es/names';
import { parseMailLine } from '../ingest/parse/mail';
import { mailEventDocument } from '../ingest/normalize/mail/event';
import { MessageAssembler } from '../ingest/reconstruct/mail/assembler';
import { toDocument } from '../ingest/reconstruct/mail/message';
import { corpusMailLines, grokCases, replayMessages } from './mail-replay';
import { deleteEvents, plainBulk, round2, runIngestCommand, type EsTarget } from './zeek-ingest';

/**
 * Mail ingest benchmark, each figure beside a reference from the same run:
 *  - mail lines parsed per second, against the rate at which Elasticsearch indexes the documents made from the same
 *    lines, sent as a plain `_bulk` (target: parsing at least 10 times faster); and the parse rate of the corpus's
 *    every daemon, beside it. Each is the best of three rounds after a warm-up;
 *  - messages reconstructed per second (parsing included);
 *  - the worker's peak RSS while 100k messages are open at once (target: under 300 MB).
 */

const TIME = { reference: Date.UTC(2026, 11, 31), timeZone: 'UTC' };
const OPEN_AT_ONCE = 100_000;
/** Measured rounds of the parse rates and of the reference; the best of each is kept. */
const ROUNDS = 3;

export interface MailBenchResult {
  parseLinesPerSecond: number;
  plainBulkDocsPerSecond: number;
  parseOverBulk: number;
  corpusParseLinesPerSecond: number;
  corpusParseOverBulk: number;
  messagesPerSecond: number;
  endToEndLinesPerSecond: number;
  messagesOpenAtOnce: number;
  peakRssMb: number;
}

export async function benchMailIngest(es: EsTarget, minLines: number, say: (line: string) => void): Promise<MailBenchResult> {
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-mail-'));
  try {
    // Complete messages, 100k open at once: the lines parsed, reconstructed, indexed and ingested below.
    const messages = Math.max(OPEN_AT_ONCE + OPEN_AT_ONCE / 2, Math.ceil(minLines / 7));
    // A busy server's pace, 1000 lines a second: a message then lives about 12 minutes of log time, within the
    // default message timeout, as in life.
    const replay = replayMessages(messages, OPEN_AT_ONCE, grokCases(), 1000);

    // Parsing, after a warm-up round as the reference has: both are then measured in their steady state, not while
    // V8 is still compiling the parsers (a worker runs for days, not for two seconds). The target compares like with
    // like: the lines whose documents the reference indexes. The corpus's variety (every daemon of fail2ban's logs
    // and every Postfix case, repeated to volume) is measured too, as the rate of a mixed log.
    const replayParse = parseRateOf(replay.lines, 1);
    // Every replayed line is a real Postfix line behind a syslog header: one refused would be a regression, not speed.
    if (replayParse.refused > 0) throw new Error(`${replayParse.refused} replayed lines were refused`);
    const parseRate = replayParse.rate;
    say(`parse: ${replay.lines.length} lines of the replayed messages at ${Math.round(parseRate)} lines/s`);
    const corpus = corpusMailLines();
    const corpusParse = parseRateOf(corpus, Math.ceil(minLines / corpus.length));
    const corpusRate = corpusParse.rate;
    say(`parse: the corpus's ${corpus.length} lines of every daemon (${corpusParse.refused} without a header), repeated to ${minLines}, at ${Math.round(corpusRate)} lines/s`);

    // Reconstruction, parsing included.
    const assembler = new MessageAssembler({ messageTimeoutMs: 3600_000, deferredTimeoutMs: 5 * 86400_000, maxOpenMessages: 100_000 });
    let written = 0;
    const started = process.hrtime.bigint();
    replay.lines.forEach((line, i) => {
      const outcome = parseMailLine(line, TIME);
      if (outcome.kind === 'event') assembler.add(outcome.header, outcome.event, `l${i}`);
      if ((i & 1023) === 0) written += assembler.takeDirty().length;
    });
    written += assembler.takeDirty().length;
    const assembleSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const messageRate = messages / assembleSeconds;
    say(`reconstruct: ${messages} messages from ${replay.lines.length} lines in ${assembleSeconds.toFixed(2)} s = ${Math.round(messageRate)} messages/s`);

    // The reference: what Elasticsearch makes of the documents of those lines, events and messages, as a plain bulk.
    const ndjson = join(work, 'mail.ndjson');
    await serialize(replay.lines, ndjson);
    await deleteEvents(es.client, [MAIL_EVENTS_PATTERN, MAIL_MESSAGES_PATTERN]);
    await plainBulk(es, ndjson); // warm-up, not measured
    let plainRate = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await deleteEvents(es.client, [MAIL_EVENTS_PATTERN, MAIL_MESSAGES_PATTERN]);
      const plain = await plainBulk(es, ndjson);
      plainRate = Math.max(plainRate, plain.docs / plain.seconds);
      say(`plain _bulk of the same documents: ${plain.docs} docs in ${plain.seconds.toFixed(2)} s = ${Math.round(plain.docs / plain.seconds)} docs/s`);
    }
    rmSync(ndjson);

    // End to end through the command, for its peak RSS with 100k messages open.
    await deleteEvents(es.client, [MAIL_EVENTS_PATTERN, MAIL_MESSAGES_PATTERN]);
    const log = join(work, 'mail.log');
    writeFileSync(log, replay.lines.join('\n') + '\n');
    const config = join(work, 'vigil.json');
    writeFileSync(config, JSON.stringify({ ingest: { mail: { timeZone: 'UTC' }, metrics: { listen: null } } }));
    const e2e = await runIngestCommand(es, ['mail', log], join(work, 'state'), { VIGIL_CONFIG: config });
    await es.client.indices.refresh({ index: MAIL_MESSAGES_ALIAS });
    const stored = (await es.client.count({ index: MAIL_MESSAGES_ALIAS })).count;
    if (stored !== messages) throw new Error(`end to end stored ${stored} messages, expected ${messages}`);
    say(`end to end: ${replay.lines.length} lines, ${stored} messages in ${e2e.seconds.toFixed(2)} s, peak RSS ${e2e.peakRssMb} MB`);
    await deleteEvents(es.client, [MAIL_EVENTS_PATTERN, MAIL_MESSAGES_PATTERN]);
    return {
      parseLinesPerSecond: Math.round(parseRate),
      plainBulkDocsPerSecond: Math.round(plainRate),
      parseOverBulk: round2(parseRate / plainRate),
      corpusParseLinesPerSecond: Math.round(corpusRate),
      corpusParseOverBulk: round2(corpusRate / plainRate),
      messagesPerSecond: Math.round(messageRate),
      endToEndLinesPerSecond: Math.round(replay.lines.length / e2e.seconds),
      messagesOpenAtOnce: OPEN_AT_ONCE,
      peakRssMb: e2e.peakRssMb,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Lines parsed per second over `repeats` passes of `lines`, after a warm-up of a quarter of that: the best of
 * `ROUNDS` rounds, as the reference's is, so that a moment of the machine's other work (Elasticsearch's own, on
 * the same cores) is not taken for the parser's speed. And how many lines had no header.
 */
function parseRateOf(lines: readonly string[], repeats: number): { rate: number; refused: number } {
  const total = repeats * lines.length;
  for (let i = 0; i < total / 4; i++) parseMailLine(lines[i % lines.length], TIME);
  let best = 0;
  let errors = 0;
  for (let round = 0; round < ROUNDS; round++) {
    errors = 0;
    const started = process.hrtime.bigint();
    for (let r = 0; r < repeats; r++) for (const line of lines) if (parseMailLine(line, TIME).kind === 'error') errors++;
    best = Math.max(best, total / (Number(process.hrtime.bigint() - started) / 1e9));
  }
  return { rate: best, refused: errors / repeats };
}

/** The bulk body the worker would send for these lines: one event per line, and each message once, as it ends. */
async function serialize(lines: string[], file: string): Promise<void> {
  const out = createWriteStream(file);
  const assembler = new MessageAssembler({ messageTimeoutMs: 3600_000, deferredTimeoutMs: 5 * 86400_000, maxOpenMessages: 100_000 });
  const ingested = new Date().toISOString();
  let chunk: string[] = [];
  const flush = async () => {
    if (!out.write(chunk.join(''))) await new Promise<void>((r) => out.once('drain', () => r()));
    chunk = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const outcome = parseMailLine(lines[i], TIME);
    if (outcome.kind === 'error') continue;
    const event = outcome.kind === 'event' ? outcome.event : undefined;
    const doc = mailEventDocument(lines[i], outcome.header, event, { ingested, sensor: 'bench', filePath: 'mail.log', offset: i });
    chunk.push(`{"create":{"_index":"${mailEventsIndex(doc['@timestamp'] as string, 'daily')}","_id":"e${i}"}}\n${JSON.stringify(doc)}\n`);
    if (event) assembler.add(outcome.header, event, `e${i}`);
    for (const m of assembler.takeDirty()) {
      if (m.state === 'open') continue;
      const message = toDocument(m, { ingested, sensor: 'bench' });
      chunk.push(`{"index":{"_index":"${mailMessagesIndex(message['@timestamp'] as string, 'daily')}","_id":"${m.id}"}}\n${JSON.stringify(message)}\n`);
    }
    if (chunk.length >= 10_000) await flush();
  }
  await flush();
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}
