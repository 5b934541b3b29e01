import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEAD_LETTER_INDEX, MAIL_EVENTS_ALIAS, MAIL_MESSAGES_ALIAS } from '../../common/es/names';
import type { IngestSummary } from '../../ingest/stats';
import { useTestEsClient } from '../harness/es';
import { jsonSummary, runVigil } from '../support/cli';
import { refresh, resetVigilData } from '../support/es-data';
import { ingestEnvironment } from '../support/ingest-env';
import { runMailScenarios, type ScenarioOutcome } from '../support/mail-scenarios';
import { startPostfix, type PostfixInstance } from '../support/postfix';

/**
 * Real mail through a real Postfix, its log read by the real `vigil ingest mail`: every message must come out as
 * one document with the right outcome for every recipient, however many lines Postfix spread it over, and reading
 * the log again, or in two parts with a restart between them, must give the very same documents.
 */

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('mail ingest of a real Postfix log', () => {
  const es = useTestEsClient();
  let postfix: PostfixInstance;
  let outcomes: ScenarioOutcome[];
  let log: string;

  beforeAll(async () => {
    postfix = await startPostfix();
    outcomes = await runMailScenarios(postfix);
    log = await postfix.readLog();
  }, 180_000);

  afterAll(async () => {
    await postfix?.stop();
  });

  type MailSummary = IngestSummary & { mail: { messagesRestored: number; messagesOpen: number } };

  async function ingest(env: Record<string, string>, path: string): Promise<MailSummary> {
    const run = await runVigil(['ingest', 'mail', '--once', '--json', path], env);
    if (run.code !== 0) throw new Error(`vigil ingest mail exited with ${run.code}:\n${run.stderr.slice(-3000)}`);
    return jsonSummary<MailSummary>(run);
  }

  async function messages(): Promise<Map<string, Doc>> {
    await refresh(es());
    const res = await es().search({ index: MAIL_MESSAGES_ALIAS, size: 1000, query: { match_all: {} } });
    const out = new Map<string, Doc>();
    for (const hit of res.hits.hits) {
      const doc = hit._source as Doc;
      // Rewritten at every write; everything else must be the same however the log was read.
      delete doc.event.ingested;
      out.set(hit._id!, doc);
    }
    return out;
  }

  function byQueueId(docs: Map<string, Doc>, queueId: string): Doc[] {
    return [...docs.values()].filter((d) => d.email.local_id === queueId);
  }

  it('makes one document per message with the outcome of every recipient', async () => {
    await resetVigilData(es());
    const { env, work } = await ingestEnvironment(es());
    const path = join(work, 'mail.log');
    writeFileSync(path, log);
    const lines = log.split('\n').filter((l) => l.length > 0).length;

    const summary = await ingest(env, path);
    expect(summary.linesRead).toBe(lines);
    expect(summary.filesRead).toBe(1);
    expect(summary.deadLettered).toBe(0);
    await refresh(es());
    expect((await es().count({ index: MAIL_EVENTS_ALIAS })).count).toBe(lines);
    expect((await es().count({ index: DEAD_LETTER_INDEX, ignore_unavailable: true })).count).toBe(0);

    const docs = await messages();
    for (const outcome of outcomes) {
      if (!outcome.queueId) continue;
      const found = byQueueId(docs, outcome.queueId);
      expect(found).toHaveLength(1);
      const [doc] = found;
      expect(doc.email.message_id).toBe(outcome.messageId);
      expect(doc.email.from.address).toEqual([outcome.from]);
      expect(doc.source.ip).toBe('127.0.0.1');
      const got = Object.fromEntries((doc.vigil.mail.recipients as Doc[]).map((r) => [r.address, r.status]));
      const want = Object.fromEntries(outcome.recipients.map((r) => [r.address, r.expected]));
      expect({ scenario: outcome.name, recipients: got }).toEqual({ scenario: outcome.name, recipients: want });
      expect(doc.vigil.mail.state).toBe(outcome.removed ? 'closed' : 'open');
      expect(doc.vigil.mail.fragment).toBeUndefined();
      // Every line of the message is linked, and each link is an event of this message.
      const events = await es().search({ index: MAIL_EVENTS_ALIAS, size: 100, query: { ids: { values: doc.vigil.mail.events } } });
      expect(events.hits.hits).toHaveLength(doc.vigil.mail.events_total);
      const linesOfIt = log.split('\n').filter((l) => l.includes(`: ${outcome.queueId}: `)).length;
      expect(doc.vigil.mail.events_total).toBeGreaterThanOrEqual(linesOfIt);
    }

    const status = (name: string) => byQueueId(docs, outcomes.find((o) => o.name === name)!.queueId!)[0].vigil.mail.status;
    expect(status('one-recipient')).toBe('delivered');
    expect(status('three-recipients')).toBe('delivered');
    expect(status('known-and-unknown-recipient')).toBe('partially_delivered');
    expect(status('unknown-then-known-recipient')).toBe('partially_delivered');
    expect(status('unreachable-domain')).toBe('deferred');
    expect(status('undeliverable-domain')).toBe('bounced');

    // The bounce names its non-delivery notice, which is a message of its own, from the null sender back to the sender.
    const bounced = outcomes.find((o) => o.name === 'undeliverable-domain')!;
    expect(byQueueId(docs, bounced.queueId!)[0].vigil.mail.bounce_notices).toEqual([bounced.noticeQueueId]);
    const [notice] = byQueueId(docs, bounced.noticeQueueId!);
    expect(notice.email.from.address).toEqual(['']);
    expect(notice.vigil.mail.recipients.map((r: Doc) => [r.address, r.status])).toEqual([[bounced.from, 'sent']]);

    // A transaction refused outright has no queue id and no message: its refusal is an event.
    const refused = outcomes.find((o) => o.name === 'only-unknown-recipient')!;
    expect(refused.queueId).toBeUndefined();
    const rejects = await es().search({
      index: MAIL_EVENTS_ALIAS,
      query: { bool: { filter: [{ term: { 'event.action': 'reject' } }, { term: { 'email.to.address': refused.recipients[0].address } }] } },
    });
    expect(rejects.hits.hits).toHaveLength(1);
    const reject = rejects.hits.hits[0]._source as Doc;
    expect(reject.source.ip).toBe('127.0.0.1');
    expect(reject.vigil.mail.reject.code).toBe(550);
    expect(reject.vigil.mail.reject.dsn).toBe('5.1.1');
    expect(reject.email.from.address).toEqual([refused.from]);
  }, 180_000);

  it('gives the same documents when the log is read again, or in two parts with a restart between them', async () => {
    await resetVigilData(es());
    const whole = await ingestEnvironment(es());
    const path = join(whole.work, 'mail.log');
    writeFileSync(path, log);
    await ingest(whole.env, path);
    const reference = await messages();

    // Again from scratch (fresh checkpoints): every event is already there, every message is rewritten unchanged.
    const again = await ingestEnvironment(es());
    const againPath = join(again.work, 'mail.log');
    writeFileSync(againPath, log);
    const replay = await ingest(again.env, againPath);
    expect(replay.duplicates).toBe(replay.linesRead);
    expect(await messages()).toEqual(reference);

    // In two parts: the first stops in the middle of messages; the second run reads the open ones back.
    await resetVigilData(es());
    const split = await ingestEnvironment(es());
    const splitPath = join(split.work, 'mail.log');
    const lines = log.split('\n').filter((l) => l.length > 0);
    // Cut right after the queue manager took the three-recipient message: it is open, its deliveries to come.
    const three = outcomes.find((o) => o.name === 'three-recipients')!.queueId!;
    const cut = lines.findIndex((l) => l.includes(`: ${three}: from=<`)) + 1;
    expect(cut).toBeGreaterThan(0);
    writeFileSync(splitPath, lines.slice(0, cut).join('\n') + '\n');
    await ingest(split.env, splitPath);
    const midway = await messages();
    expect([...midway.values()].some((d) => d.vigil.mail.state === 'open')).toBe(true);
    appendFileSync(splitPath, lines.slice(cut).join('\n') + '\n');
    const second = await ingest(split.env, splitPath);
    expect(second.linesRead).toBe(lines.length - cut);
    // The messages open at the cut (and those closed just before it) were read back, not started again.
    expect(second.mail.messagesRestored).toBeGreaterThanOrEqual([...midway.values()].filter((d) => d.vigil.mail.state === 'open').length);
    const rebuilt = await messages();
    // Where the lines came from differs (file keys, offsets of the split copy): compare what the messages say.
    const strip = (docs: Map<string, Doc>) =>
      new Map([...docs].map(([id, d]) => [id, { ...d, vigil: { mail: { ...d.vigil.mail, events: d.vigil.mail.events.length } } }]));
    expect(strip(rebuilt)).toEqual(strip(reference));
    expect(readFileSync(splitPath, 'utf8')).toBe(log.endsWith('\n') ? log : log + '\n');
  }, 300_000);
});
