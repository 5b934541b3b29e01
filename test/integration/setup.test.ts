import type { Client } from '@elastic/elasticsearch';
import { DETECTOR_USER, INGEST_USER } from '../../common/es/client';
import { actingAs } from '../../common/es/security';
import type { SetupStep } from '../../common/es/setup';
import { readCredentials } from '../../cli/local-es';
import { localEsLayout } from '../../cli/local-es/layout';
import { testEsClient, testEsControl } from '../harness/es';
import { runVigil } from '../support/cli';
import { resetVigilData } from '../support/es-data';

/** `vigil setup` as a user runs it against the local instance (here the test instance, by its home and port). */
/** 'allowed' when the call succeeds, else the HTTP status Elasticsearch refused it with. */
async function refused(call: Promise<unknown>): Promise<string | number | undefined> {
  try {
    await call;
    return 'allowed';
  } catch (err) {
    return (err as { meta?: { statusCode?: number } }).meta?.statusCode;
  }
}

describe('vigil setup', () => {
  let client: Client;
  let env: Record<string, string>;

  beforeAll(async () => {
    client = testEsClient();
    await resetVigilData(client);
    const { options } = testEsControl();
    env = { VIGIL_HOME: options.home, VIGIL_ES_PORT: String(options.httpPort), VIGIL_ES_URL: '', VIGIL_ES_USERNAME: '', VIGIL_ES_PASSWORD: '' };
  });
  afterAll(async () => {
    await client.close();
  });

  async function setup(): Promise<SetupStep[]> {
    const run = await runVigil(['setup', '--json'], env);
    if (run.code !== 0) throw new Error(`vigil setup failed (${run.code}):\n${run.stderr}`);
    return (JSON.parse(run.stdout.trim()) as { steps: SetupStep[] }).steps;
  }

  it('installs templates, the dead-letter and detector indices, roles and users, and changes nothing when run again', async () => {
    const first = await setup();
    expect(first.map((s) => `${s.kind} ${s.name}`)).toEqual([
      'index_template vigil-zeek',
      'index_template vigil-mail-events',
      'index_template vigil-mail-messages',
      'index_template vigil-dead-letter',
      'index_template vigil-baselines',
      'index_template vigil-anomalies',
      'index_template vigil-incidents',
      'index_template vigil-evaluations',
      'index_template vigil-detector-state',
      'index_template vigil-assets',
      'index_template vigil-conduits',
      'index vigil-dead-letter',
      'index vigil-baselines',
      'index vigil-incidents',
      'index vigil-evaluations',
      'index vigil-detector-state',
      'index vigil-assets',
      'index vigil-conduits',
      'role vigil_ingest',
      'role vigil_reader',
      'role vigil_detector',
      'role vigil_analyst',
      `user ${INGEST_USER}`,
      `user ${DETECTOR_USER}`,
    ]);
    expect(first.find((s) => s.kind === 'index')?.change).toBe('created');
    const second = await setup();
    expect(second.map((s) => s.change)).toEqual(second.map(() => 'unchanged'));
  }, 180_000);

  it('gives an index made by an earlier version the fields its template gained, keeping its documents', async () => {
    // The incidents index as an earlier version made it: strict, without the fields of observations joined as context.
    const current = await client.indices.getMapping({ index: 'vigil-incidents' });
    const mappings = current['vigil-incidents'].mappings as { properties: { incident: { properties: Record<string, unknown> } } };
    const older = structuredClone(mappings);
    delete older.properties.incident.properties.observations;
    delete older.properties.incident.properties.observation_count;
    await client.indices.delete({ index: 'vigil-incidents' });
    await client.indices.deleteIndexTemplate({ name: 'vigil-incidents' });
    await client.indices.create({ index: 'vigil-incidents', mappings: older as never });
    await client.index({ index: 'vigil-incidents', id: 'inc-old', document: { incident: { id: 'inc-old', anomaly_count: 1 } }, refresh: true });
    const refusedBefore = await refused(client.index({ index: 'vigil-incidents', id: 'inc-new', document: { incident: { id: 'inc-new', observation_count: 2 } } }));
    expect(refusedBefore).toBe(400);

    const steps = await setup();
    expect(steps.find((s) => s.name === 'vigil-incidents' && s.kind === 'index_template')?.change).toBe('created');
    expect(steps.find((s) => s.name === 'vigil-incidents' && s.kind === 'index')?.change).toBe('updated');
    expect(steps.filter((s) => s.kind === 'index' && s.change !== 'unchanged').map((s) => s.name)).toEqual(['vigil-incidents']);
    await client.index({ index: 'vigil-incidents', id: 'inc-new', document: { incident: { id: 'inc-new', observation_count: 2, observations: ['a'] } }, refresh: true });
    expect((await client.count({ index: 'vigil-incidents' })).count).toBe(2);
    expect((await setup()).map((s) => s.change)).toEqual(steps.map(() => 'unchanged'));
  }, 180_000);

  it('gives the baselines index made by an earlier version the refresh interval of its template, keeping its documents', async () => {
    const refreshOf = async () => (await client.indices.getSettings({ index: 'vigil-baselines', name: 'index.refresh_interval' }))['vigil-baselines'].settings?.index?.refresh_interval;
    expect(await refreshOf()).toBe('30s');
    // As an earlier version made it: refreshed every second.
    await client.indices.deleteIndexTemplate({ name: 'vigil-baselines' });
    await client.indices.putSettings({ index: 'vigil-baselines', settings: { refresh_interval: '1s' } });
    await client.index({ index: 'vigil-baselines', id: 'kept', document: { model: 'volume', kind: 'device', key: 'kept', observations: 1 }, refresh: true });

    const steps = await setup();
    expect(steps.filter((s) => s.kind === 'index' && s.change !== 'unchanged').map((s) => s.name)).toEqual(['vigil-baselines']);
    expect(await refreshOf()).toBe('30s');
    expect((await client.get({ index: 'vigil-baselines', id: 'kept' })).found).toBe(true);
    expect((await setup()).map((s) => s.change)).toEqual(steps.map(() => 'unchanged'));
  }, 180_000);

  it('gives the ingest user only what it needs: add documents, never change or delete them', async () => {
    const { options } = testEsControl();
    const credentials = readCredentials(localEsLayout(options).credentialsFile);
    const password = credentials.users?.[INGEST_USER]?.password;
    expect(password).toBeDefined();
    const as = actingAs(INGEST_USER, password!);
    const index = 'vigil-zeek-2026.01.01';

    const created = await client.create({ index, id: 'probe', document: { '@timestamp': '2026-01-01T00:00:00Z', event: { dataset: 'zeek.conn', kind: 'event' } } }, as);
    expect(created.result).toBe('created');
    expect(await refused(client.index({ index, id: 'probe', document: { '@timestamp': '2026-01-01T00:00:01Z' } }, as))).toBe(403);
    expect(await refused(client.delete({ index, id: 'probe' }, as))).toBe(403);
    expect(await refused(client.indices.delete({ index }, as))).toBe(403);
    expect(await refused(client.search({ index }, as))).toBe(403);

    // Mail lines are evidence like Zeek events; message summaries are rewritten as lines arrive, never deleted.
    const mailEvents = 'vigil-mail-events-2026.01.01';
    await client.create({ index: mailEvents, id: 'probe', document: { '@timestamp': '2026-01-01T00:00:00Z' } }, as);
    expect(await refused(client.index({ index: mailEvents, id: 'probe', document: { '@timestamp': '2026-01-01T00:00:01Z' } }, as))).toBe(403);
    const messages = 'vigil-mail-messages-2026.01.01';
    await client.index({ index: messages, id: 'probe', document: { '@timestamp': '2026-01-01T00:00:00Z' } }, as);
    const rewritten = await client.index({ index: messages, id: 'probe', document: { '@timestamp': '2026-01-01T00:00:01Z' } }, as);
    expect(rewritten.result).toBe('updated');
    expect(await refused(client.delete({ index: messages, id: 'probe' }, as))).toBe(403);
    expect(await refused(client.indices.delete({ index: messages }, as))).toBe(403);
  }, 60_000);

  it('gives the detector user what it needs: add anomalies it cannot change, keep its baselines, never touch events or evaluations', async () => {
    const { options } = testEsControl();
    const credentials = readCredentials(localEsLayout(options).credentialsFile);
    const password = credentials.users?.[DETECTOR_USER]?.password;
    expect(password).toBeDefined();
    const as = actingAs(DETECTOR_USER, password!);
    const anomalies = 'vigil-anomalies-2026.01';
    const anomaly = { '@timestamp': '2026-01-01T00:00:00Z', message: 'probe' };
    expect((await client.create({ index: anomalies, id: 'probe', document: anomaly }, as)).result).toBe('created');
    expect(await refused(client.index({ index: anomalies, id: 'probe', document: anomaly }, as))).toBe(403);
    expect(await refused(client.delete({ index: anomalies, id: 'probe' }, as))).toBe(403);
    expect(await refused(client.indices.delete({ index: anomalies }, as))).toBe(403);

    await client.index({ index: 'vigil-baselines', id: 'probe', document: { model: 'probe' } }, as);
    expect((await client.index({ index: 'vigil-baselines', id: 'probe', document: { model: 'probe2' } }, as)).result).toBe('updated');
    expect(await refused(client.delete({ index: 'vigil-baselines', id: 'probe' }, as))).toBe(403);

    expect(await refused(client.create({ index: 'vigil-zeek-2026.01.02', id: 'probe', document: { '@timestamp': '2026-01-02T00:00:00Z' } }, as))).toBe(403);
    expect(await refused(client.create({ index: 'vigil-evaluations', id: 'probe', document: { '@timestamp': '2026-01-02T00:00:00Z' } }, as))).toBe(403);
    // It reads events: the detector's aggregations; and may refresh them, never delete them.
    expect(await refused(client.search({ index: 'vigil-zeek-*', size: 0 }, as))).toBe('allowed');
    expect(await refused(client.indices.refresh({ index: 'vigil-zeek-*' }, as))).toBe('allowed');
    expect(await refused(client.indices.delete({ index: 'vigil-zeek-2026.01.01' }, as))).toBe(403);

    // It keeps the asset inventory current, and cannot delete from it.
    const asset = { '@timestamp': '2026-01-01T00:00:00Z', host: { ip: '10.0.0.1' } };
    expect((await client.index({ index: 'vigil-assets', id: 'setup-probe', document: asset }, as)).result).toBe('created');
    expect((await client.index({ index: 'vigil-assets', id: 'setup-probe', document: asset }, as)).result).toBe('updated');
    expect(await refused(client.delete({ index: 'vigil-assets', id: 'setup-probe' }, as))).toBe(403);
    await client.delete({ index: 'vigil-assets', id: 'setup-probe' });
  }, 60_000);
});
