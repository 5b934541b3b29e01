import { INCIDENTS_INDEX } from '../../common/es/names';
import type { WrittenAnomaly } from '../../detector/anomaly/writer';
import { groupIncidents, IncidentsInHand } from '../../detector/incident/group';
import { useTestEsClient } from '../harness/es';
import { resetDetectorData } from '../support/detector-env';

const T0 = Date.UTC(2022, 0, 10, 9);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** An alert of the new-connection model, as the writer holds it: what grouping reads of it. */
function alert(id: string, minute: number, entity: string, peer?: string, score = 60, status = 'alert'): WrittenAnomaly {
  return {
    id,
    index: 'unused',
    document: {
      '@timestamp': new Date(T0 + minute * MINUTE).toISOString(),
      vigil: {
        anomaly: {
          id,
          model: 'new_connection',
          kind: 'new_peer',
          domain: 'network',
          score,
          status,
          explanation: `${entity} talked to ${peer ?? 'a new peer'} for the first time.`,
          entity: { id: entity },
          ...(peer ? { peer: { id: peer } } : {}),
        },
      },
      related: { ip: [entity, ...(peer ? [peer] : [])] },
    },
  };
}

/** Incidents stored on the real Elasticsearch, grouped one window at a time as a pass does. */
describe('incidents on the real Elasticsearch', () => {
  const es = useTestEsClient();

  beforeAll(async () => {
    await resetDetectorData(es());
  }, 120_000);

  async function incidentOf(anomaly: string): Promise<string[]> {
    const r = await es().search<{ incident: { id: string } }>({ index: INCIDENTS_INDEX, size: 10, query: { term: { 'incident.anomalies': anomaly } } });
    return r.hits.hits.map((h) => h._source!.incident.id);
  }

  it('joins an alert to the open incident of equal score that ended last, whichever Elasticsearch stored first', async () => {
    // Two incidents of the same score, one on each host, each grouped in its own window; `later` ends after `earlier`.
    async function tie(first: { id: string; minute: number; host: string }, second: { id: string; minute: number; host: string }, both: string) {
      await groupIncidents(es(), [alert(first.id, first.minute, first.host)], HOUR);
      await groupIncidents(es(), [alert(second.id, second.minute, second.host)], HOUR);
      // In one segment, Elasticsearch returns ties in the order they were written; across several, in an order that
      // varies with how segments are merged and searched.
      await es().indices.forcemerge({ index: INCIDENTS_INDEX, max_num_segments: 1 });
      await es().indices.refresh({ index: INCIDENTS_INDEX });
      // An alert on both hosts: it may join either incident, and it joins the one that ended last.
      await groupIncidents(es(), [alert(both, 40, first.host, second.host)], HOUR);
      return incidentOf(both);
    }
    // The incident that ended last was stored last ...
    expect(await tie({ id: 'a1', minute: 0, host: '10.0.0.1' }, { id: 'a2', minute: 10, host: '10.0.0.2' }, 'a3')).toEqual(['inc-a2']);
    // ... and first: the store's order of ties decides nothing.
    expect(await tie({ id: 'b1', minute: 30, host: '10.0.1.1' }, { id: 'b2', minute: 20, host: '10.0.1.2' }, 'b3')).toEqual(['inc-b1']);
    // The incident that did not take it keeps its host and its score; the one that did names both hosts.
    const stored = await es().search<{ incident: { id: string; score: number; entities: string[] } }>({ index: INCIDENTS_INDEX, size: 10, sort: [{ 'incident.id': 'asc' }] });
    expect(stored.hits.hits.map((h) => [h._source!.incident.id, h._source!.incident.score, h._source!.incident.entities])).toEqual([
      ['inc-a1', 60, ['10.0.0.1']],
      ['inc-a2', 60, ['10.0.0.2', '10.0.0.1']],
      ['inc-b1', 60, ['10.0.1.1', '10.0.1.2']],
      ['inc-b2', 60, ['10.0.1.2']],
    ]);
  });

  it('groups window after window from the incidents in hand, written when settled, as it groups from stored ones', async () => {
    type Stored = { incident: { id: string; anomalies: string[]; observations: string[]; score: number; entities: string[] } };
    const search = async (entity: string) =>
      (await es().search<Stored>({ index: INCIDENTS_INDEX, size: 10, sort: [{ 'incident.id': 'asc' }], query: { term: { 'incident.entities': entity } } })).hits.hits.map((h) => h._source!.incident);
    const host = '10.0.2.1';
    const other = '10.0.2.2';
    const inHand = new IncidentsInHand();
    // Window 1: an alert opens an incident; it is not written until the hand is settled, so only the hand holds it.
    await groupIncidents(es(), [alert('c1', 0, host)], HOUR, undefined, [], inHand);
    await es().indices.refresh({ index: INCIDENTS_INDEX });
    expect(await search(host)).toEqual([]);
    // Window 2: the next alert on the host joins it from the hand (a search alone would open a second incident).
    await groupIncidents(es(), [alert('c2', 10, host)], HOUR, undefined, [], inHand);
    await inHand.settle(es());
    expect(inHand.size).toBe(0);
    expect((await search(host)).map((i) => [i.id, i.anomalies])).toEqual([['inc-c1', ['c1', 'c2']]]);
    // Window 3 joins the stored incident through the search; window 4 finds it in hand again, while the store still
    // holds the version without window 3's alert, which must not be written back over it.
    await groupIncidents(es(), [alert('c3', 20, host)], HOUR, undefined, [], inHand);
    await groupIncidents(es(), [alert('c4', 30, host, other)], HOUR, undefined, [alert('o1', 31, other, undefined, 20, 'observation')], inHand);
    await es().indices.refresh({ index: INCIDENTS_INDEX });
    expect((await search(host)).map((i) => i.anomalies)).toEqual([['c1', 'c2']]);
    // Window 5: a stronger incident on the other host, opened in hand, is preferred to the one on both hosts for an
    // alert on the other host, as a stored one would be.
    await groupIncidents(es(), [alert('d1', 40, '10.0.2.3', undefined, 90)], HOUR, undefined, [], inHand);
    await groupIncidents(es(), [alert('d2', 41, '10.0.2.3', other, 70)], HOUR, undefined, [], inHand);
    await inHand.settle(es());
    expect((await search(host)).map((i) => [i.id, i.anomalies, i.observations, i.entities])).toEqual([['inc-c1', ['c1', 'c2', 'c3', 'c4'], ['o1'], [host, other]]]);
    expect((await search('10.0.2.3')).map((i) => [i.id, i.anomalies, i.score, i.entities])).toEqual([['inc-d1', ['d1', 'd2'], 90, ['10.0.2.3', other]]]);
    // A pass settles them once a hundred are in hand, whatever its checkpoints.
    const many = Array.from({ length: 100 }, (_, i) => alert(`e${i}`, 50, `10.0.3.${i}`));
    await groupIncidents(es(), many.slice(0, 99), HOUR, undefined, [], inHand);
    expect([inHand.size, inHand.full]).toEqual([99, false]);
    await groupIncidents(es(), many.slice(99), HOUR, undefined, [], inHand);
    expect([inHand.size, inHand.full]).toEqual([100, true]);
  });

  it('keeps the incidents in hand when Elasticsearch refuses them, and writes them once it takes them', async () => {
    const host = '10.0.4.1';
    const inHand = new IncidentsInHand();
    await groupIncidents(es(), [alert('f1', 0, host)], HOUR, undefined, [], inHand);
    await es().indices.putSettings({ index: INCIDENTS_INDEX, settings: { 'index.blocks.write': true } });
    try {
      await expect(inHand.settle(es())).rejects.toThrow(/writing incidents failed.*cluster_block_exception/);
    } finally {
      await es().indices.putSettings({ index: INCIDENTS_INDEX, settings: { 'index.blocks.write': null } });
    }
    expect(inHand.ids).toEqual(['inc-f1']);
    // The next window still finds the incident in hand.
    await groupIncidents(es(), [alert('f2', 10, host)], HOUR, undefined, [], inHand);
    await inHand.settle(es());
    const r = await es().search<{ incident: { id: string; anomalies: string[] } }>({ index: INCIDENTS_INDEX, query: { term: { 'incident.entities': host } } });
    expect(r.hits.hits.map((h) => [h._source!.incident.id, h._source!.incident.anomalies])).toEqual([['inc-f1', ['f1', 'f2']]]);
    expect(inHand.size).toBe(0);
  });
});
