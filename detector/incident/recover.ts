import type { Client, estypes } from '@elastic/elasticsearch';
import { ANOMALIES_ALIAS, INCIDENTS_INDEX } from '../../common/es/names';
import type { WrittenAnomaly } from '../anomaly/writer';
import { groupIncidents, type IncidentsInHand } from './group';

/** Alerts read per request. */
const PAGE = 1000;

export interface Recovered {
  /** Alerts that no incident named. */
  alerts: number;
  created: number;
  updated: number;
}

/**
 * Groups the alerts a failed pass wrote and did not group. A pass writes a window's anomalies, groups its alerts
 * into incidents, and writes those at its next checkpoint; one that stops in between (Elasticsearch refused the
 * incidents, the process was killed) leaves alerts that no incident names. The next pass runs those windows again
 * (they are past the watermark), but it does not hand those alerts to grouping again: an anomaly written before is
 * a duplicate, and a model whose baselines already learned the window does not judge it twice. So before its
 * windows, a pass looks for the alerts of its partition in windows from the watermark on (every window when there is
 * none) that no incident names, and groups them window by window, in the order of the windows.
 *
 * The incidents index is refreshed first: an incident the failed pass wrote, and no refresh showed yet, must be
 * found, or its alerts would open a second incident. Alerts take a second to be searchable; a pass that starts
 * within a second of the failed one's last write may leave that write's alerts to the pass after it.
 */
export async function groupUngroupedAlerts(
  client: Client,
  partition: number,
  since: number | undefined,
  windowMs: number,
  inHand: IncidentsInHand,
): Promise<Recovered> {
  const out: Recovered = { alerts: 0, created: 0, updated: 0 };
  await client.indices.refresh({ index: INCIDENTS_INDEX, ignore_unavailable: true });
  let after: estypes.SortResults | undefined;
  for (;;) {
    const r = await client.search<Record<string, unknown>>({
      index: ANOMALIES_ALIAS,
      size: PAGE,
      ignore_unavailable: true,
      allow_no_indices: true,
      track_total_hits: false,
      sort: [{ 'vigil.anomaly.window.start': 'asc' }, { 'vigil.anomaly.id': 'asc' }],
      ...(after ? { search_after: after } : {}),
      query: {
        bool: {
          filter: [
            { term: { 'vigil.anomaly.status': 'alert' } },
            { term: { 'vigil.anomaly.partition': partition } },
            ...(since !== undefined ? [{ range: { 'vigil.anomaly.window.start': { gte: since, format: 'epoch_millis' } } }] : []),
          ],
        },
      },
    });
    const hits = r.hits.hits;
    if (hits.length === 0) break;
    after = hits[hits.length - 1].sort;
    const alerts = hits.flatMap((h) => {
      const anomaly = (h._source?.vigil as { anomaly?: { id: string; window: { start: unknown } } } | undefined)?.anomaly;
      return h._source && anomaly ? [{ written: { id: anomaly.id, index: h._index, document: h._source }, start: anomaly.window.start }] : [];
    });
    const named = await namedAlerts(client, alerts.map((a) => a.written.id));
    // Window by window: the hits are in window order.
    let window: WrittenAnomaly[] = [];
    let start: unknown;
    const flush = async () => {
      if (window.length === 0) return;
      const grouped = await groupIncidents(client, window, windowMs, Date.now(), [], inHand);
      out.alerts += window.length;
      out.created += grouped.created;
      out.updated += grouped.updated;
      if (inHand.full) await inHand.settle(client);
      window = [];
    };
    for (const a of alerts) {
      if (named.has(a.written.id)) continue;
      if (a.start !== start) await flush();
      start = a.start;
      window.push(a.written);
    }
    await flush();
    if (hits.length < PAGE) break;
  }
  return out;
}

/** Which of these alert ids an incident names. */
async function namedAlerts(client: Client, ids: string[]): Promise<Set<string>> {
  const wanted = new Set(ids);
  const named = new Set<string>();
  const r = await client.search<{ incident: { anomalies: string[] } }>({
    index: INCIDENTS_INDEX,
    size: 10_000,
    ignore_unavailable: true,
    _source: ['incident.anomalies'],
    query: { terms: { 'incident.anomalies': ids } },
  });
  for (const h of r.hits.hits) for (const id of h._source?.incident.anomalies ?? []) if (wanted.has(id)) named.add(id);
  return named;
}
