import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ANOMALIES_ALIAS, BASELINES_INDEX, INCIDENTS_INDEX, MAIL_MESSAGES_ALIAS } from '../../common/es/names';
import { baselineId } from '../../detector/baseline/store';
import type { PassSummary } from '../../detector/pass';
import type { IngestSummary } from '../../ingest/stats';
import { localToEpoch } from '../../ingest/parse/mail/time';
import { useTestEsClient } from '../harness/es';
import { jsonSummary, runVigil } from '../support/cli';
import { detectorEnvironment, resetDetectorData } from '../support/detector-env';
import { refresh, resetVigilData } from '../support/es-data';
import { DEFAULT_MAIL_USERS, startPostfix, type PostfixInstance } from '../support/postfix';
import type { OutgoingMail } from '../support/smtp-send';

/**
 * The email model on mail that a real Postfix delivered, read by the real `vigil ingest mail` and judged by the
 * real `vigil detect`.
 *
 * History: a week of ordinary mail is made from real mail. Eight batches of it are sent through Postfix (a person
 * writing to the same two colleagues, another to one, a partner organisation writing in, a newsletter reaching four
 * new readers each time). The log Postfix wrote is then replayed: the lines of batch b are copied onto day 8 - b
 * before today, three times that day, three hours apart. Only two things are rewritten in each copy: the timestamp
 * prefix (shifted so that each copy starts a minute into a detection window, in the zone Postfix logs in) and the queue ids (a two-digit hexadecimal prefix
 * per copy, so that each copy is a message of its own, as a queue id is reused only by another message). The rest
 * of every line is as Postfix wrote it.
 *
 * Then the day of the test: the same ordinary mail, and three things that should stand out, sent through Postfix
 * the same way: the person who always writes to two colleagues writes to twelve people they never wrote to, a
 * sender at a lookalike of the organisation's domain (vigi1.test for vigil.test) writes to one of them, and a small
 * campaign: eight invoice reminders from four addresses of a domain never seen, to sixteen people. Those lines are
 * shifted back by half an hour or so only, so that their detection window is complete when the detector runs.
 */

const run = promisify(execFile);
const ORG = 'vigil.test';
const at = (user: string) => `${user}@${ORG}`;

const BATCHES = 8;
const COPIES_PER_DAY = 3;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const NEW_CONTACTS = ['frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent'];
const READERS = Array.from({ length: (BATCHES + 1) * 4 }, (_, i) => `reader${i}`);
const STAFF = Array.from({ length: 16 }, (_, i) => `staff${i}`);
const USERS = [...DEFAULT_MAIL_USERS, ...NEW_CONTACTS, ...READERS, ...STAFF];

const PARTNER = 'ops@partner.test';
const NEWSLETTER = 'news@letters.test';
const LOOKALIKE = 'ceo@vigi1.test';
const CAMPAIGN_DOMAIN = 'invoice-center.test';

/** The ordinary mail of one batch: `b` picks the newsletter's readers. */
function ordinaryMail(b: number): OutgoingMail[] {
  return [
    { from: at('alice'), to: [at('bob'), at('carol')], subject: `Weekly planning ${b + 1}`, body: 'Agenda attached.\n' },
    { from: at('dave'), to: [at('erin')], subject: 'Shift handover', body: 'Nothing to report.\n' },
    { from: PARTNER, to: [at('alice')], subject: `Delivery schedule week ${40 + b}`, body: 'Trucks arrive on Tuesday.\n' },
    { from: NEWSLETTER, to: READERS.slice(b * 4, b * 4 + 4).map(at), subject: `Letters issue ${100 + b}`, body: 'This month in letters.\n' },
  ];
}

function unusualMail(): OutgoingMail[] {
  const campaign = Array.from({ length: 8 }, (_, i) => ({
    from: `billing${(i % 4) + 1}@${CAMPAIGN_DOMAIN}`,
    to: [at(STAFF[2 * i]), at(STAFF[2 * i + 1])],
    subject: `Invoice ${4711 + i * 37} overdue`,
    body: 'Please pay the attached invoice today.\n',
  }));
  return [
    { from: at('alice'), to: NEW_CONTACTS.map(at), subject: 'Shared document', body: 'Please open the shared document.\n' },
    { from: LOOKALIKE, to: [at('alice')], subject: 'Urgent wire transfer', body: 'I need you to make a payment today.\n' },
    ...campaign,
  ];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** The syslog date Postfix's postlogd writes at the start of each line, with optional fraction of a second. */
const PREFIX = /^([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d)(\.\d+)? /;
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

function prefixTime(m: RegExpExecArray, now: number): number {
  const year = Number(new Intl.DateTimeFormat('en-US', { timeZone: ZONE, year: 'numeric' }).format(now));
  const [mo, d, h, mi, s] = [MONTHS.indexOf(m[1]) + 1, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])];
  const t = localToEpoch(year, mo, d, h, mi, s, 0, ZONE);
  return t > now + DAY ? localToEpoch(year - 1, mo, d, h, mi, s, 0, ZONE) : t;
}

function formatPrefix(t: number, fraction: string | undefined): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: ZONE, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(t)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.month} ${String(parts.day).padStart(2, ' ')} ${parts.hour}:${parts.minute}:${parts.second}${fraction ?? ''} `;
}

/** Queue ids of a Postfix log: the id before `: ` of a daemon's line, and those it names (`queued as`, notices). */
function queueIds(log: string): Set<string> {
  const ids = new Set<string>();
  for (const m of log.matchAll(/\]: ([0-9A-F]{6,}): /g)) ids.add(m[1]);
  return ids;
}

const QUARTER = 15 * 60_000;

/**
 * The lines of `segment` moved in time so that the first one falls a minute into the detection window (of 15
 * minutes, the default) around `around`: a segment lasts seconds, so it lies in one window whatever its original
 * time. Every timestamp moves by the same amount, and every queue id gets `prefix`. Lines without the date prefix
 * are kept unchanged (Postfix writes none).
 */
function replay(segment: string, around: number, prefix: string, ids: ReadonlySet<string>, now: number): string[] {
  const lines = segment.split('\n').filter((l) => l !== '');
  const first = lines.map((l) => PREFIX.exec(l)).find((m) => m !== null);
  if (!first) throw new Error('no dated line in the segment');
  const shift = Math.floor(around / QUARTER) * QUARTER + 60_000 - prefixTime(first, now);
  const idPattern = ids.size ? new RegExp(`\\b(${[...ids].join('|')})\\b`, 'g') : undefined;
  return lines.map((line) => {
    const m = PREFIX.exec(line);
    if (!m) return line;
    const rest = line.slice(m[0].length);
    return formatPrefix(prefixTime(m, now) + shift, m[6]) + (idPattern ? rest.replace(idPattern, (id) => prefix + id) : rest);
  });
}

type Anomaly = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('the email model on mail from a real Postfix', () => {
  const es = useTestEsClient();
  let postfix: PostfixInstance;
  let env: Awaited<ReturnType<typeof detectorEnvironment>>;
  let history: string[] = [];
  let today: string[] = [];
  let delivered = 0;
  let removed = 0;

  /** Sends the messages and waits until Postfix has delivered and removed every one of them. */
  async function send(messages: OutgoingMail[]): Promise<string> {
    for (const m of messages) {
      const r = await postfix.send(m);
      expect(r.rejected).toEqual([]);
    }
    delivered += messages.reduce((n, m) => n + m.to.length, 0);
    removed += messages.length;
    return postfix.waitForLog((log) => (log.match(/ status=sent /g) ?? []).length >= delivered && (log.match(/: removed$/gm) ?? []).length >= removed, 60_000);
  }

  beforeAll(async () => {
    postfix = await startPostfix({ users: USERS });
    // Postfix logs subjects only when a header check says so; WARN logs the header and lets the message through.
    writeFileSync(join(postfix.configDir, 'header_checks'), '/^Subject:/ WARN\n');
    await run('/usr/sbin/postconf', ['-c', postfix.configDir, '-e', `header_checks = regexp:${join(postfix.configDir, 'header_checks')}`]);
    await run('/usr/sbin/postfix', ['-c', postfix.configDir, 'reload']);
    await postfix.waitForLog(/reload -- version/);
    // Give master(8) a moment to replace the daemons that read the old configuration.
    await new Promise((r) => setTimeout(r, 1500));

    let log = await postfix.readLog();
    const segments: string[] = [];
    for (let b = 0; b < BATCHES; b++) {
      const next = await send(ordinaryMail(b));
      segments.push(next.slice(log.length));
      log = next;
    }
    const todayLog = (await send([...ordinaryMail(BATCHES), ...unusualMail()])).slice(log.length);
    expect(todayLog).toMatch(/warning: header Subject: Invoice 4711 overdue/);

    const now = Date.now();
    const ids = queueIds(await postfix.readLog());
    let copy = 0;
    for (let b = 0; b < BATCHES; b++) {
      for (let c = 0; c < COPIES_PER_DAY; c++) {
        copy++;
        const around = now - (BATCHES - b) * DAY - 8 * HOUR + c * 3 * HOUR;
        history.push(...replay(segments[b], around, copy.toString(16).toUpperCase().padStart(2, '0'), ids, now));
      }
    }
    today = replay(todayLog, now - 30 * 60_000, '', new Set(), now);

    await resetVigilData(es());
    env = await detectorEnvironment(es(), {
      ingest: { metrics: { listen: null }, mail: { timeZone: ZONE } },
      detector: { models: { email: { organisationDomains: [ORG] } } },
    });
    await resetDetectorData(es());
  }, 300_000);

  afterAll(async () => {
    await postfix?.stop();
  });

  async function anomalies(): Promise<Anomaly[]> {
    await es().indices.refresh({ index: ANOMALIES_ALIAS, ignore_unavailable: true });
    const r = await es().search({ index: ANOMALIES_ALIAS, size: 10_000, ignore_unavailable: true, query: { term: { 'vigil.anomaly.model': 'email' } } });
    return r.hits.hits.map((h) => h._source as Anomaly);
  }

  it('ingests a week of replayed mail and the real mail of today', async () => {
    const path = join(env.work, 'mail.log');
    writeFileSync(path, [...history, ...today].join('\n') + '\n');
    const ingest = await runVigil(['ingest', 'mail', '--once', '--json', path], env.env);
    if (ingest.code !== 0) throw new Error(`vigil ingest mail exited with ${ingest.code}:\n${ingest.stderr.slice(-3000)}`);
    const summary = jsonSummary<IngestSummary>(ingest);
    expect(summary.linesRead).toBe(history.length + today.length);
    expect(summary.deadLettered).toBe(0);
    await refresh(es());
    // Every copy of every message is a message document: 4 per batch, 3 copies a day, 8 days; then today's.
    const messages = (await es().count({ index: MAIL_MESSAGES_ALIAS, query: { bool: { must_not: [{ term: { 'email.from.address': '' } }] } } })).count;
    expect(messages).toBe(BATCHES * COPIES_PER_DAY * 4 + 4 + unusualMail().length);
    const subjects = await es().count({ index: MAIL_MESSAGES_ALIAS, query: { prefix: { 'email.subject': 'Invoice ' } } });
    expect(subjects.count).toBe(8);
  }, 120_000);

  it('finds the unusual mail of today with high scores, and lets the ordinary mail pass', async () => {
    const pass = await runVigil(['detect', '--once', '--json'], env.detectEnv);
    if (pass.code !== 0) throw new Error(`vigil detect exited with ${pass.code}:\n${pass.stderr.slice(-3000)}`);
    const summary = jsonSummary<PassSummary>(pass);
    // Twenty-four windows of history and today's; the pass skips the empty stretches between them.
    expect(summary.windows).toBe(BATCHES * COPIES_PER_DAY + 1);
    expect(summary.byModel.email).toBeDefined();

    const found = await anomalies();
    if (process.env.DEBUG_DETECT) for (const a of found) console.log(a.vigil.anomaly.kind, a.vigil.anomaly.entity.id, a.vigil.anomaly.score, a.vigil.anomaly.explanation);
    const alerts = found.filter((a) => a.vigil.anomaly.status === 'alert');
    const of = (kind: string, entity: string) => found.filter((a) => a.vigil.anomaly.kind === kind && a.vigil.anomaly.entity.id === entity);

    // The person who writes to two colleagues, writing to twelve strangers.
    const [spread] = of('new_recipients', at('alice'));
    expect(spread).toBeDefined();
    expect(spread.vigil.anomaly.score).toBeGreaterThanOrEqual(80);
    expect(spread.vigil.anomaly.figures.observed).toBe(NEW_CONTACTS.length);
    expect(spread.vigil.anomaly.figures.expected).toBeLessThan(0.05);
    expect([...spread.related.user].sort()).toEqual(NEW_CONTACTS.map(at).sort());
    expect(spread.email.from.address).toBe(at('alice'));
    expect(spread.threat.technique.id).toEqual(['T1534']);
    expect(spread.vigil.anomaly.explanation).toMatch(/wrote to 12 recipients it never wrote to before/);

    // The lookalike of the organisation's own domain.
    const [lookalike] = of('lookalike_domain', 'vigi1.test');
    expect(lookalike).toBeDefined();
    expect(lookalike.vigil.anomaly.score).toBeGreaterThanOrEqual(90);
    expect(lookalike.vigil.anomaly.figures.details).toMatchObject({ imitates: ORG, kind: 'homoglyph' });
    expect(lookalike.threat.technique.id).toEqual(['T1566', 'T1583.001']);
    expect(lookalike.related.user).toEqual([at('alice')]);
    expect(lookalike.email.from.address).toBe(LOOKALIKE);

    // The campaign: one anomaly naming all sixteen recipients, with its subject.
    const campaign = of('campaign', CAMPAIGN_DOMAIN);
    expect(campaign).toHaveLength(1);
    const c = campaign[0];
    expect(c.vigil.anomaly.score).toBeGreaterThanOrEqual(80);
    expect(c.vigil.anomaly.figures.count).toBe(8);
    expect([...c.related.user].sort()).toEqual(STAFF.map(at).sort());
    expect(c.vigil.anomaly.figures.details.template).toBe('invoice <n> overdue');
    expect(c.vigil.anomaly.figures.details.senders).toHaveLength(4);
    expect(c.vigil.anomaly.figures.details.network).toBe('127.0.0.0/24');
    expect(c.email.subject).toMatch(/^Invoice \d+ overdue$/);
    // Its events link finds exactly the campaign's messages.
    const linked = await es().count({ index: c.vigil.anomaly.events.index, query: c.vigil.anomaly.events.query });
    expect(linked.count).toBe(8);

    // Ordinary mail: no alert for the colleagues, the partner or the newsletter, in any window.
    const ordinary = new Set([at('dave'), PARTNER, NEWSLETTER, 'partner.test', 'letters.test', ORG]);
    expect(alerts.filter((a) => ordinary.has(a.vigil.anomaly.entity.id))).toEqual([]);
    // Only today's three unusual things alert (the campaign's domain, new, may also be reported as such).
    const alerted = new Set(alerts.map((a) => `${a.vigil.anomaly.kind} ${a.vigil.anomaly.entity.id}`));
    expect([...alerted].sort()).toEqual(
      [`campaign ${CAMPAIGN_DOMAIN}`, 'lookalike_domain vigi1.test', `new_recipients ${at('alice')}`, ...(alerted.has(`new_sender_domain ${CAMPAIGN_DOMAIN}`) ? [`new_sender_domain ${CAMPAIGN_DOMAIN}`] : [])].sort(),
    );
    // Every alert is in today's window.
    const todayStart = Math.min(...alerts.map((a) => Date.parse(a['@timestamp'])));
    expect(Date.now() - todayStart).toBeLessThan(2 * HOUR);

    // The organisation's domain was also learned from the mail its mailboxes received, senders' domains were not.
    const learned = await es().get({ index: BASELINES_INDEX, id: baselineId('email', 'organisation', 'recipient-domains') });
    expect(Object.keys((learned._source as Anomaly).state.domains)).toEqual([ORG]);

    // The campaign is one incident.
    await es().indices.refresh({ index: INCIDENTS_INDEX });
    const incidents = await es().search({ index: INCIDENTS_INDEX, size: 100, query: { term: { 'incident.entities': CAMPAIGN_DOMAIN } } });
    expect(incidents.hits.hits).toHaveLength(1);
    const incident = (incidents.hits.hits[0]._source as Anomaly).incident;
    expect(incident.anomalies).toContain(c.vigil.anomaly.id);
  }, 300_000);
});
