import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEAD_LETTER_INDEX } from '../../common/es/names';
import type { IngestSummary } from '../../ingest/stats';
import { useTestEsClient } from '../harness/es';
import { jsonSummary, runVigil } from '../support/cli';
import { readLog, ZEEK_CORPUS } from '../support/corpus';
import { countEvents, refresh, resetVigilData } from '../support/es-data';
import { ingestEnvironment } from '../support/ingest-env';

/**
 * Documents Elasticsearch refuses for good: here because an operator created the day's index by hand with a
 * mapping that contradicts the template. Each refused document must reach the dead-letter index with the line it
 * came from, the file, the offset and Elasticsearch's reason, and the run must go on.
 */
describe('documents Elasticsearch rejects', () => {
  const es = useTestEsClient();

  it('go to the dead-letter index with their original line, file, offset and reason', async () => {
    await resetVigilData(es());
    const { env, work } = await ingestEnvironment(es());
    await es().indices.create({
      index: 'vigil-zeek-2018.03.24',
      mappings: { properties: { source: { properties: { ip: { type: 'long' } } } } },
    });
    const dir = join(work, 'logs');
    mkdirSync(dir);
    const lines = readLog(join(ZEEK_CORPUS, 'zed-sample-data', 'zeek-default', 'dns.log.gz')).toString('utf8').split('\n');
    const header = lines.filter((l) => l.startsWith('#') && !l.startsWith('#close'));
    const data = lines.filter((l) => l !== '' && !l.startsWith('#')).slice(0, 200);
    const file = join(dir, 'dns.log');
    writeFileSync(file, [...header, ...data].join('\n') + '\n');

    const run = await runVigil(['ingest', 'zeek', '--once', '--json', dir], env);
    expect(run.code).toBe(0);
    const summary = jsonSummary<IngestSummary>(run);
    expect(summary.documentsIndexed).toBe(0);
    expect(summary.deadLettered).toBe(200);
    expect(await countEvents(es())).toBe(0);

    await refresh(es());
    const res = await es().search<{
      error: { message: string };
      log: { file: { path: string }; offset: number };
      vigil: { dead_letter: { stage: string; original: string; target_index: string; http_status: number } };
    }>({ index: DEAD_LETTER_INDEX, size: 500, sort: [{ 'log.offset': 'asc' }] });
    const letters = res.hits.hits.map((h) => h._source!);
    expect(letters.map((l) => l.vigil.dead_letter.original)).toEqual(data);
    const headerBytes = Buffer.byteLength(header.join('\n') + '\n');
    expect(letters[0].log.offset).toBe(headerBytes);
    for (const l of letters) {
      expect(l.log.file.path).toBe(file);
      expect(l.vigil.dead_letter.stage).toBe('index');
      expect(l.vigil.dead_letter.http_status).toBe(400);
      expect(l.vigil.dead_letter.target_index).toBe('vigil-zeek-2018.03.24');
      expect(l.error.message).toMatch(/source\.ip/);
    }
  }, 300_000);
});
