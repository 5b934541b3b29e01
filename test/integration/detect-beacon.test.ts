import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASELINES_INDEX } from '../../common/es/names';
import { baselineId } from '../../detector/baseline/store';
import type { PassSummary } from '../../detector/pass';
import { useTestEsClient } from '../harness/es';
import { LABELED_CORPUS, readLog, shiftTimes } from '../support/corpus';
import { detectorEnvironment, modelAnomalies, onlyModels, resetDetectorData } from '../support/detector-env';
import { refresh, resetVigilData } from '../support/es-data';

const NJRAT = join(LABELED_CORPUS, 'stratosphere-security-datasets', '001-zeek-scenario-malicious', 'labeled-conn.log');
/** The NjRAT capture's infected host and its command-and-control channel (the records labeled `Malicious CC`). */
const INFECTED = '192.168.1.115';
const C2 = '41.108.179.197';
const C2_PORT = 1177;
const DAY_MS = 86_400_000;
/** Noon of the first day the capture is replayed on; it is replayed at noon of the next two days as well. */
const FIRST_DAY = Date.parse('2022-06-14T12:00:00Z');
const TIMEOUT = 10 * 60_000;

type Anomaly = Record<string, any>;

/**
 * The beacon model alone, in one pass of the real `vigil detect` over the real NjRAT capture replayed on three
 * days in a row (its 50 minutes moved to noon of each day, nothing else changed). The channel to the controller
 * beacons every day: it alerts on the days it is not yet learned, once a day, and is normal from the day it has
 * beaconed on `normalAfterDays` earlier days.
 */
describe('vigil detect: the beacon model on the NjRAT capture, three days in a row', () => {
  const es = useTestEsClient();
  let env: Awaited<ReturnType<typeof detectorEnvironment>>;
  let pass: PassSummary;

  beforeAll(async () => {
    await resetVigilData(es());
    env = await detectorEnvironment(es(), {
      networks: { local: ['192.168.0.0/16', 'fc00::/7', 'fe80::/10'] },
      detector: {
        models: {
          ...onlyModels('beacon'),
          // Each day's series is that day's 50 minutes: the day before is out of an hour's span.
          beacon: { normalAfterDays: 2, spanHours: 1 },
        },
      },
    });
    await resetDetectorData(es());
    const content = readLog(NJRAT).toString('utf8');
    const files = [0, 1, 2].map((d) => {
      const file = join(env.work, `njrat-day${d + 1}.log`);
      writeFileSync(file, shiftTimes(content, (FIRST_DAY + d * DAY_MS) / 1000));
      return file;
    });
    await env.ingest(files);
    await refresh(es());
    pass = await env.detect();
  }, TIMEOUT);

  const anomalies = async (): Promise<Anomaly[]> => (await modelAnomalies(es(), 'beacon')).map((a) => a.vigil.anomaly);

  it('alerts on the channel once on each of the two days before it is learned, and not on the third', async () => {
    expect(pass.windows).toBeGreaterThan(0);
    const channel = (await anomalies()).filter((a) => a.entity.id === INFECTED && a.peer?.id === C2);
    expect(channel.map((a) => Math.floor(Date.parse(a.window.start) / DAY_MS))).toEqual([0, 1].map((d) => Math.floor(FIRST_DAY / DAY_MS) + d));
    for (const a of channel) {
      expect(a.kind).toBe('beacon_conn');
      expect(a.explanation).toContain(`${INFECTED} connects to ${C2}:${C2_PORT} every`);
    }
    expect(channel[1].explanation).toContain('it beaconed on 1 earlier day');
  });

  it('learns every day the channel beaconed, and scores its series no more once that day is learned', async () => {
    await es().indices.refresh({ index: BASELINES_INDEX });
    const doc = await es().get<Record<string, any>>({ index: BASELINES_INDEX, id: baselineId('beacon', 'conn', `${INFECTED}|${C2}|${C2_PORT}`) });
    const baseline = doc._source!;
    const firstDay = Math.floor(FIRST_DAY / DAY_MS);
    expect(baseline.state.days).toEqual([firstDay, firstDay + 1, firstDay + 2]);
    expect(baseline.status).toBe('normal');
    // On the third day the series was scored until it had beaconed (its day learned), then only extended: its last
    // score is from a window that ended before the channel's last connection.
    expect(Math.floor(baseline.state.scoredAt / DAY_MS)).toBe(firstDay + 2);
    expect(baseline.state.scoredAt).toBeLessThan(Date.parse(baseline.last_seen));
    expect(baseline.state.score).toBeGreaterThanOrEqual(0.6);
  });

  it('gives no score to a pair whose span holds too few connections to be judged', async () => {
    const r = await es().search<Record<string, any>>({ index: BASELINES_INDEX, size: 10_000, query: { term: { model: 'beacon' } } });
    const connections = (b: Record<string, any>): number => b.state.n.reduce((a: number, c: number) => a + c, 0);
    const few = r.hits.hits.map((h) => h._source!).filter((b) => connections(b) < 12);
    expect(few.length).toBeGreaterThan(10);
    for (const b of few) expect([b.key, b.state.score, b.state.scoredAt]).toEqual([b.key, undefined, undefined]);
  });
});
