import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { DEAD_LETTER_INDEX } from '../../common/es/names';
import type { IngestSummary } from '../../ingest/stats';
import { testEsClient } from '../harness/es';
import { jsonSummary, runVigil } from '../support/cli';
import { dataLines, readLog, ZEEK_CORPUS } from '../support/corpus';
import { countByFile, refresh, resetVigilData } from '../support/es-data';
import { ingestEnvironment } from '../support/ingest-env';

/** Damaged input, made from real logs: each damage ends in the dead-letter index with its reason, the rest goes on. */
const ZED = join(ZEEK_CORPUS, 'zed-sample-data', 'zeek-default');

interface DeadLetter {
  error: { message: string; type: string };
  log: { file: { path: string }; offset?: number };
  vigil: { dead_letter: { original?: string; original_base64?: string; stage: string } };
}

describe('damaged input', () => {
  let client: Client;
  let dir: string;
  let summary: IngestSummary;
  const files: Record<string, string> = {};
  const expectedLines: Record<string, number> = {};

  beforeAll(async () => {
    client = testEsClient();
    await resetVigilData(client);
    const { env, work } = await ingestEnvironment(client);
    dir = join(work, 'logs');
    mkdirSync(dir);

    // An intact log beside the damaged ones.
    const dns = readLog(join(ZED, 'dns.log.gz'));
    files.intact = join(dir, 'dns.log');
    writeFileSync(files.intact, dns);
    expectedLines.intact = dataLines(dns);

    // A log cut in the middle of a line, as when a disk fills up.
    const ssl = readLog(join(ZED, 'ssl.log.gz'));
    let cut = Math.floor(ssl.length * 0.6);
    while (ssl[cut] !== 0x09) cut++;
    files.truncated = join(dir, 'ssl.log');
    writeFileSync(files.truncated, ssl.subarray(0, cut));
    expectedLines.truncated = dataLines(ssl.subarray(0, cut));

    // A gzip archive cut in half.
    const x509 = readFileSync(join(ZED, 'x509.log.gz'));
    files.truncatedGzip = join(dir, 'x509.2018-03-24-10-00-00.log.gz');
    writeFileSync(files.truncatedGzip, x509.subarray(0, Math.floor(x509.length / 2)));

    // A binary file where a log was expected.
    files.binary = join(dir, 'program.log');
    writeFileSync(files.binary, readFileSync(process.execPath).subarray(0, 64 * 1024));

    // A log whose #fields header line was cut short: which type belongs to which field is unknown.
    const modbus = readLog(join(ZED, 'modbus.log.gz')).toString('utf8');
    files.brokenHeader = join(dir, 'modbus.log');
    const damaged = modbus.split('\n').map((l) => (l.startsWith('#fields') ? l.split('\t').slice(0, 5).join('\t') : l));
    writeFileSync(files.brokenHeader, damaged.join('\n'));
    expectedLines.brokenHeader = dataLines(Buffer.from(modbus));

    const run = await runVigil(['ingest', 'zeek', '--once', '--json', dir], env);
    if (run.code !== 0) throw new Error(`vigil ingest failed (${run.code}):\n${run.stderr}`);
    summary = jsonSummary<IngestSummary>(run);
    await refresh(client);
  }, 300_000);

  afterAll(async () => {
    await client.close();
  });

  async function deadLettersOf(path: string): Promise<DeadLetter[]> {
    const res = await client.search<DeadLetter>({ index: DEAD_LETTER_INDEX, size: 10_000, query: { term: { 'log.file.path': path } } });
    return res.hits.hits.map((h) => h._source!);
  }

  it('indexes the intact log completely', async () => {
    const counts = await countByFile(client);
    expect(counts.get(files.intact)).toEqual({ events: expectedLines.intact, deadLetters: 0 });
  });

  it('indexes a truncated log up to the cut, and dead-letters the cut line with the column counts', async () => {
    const counts = await countByFile(client);
    expect(counts.get(files.truncated)).toEqual({ events: expectedLines.truncated - 1, deadLetters: 1 });
    const [letter] = await deadLettersOf(files.truncated);
    expect(letter.error.message).toMatch(/column|field/i);
    expect(letter.vigil.dead_letter.original).toBeDefined();
  });

  it('keeps what a truncated gzip archive held, and says the archive is damaged', async () => {
    const counts = await countByFile(client);
    expect(counts.get(files.truncatedGzip)?.events ?? 0).toBeGreaterThan(0);
    const letters = await deadLettersOf(files.truncatedGzip);
    expect(letters.some((l) => l.vigil.dead_letter.stage === 'source' && /gzip|unexpected end|truncat|corrupt/i.test(l.error.message))).toBe(true);
  });

  it('dead-letters a binary file line by line with a reason, and indexes nothing from it', async () => {
    const counts = await countByFile(client);
    expect(counts.get(files.binary)?.events ?? 0).toBe(0);
    const letters = await deadLettersOf(files.binary);
    expect(letters.length).toBeGreaterThan(0);
    for (const l of letters) expect(l.error.message.length).toBeGreaterThan(10);
    expect(letters.some((l) => l.vigil.dead_letter.original_base64 !== undefined)).toBe(true);
  });

  it('dead-letters every record of a log whose header is broken, saying why', async () => {
    const counts = await countByFile(client);
    expect(counts.get(files.brokenHeader)).toEqual({ events: 0, deadLetters: expectedLines.brokenHeader });
    const [letter] = await deadLettersOf(files.brokenHeader);
    expect(letter.error.message).toMatch(/broken header: #fields names 4 fields but #types gives 11 types/);
  });

  it('reports the dead letters in the summary', () => {
    expect(summary.deadLettered).toBeGreaterThan(expectedLines.brokenHeader);
    expect(summary.documentsIndexed).toBeGreaterThan(expectedLines.intact);
  });
});
