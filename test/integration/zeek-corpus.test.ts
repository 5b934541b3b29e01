import type { Client } from '@elastic/elasticsearch';
import { DEAD_LETTER_INDEX, ZEEK_EVENTS_ALIAS } from '../../common/es/names';
import { zeekEventsTemplate } from '../../common/es/templates/zeek';
import { discoverLogFiles } from '../../ingest/source/file/discover';
import type { IngestSummary } from '../../ingest/stats';
import { testEsClient } from '../harness/es';
import { jsonSummary, runVigil } from '../support/cli';
import { contentHash, dataLines, LABELED_CORPUS, readLog, ZEEK_CORPUS } from '../support/corpus';
import { countByFile, countDeadLetters, countEvents, resetVigilData } from '../support/es-data';
import { ingestEnvironment } from '../support/ingest-env';

/**
 * The whole Zeek part of the corpus through the real `vigil ingest zeek --once`, into the real Elasticsearch, as
 * the least-privilege ingest user.
 */
describe('vigil ingest zeek over the whole Zeek corpus', () => {
  let client: Client;
  let env: Record<string, string>;
  let first: IngestSummary;
  const paths = [ZEEK_CORPUS, LABELED_CORPUS];

  beforeAll(async () => {
    client = testEsClient();
    await resetVigilData(client);
    ({ env } = await ingestEnvironment(client, { zeek: { recursive: true } }));
    const run = await runVigil(['ingest', 'zeek', '--once', '--json', ...paths], env);
    if (run.code !== 0) throw new Error(`vigil ingest failed (${run.code}):\n${run.stderr}`);
    first = jsonSummary<IngestSummary>(run);
  }, 600_000);

  afterAll(async () => {
    await client.close();
  });

  it('turns every data line of every file into a document or a dead letter', async () => {
    const files = (await Promise.all(paths.map((p) => discoverLogFiles([p], { recursive: true })))).flat();
    expect(files.length).toBeGreaterThan(1000);
    // Byte-identical files are one file to a content-addressed source: count each content once.
    const expectedByContent = new Map<string, { lines: number; paths: string[] }>();
    for (const path of files) {
      const content = readLog(path);
      const hash = contentHash(content);
      const entry = expectedByContent.get(hash) ?? { lines: dataLines(content), paths: [] };
      entry.paths.push(path);
      expectedByContent.set(hash, entry);
    }
    const actual = await countByFile(client);
    const mismatches: string[] = [];
    let expectedTotal = 0;
    for (const { lines, paths: same } of expectedByContent.values()) {
      expectedTotal += lines;
      const got = same.reduce((n, p) => n + (actual.get(p)?.events ?? 0) + (actual.get(p)?.deadLetters ?? 0), 0);
      if (got !== lines) mismatches.push(`${same[0]}: ${lines} data lines, ${got} documents + dead letters`);
    }
    expect(mismatches).toEqual([]);
    const events = await countEvents(client);
    const deadLetters = await countDeadLetters(client);
    expect(events + deadLetters).toBe(expectedTotal);
    expect(first.documentsIndexed).toBe(events);
    expect(first.deadLettered).toBe(deadLetters);
  });

  it('maps fields with the types the schema says, and adds none of its own', async () => {
    const template = zeekEventsTemplate({ replicas: 0 }).body.template.mappings as { properties: Record<string, unknown> };
    const mappings = await client.indices.getMapping({ index: ZEEK_EVENTS_ALIAS });
    const indices = Object.keys(mappings);
    expect(indices.length).toBeGreaterThan(5);
    for (const index of indices) {
      // dynamic:false keeps unknown fields in _source without mapping them, so every index has the template's mapping.
      expect(mappings[index].mappings.properties).toEqual(template.properties);
    }
    const caps = await client.fieldCaps({
      index: ZEEK_EVENTS_ALIAS,
      fields: ['@timestamp', 'source.ip', 'destination.port', 'source.bytes', 'network.community_id', 'event.dataset', 'dns.question.name'],
    });
    const typeOf = (field: string) => Object.keys(caps.fields[field] ?? {});
    expect(typeOf('@timestamp')).toEqual(['date']);
    expect(typeOf('source.ip')).toEqual(['ip']);
    expect(typeOf('destination.port')).toEqual(['long']);
    expect(typeOf('source.bytes')).toEqual(['long']);
    expect(typeOf('network.community_id')).toEqual(['keyword']);
    expect(typeOf('event.dataset')).toEqual(['keyword']);
    expect(typeOf('dns.question.name')).toEqual(['keyword']);
  });

  it('indexes the ICS logs and a log type nobody mapped', async () => {
    const res = await client.search({
      index: ZEEK_EVENTS_ALIAS,
      size: 0,
      aggs: { datasets: { terms: { field: 'event.dataset', size: 500 } } },
    });
    const datasets = (res.aggregations!.datasets as { buckets: Array<{ key: string }> }).buckets.map((b) => b.key);
    const expected = [
      ...['conn', 'dns', 'http', 'ssl', 'x509', 'files', 'smtp', 'notice', 'weird', 'dhcp', 'ssh', 'ftp', 'rdp', 'ntlm', 'kerberos'],
      ...['smb_files', 'smb_mapping', 'dce_rpc', 'software', 'known_hosts', 'known_services'],
      ...['modbus', 'modbus_detailed', 'modbus_mask_write_register', 'modbus_read_write_multiple_registers', 'dnp3', 'dnp3_control', 'dnp3_objects'],
      ...['bacnet', 'bacnet_property', 'bacnet_discovery', 'bacnet_device_control', 'enip', 'cip', 'cip_io', 'cip_identity'],
      ...['s7comm', 's7comm_plus', 'cotp', 's7comm_read_szl', 's7comm_upload_download', 's7comm_known_devices', 'opcua_binary'],
      ...['bsap_ip_header', 'ecat_dev_info', 'hart_ip_general', 'profinet_io_cm', 'synchrophasor'],
    ];
    expect(expected.map((p) => `zeek.${p}`).filter((d) => !datasets.includes(d))).toEqual([]);
    // Log types nobody mapped (Zeek's own test logs) are indexed too, in the generic form.
    expect(datasets).toEqual(expect.arrayContaining(['zeek.test', 'zeek.conn-exc']));
    expect(datasets.length).toBeGreaterThan(130);
  });

  it('gives the dead letters their reason and original bytes', async () => {
    const res = await client.search({ index: DEAD_LETTER_INDEX, size: 20 });
    for (const hit of res.hits.hits) {
      const doc = hit._source as { error: { message: string }; vigil: { dead_letter: { original?: string; original_base64?: string } }; log: { file: { path: string } } };
      expect(doc.error.message.length).toBeGreaterThan(10);
      expect(doc.log.file.path).toBeTruthy();
      expect(doc.vigil.dead_letter.original ?? doc.vigil.dead_letter.original_base64).toBeDefined();
    }
  });

  it('adds nothing on a second run', async () => {
    const before = (await countEvents(client)) + (await countDeadLetters(client));
    const run = await runVigil(['ingest', 'zeek', '--once', '--json', ...paths], env);
    expect(run.code).toBe(0);
    const second = jsonSummary<IngestSummary>(run);
    // Checkpoints say everything was read: nothing is sent again.
    expect(second.documentsIndexed).toBe(0);
    expect((await countEvents(client)) + (await countDeadLetters(client))).toBe(before);

    // Without the checkpoints every line is read again, and deterministic ids make every document a duplicate.
    const fresh = await runVigil(['ingest', 'zeek', '--once', '--json', ...paths], { ...env, VIGIL_STATE_DIR: `${env.VIGIL_STATE_DIR}-fresh` });
    expect(fresh.code).toBe(0);
    const replay = jsonSummary<IngestSummary>(fresh);
    expect(replay.documentsIndexed).toBe(0);
    expect(replay.duplicates).toBe(first.documentsIndexed);
    expect((await countEvents(client)) + (await countDeadLetters(client))).toBe(before);
  }, 600_000);
});
