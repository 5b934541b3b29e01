import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEAD_LETTER_INDEX, MAIL_EVENTS_ALIAS } from '../../common/es/names';
import type { IngestSummary } from '../../ingest/stats';
import { useTestEsClient } from '../harness/es';
import { jsonSummary, runVigil } from '../support/cli';
import { refresh, resetVigilData } from '../support/es-data';
import { FAIL2BAN_NOW, fail2banCases, fail2banFiles, type Fail2banCase } from '../support/fail2ban';
import { ingestEnvironment } from '../support/ingest-env';
import { localToEpoch } from '../../ingest/parse/mail/time';

/** fail2ban's tests run with TZ=Europe/Zurich: its expected times are wall-clock times there. */
const ZONE = 'Europe/Zurich';

/** The instant an expected `2005-03-07T10:00:00` (or `2005-03-7T...`, as one case writes it) stands for. */
function expectedInstant(time: string): number {
  const [y, mo, d, h, mi, s] = time.split(/[-T:]/).map(Number);
  return localToEpoch(y, mo, d, h, mi, s, 0, ZONE);
}

/**
 * TAI64N labels count TAI seconds, 10 s ahead of UTC at the epoch: daemontools' tai64nlocal subtracts them and so
 * does Vigil, while fail2ban's expectations do not. The difference is exactly those 10 seconds.
 */
const TAI_OFFSET_MS = 10_000;

/**
 * The fail2ban corpus through the real `vigil ingest mail`: 23 mail and authentication daemons, every line either
 * an event or a dead letter with its reason, and the time and attacker address fail2ban expects from each annotated
 * line found in the event. The files are written without their annotation comments, with fail2ban's notion of
 * "now" as their modification time (the year of a syslog date is inferred from it) and timestamps read in Zurich time,
 * which is how fail2ban's own tests read them (in their zone).
 */
describe('mail ingest of the fail2ban corpus', () => {
  const es = useTestEsClient();

  it('accounts for every line and finds the expected time and host of every annotated one', async () => {
    await resetVigilData(es());
    const { env, work } = await ingestEnvironment(es(), { mail: { timeZone: ZONE } });
    const dir = join(work, 'logs');
    mkdirSync(dir);
    const byPath = new Map<string, Fail2banCase[]>();
    const files: string[] = [];
    for (const name of fail2banFiles()) {
      const cases = fail2banCases(name);
      const path = join(dir, `${name}.log`);
      writeFileSync(path, cases.map((c) => c.line).join('\n') + '\n');
      utimesSync(path, FAIL2BAN_NOW / 1000, FAIL2BAN_NOW / 1000);
      byPath.set(path, cases);
      files.push(path);
    }
    const run = await runVigil(['ingest', 'mail', '--once', '--json', ...files], env);
    if (run.code !== 0) throw new Error(`vigil ingest mail exited with ${run.code}:\n${run.stderr.slice(-3000)}`);
    const summary = jsonSummary<IngestSummary>(run);
    const total = [...byPath.values()].reduce((n, c) => n + c.length, 0);
    expect(summary.linesRead).toBe(total);

    await refresh(es());
    const found = new Map<string, Record<string, any>>(); // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const index of [MAIL_EVENTS_ALIAS, DEAD_LETTER_INDEX]) {
      const res = await es().search({ index, size: 5000, query: { match_all: {} } });
      for (const hit of res.hits.hits) {
        const src = hit._source as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        found.set(`${src.log.file.path}:${src.log.offset}`, { ...src, _index: index });
      }
    }

    const problems: string[] = [];
    let annotated = 0;
    let deadLettered = 0;
    for (const [path, cases] of byPath) {
      let offset = 0;
      for (const c of cases) {
        const doc = found.get(`${path}:${offset}`);
        offset += Buffer.byteLength(c.line) + 1;
        if (!doc) {
          problems.push(`${c.file}:${c.lineNo} has no document`);
          continue;
        }
        if (doc._index === DEAD_LETTER_INDEX) {
          deadLettered++;
          expect(doc.error.message).toEqual(expect.any(String));
          if (c.expect?.time) problems.push(`${c.file}:${c.lineNo} dead-lettered (${doc.error.message}) but fail2ban reads a time from it`);
          continue;
        }
        if (c.expect?.time) {
          annotated++;
          // fail2ban's expectations are whole seconds; TAI64N labels carry nanoseconds.
          const at = Math.floor((Date.parse(doc['@timestamp']) + (c.line.startsWith('@4000') ? TAI_OFFSET_MS : 0)) / 1000) * 1000;
          if (at !== expectedInstant(c.expect.time)) problems.push(`${c.file}:${c.lineNo} time ${doc['@timestamp']}, expected ${c.expect.time} in ${ZONE}`);
        }
        if (c.expect?.match && c.expect.host) {
          const ips: string[] = [doc.source?.ip, ...(doc.related?.ip ?? [])].filter(Boolean).map((ip: string) => ip.toLowerCase());
          if (!ips.includes(c.expect.host.toLowerCase())) problems.push(`${c.file}:${c.lineNo} source ${JSON.stringify(ips)}, expected ${c.expect.host}`);
        }
      }
    }
    // A decade of dates made hundreds of daily indices: later tests should not start with them.
    await resetVigilData(es());
    expect(problems).toEqual([]);
    expect(annotated).toBeGreaterThan(300);
    expect(summary.deadLettered).toBe(deadLettered);
  }, 300_000);
});
