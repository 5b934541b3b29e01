import { join } from 'node:path';
import { ANOMALIES_ALIAS, EVALUATIONS_INDEX } from '../../common/es/names';
import type { PassSummary } from '../../detector/pass';
import { useTestEsClient } from '../harness/es';
import { LABELED_CORPUS } from '../support/corpus';
import { jsonSummary, runVigil } from '../support/cli';
import { detectorEnvironment, resetDetectorData } from '../support/detector-env';
import { refresh, resetVigilData } from '../support/es-data';

const MIXED = join(LABELED_CORPUS, 'stratosphere-security-datasets', '008-zeek-mixed', 'data', 'conn.log.labeled');
const LOCAL = { networks: { local: ['147.32.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } };

/** Triage decisions and maintenance windows change what the next pass alerts, through the real commands. */
describe('evaluations, suppressions and maintenance windows', () => {
  const es = useTestEsClient();
  let env: Awaited<ReturnType<typeof detectorEnvironment>>;
  let alert: Record<string, any>;

  beforeAll(async () => {
    await resetVigilData(es());
    env = await detectorEnvironment(es(), LOCAL);
    await resetDetectorData(es());
    await env.ingest([MIXED]);
    await refresh(es());
    await detect();
    const alerts = (await anomalies()).filter((a) => a.vigil.anomaly.status === 'alert');
    expect(alerts.length).toBeGreaterThan(0);
    alert = alerts[0];
  });

  async function detect(): Promise<PassSummary> {
    const run = await runVigil(['detect', '--once', '--json'], env.detectEnv);
    if (run.code !== 0) throw new Error(`detect failed (${run.code}): ${run.stderr}`);
    return jsonSummary<PassSummary>(run);
  }

  async function anomalies(): Promise<Array<Record<string, any>>> {
    await es().indices.refresh({ index: ANOMALIES_ALIAS, ignore_unavailable: true });
    const r = await es().search({ index: ANOMALIES_ALIAS, size: 10_000, ignore_unavailable: true });
    return r.hits.hits.map((h) => h._source as Record<string, any>);
  }

  async function evaluate(...args: string[]) {
    return runVigil(['evaluate', ...args, '--json'], adminEnv());
  }

  function adminEnv(): Record<string, string> {
    return { VIGIL_ES_URL: process.env.VIGIL_TEST_ES_URL!, VIGIL_ES_USERNAME: process.env.VIGIL_TEST_ES_USERNAME!, VIGIL_ES_PASSWORD: process.env.VIGIL_TEST_ES_PASSWORD!, VIGIL_CONFIG: env.configFile };
  }

  it('refuses an evaluation without a known disposition or a note, and one of an unknown anomaly', async () => {
    const id = alert.vigil.anomaly.id;
    expect((await evaluate(id, '--disposition', 'fine', '--note', 'x')).stderr).toMatch(/--disposition must be one of/);
    expect((await evaluate(id, '--disposition', 'benign')).stderr).toMatch(/--note is required/);
    expect((await evaluate('no-such-anomaly', '--disposition', 'benign', '--note', 'x')).stderr).toMatch(/no anomaly with id/);
  });

  it('a suppression takes effect at the next scoring: the same anomaly is written as suppressed, not alerted', async () => {
    const id = alert.vigil.anomaly.id;
    const run = await evaluate(id, '--disposition', 'benign', '--note', 'Windows update servers, expected', '--suppress', '--expires', '2099-01-01T00:00:00Z', '--scope', 'entity');
    expect(run.code).toBe(0);
    const record = jsonSummary<Record<string, any>>(run);
    expect(record.sequence).toBe(1);
    expect(record.action).toMatchObject({ type: 'suppress', scope: { model: alert.vigil.anomaly.model, entity: alert.vigil.anomaly.entity.id } });

    await resetDetectorData(es(), { keepEvaluations: true });
    await detect();
    const again = (await anomalies()).find((a) => a.vigil.anomaly.id === id);
    expect(again?.vigil.anomaly.status).toBe('suppressed');
    expect(again?.vigil.anomaly.suppression.id).toBe('1');
    // Every anomaly of that model and entity is suppressed, whatever its peer.
    const sameEntity = (await anomalies()).filter((a) => a.vigil.anomaly.model === alert.vigil.anomaly.model && a.vigil.anomaly.entity.id === alert.vigil.anomaly.entity.id);
    expect(sameEntity.every((a) => a.vigil.anomaly.status === 'suppressed' || a.vigil.anomaly.score < 60)).toBe(true);
  });

  it('chains evaluations by hash and finds a record changed afterwards', async () => {
    const id = alert.vigil.anomaly.id;
    expect((await evaluate(id, '--disposition', 'abnormal_not_suspicious', '--note', 'second look')).code).toBe(0);
    const ok = await evaluate('--verify');
    expect(jsonSummary<Record<string, any>>(ok)).toEqual({ records: 2 });

    // An administrator edits the first decision in place: the chain shows where.
    await es().update({ index: EVALUATIONS_INDEX, id: '000000000001', doc: { disposition: 'malicious' }, refresh: true });
    const broken = await evaluate('--verify');
    expect(broken.code).toBe(3);
    expect(jsonSummary<Record<string, any>>(broken).broken).toEqual({ sequence: 1, reason: 'its content does not match its hash' });
  });

  it('anomalies inside a maintenance window are recorded as expected with its change reference', async () => {
    await resetDetectorData(es());
    const t = Date.parse(alert['@timestamp']);
    env.configure({
      ...LOCAL,
      detector: {
        maintenance: [
          { id: 'patching', reference: 'CHG-2022-0613', start: new Date(t - 3_600_000).toISOString(), end: new Date(t + 3_600_000).toISOString(), devices: [`${alert.vigil.anomaly.entity.id}/32`] },
        ],
      },
    });
    await detect();
    const again = (await anomalies()).find((a) => a.vigil.anomaly.id === alert.vigil.anomaly.id);
    expect(again?.vigil.anomaly.status).toBe('expected');
    expect(again?.vigil.anomaly.maintenance).toEqual({ id: 'patching', reference: 'CHG-2022-0613' });
    env.configure(LOCAL);
  });
});
