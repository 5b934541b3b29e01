import type { Client, estypes } from '@elastic/elasticsearch';
import { INCIDENTS_INDEX } from '../../common/es/names';
import type { WrittenAnomaly } from '../anomaly/writer';

/**
 * Incidents: alerts that share an entity (a host, a user, a mail sender or recipient) within the incident window
 * are one incident, across models and domains: a phishing message to a user, a new beacon from that user's host,
 * then that host writing to a PLC. The summary is built from the facts in the anomalies, in time order.
 *
 * Only the anomaly's own entity and peer join incidents, not every address it lists: an anomaly that names a
 * thousand scanning sources would otherwise pull every incident of the day into one. The addresses it lists are
 * the incident's `related.ip` all the same, up to `MAX_RELATED_IP`.
 *
 * Observations (anomalies below the alert score) never open an incident, but one whose entity is an entity of an
 * incident still open (its last alert within the incident window) joins it as context: counted and listed apart
 * from the timeline of alerts, with its addresses added to `related.ip`, so that the incident of a device names
 * what else reached it or what it reached while the incident was open. They do not change the incident's score,
 * its end or its timeline.
 */
export interface IncidentEntry {
  time: number;
  anomaly: string;
  model: string;
  kind: string;
  domain: string;
  entity: string;
  peer?: string;
  score: number;
  explanation: string;
  techniques: string[];
}

export interface Incident {
  id: string;
  start: number;
  end: number;
  score: number;
  entities: string[];
  timeline: IncidentEntry[];
  relatedIp: string[];
  /** Observations joined as context (ids, at most `MAX_OBSERVATIONS`), and how many joined in all. */
  observations: string[];
  observationCount: number;
}

interface StoredIncident {
  '@timestamp': string;
  incident: {
    id: string;
    status: string;
    score: number;
    start: string;
    end: string;
    updated: string;
    title: string;
    summary: string;
    models: string[];
    domains: string[];
    entities: string[];
    anomalies: string[];
    anomaly_count: number;
    alert_count: number;
    observations?: string[];
    observation_count?: number;
    techniques: string[];
    timeline: IncidentEntry[];
  };
  related: { ip: string[] };
}

const MAX_TIMELINE = 500;
/** Addresses an incident names at most. */
export const MAX_RELATED_IP = 10_000;
/** Observation ids an incident lists at most (it counts them all). */
const MAX_OBSERVATIONS = 1000;
/**
 * Incidents a pass holds in hand at most (`IncidentsInHand`). One is up to a few hundred kilobytes in memory (10,000
 * addresses, 1,000 observation ids, 500 timeline entries), so a hundred stay within tens of megabytes.
 */
const MAX_IN_HAND = 100;
/** Entities asked for in one search for open incidents. */
const ENTITY_CHUNK = 1000;
/** The order in which open incidents are preferred: highest score, then latest end, then lowest id. */
const OPEN_ORDER: estypes.SortCombinations[] = [{ 'incident.score': 'desc' }, { 'incident.end': 'desc' }, { 'incident.id': 'asc' }];

export function entryOf(a: WrittenAnomaly): IncidentEntry {
  const doc = a.document as {
    '@timestamp': string;
    vigil: { anomaly: { id: string; model: string; kind: string; domain: string; score: number; explanation: string; entity: { id: string }; peer?: { id: string } } };
    threat?: { technique: { id: string[] } };
  };
  const an = doc.vigil.anomaly;
  return {
    time: Date.parse(doc['@timestamp']),
    anomaly: an.id,
    model: an.model,
    kind: an.kind,
    domain: an.domain,
    entity: an.entity.id,
    peer: an.peer?.id,
    score: an.score,
    explanation: an.explanation,
    techniques: doc.threat?.technique.id ?? [],
  };
}

/** The addresses an anomaly names. */
function relatedOf(a: WrittenAnomaly): string[] {
  return (a.document as { related?: { ip?: string[] } }).related?.ip ?? [];
}

/** The set of each incident's `relatedIp`, kept while the incident is in hand, so that adding stays cheap. */
const relatedSets = new WeakMap<Incident, Set<string>>();

function addRelated(inc: Incident, ips: Iterable<string>): void {
  if (inc.relatedIp.length >= MAX_RELATED_IP) return;
  let have = relatedSets.get(inc);
  if (!have) relatedSets.set(inc, (have = new Set(inc.relatedIp)));
  for (const ip of ips) {
    if (have.has(ip) || !isIp(ip)) continue;
    have.add(ip);
    inc.relatedIp.push(ip);
    if (inc.relatedIp.length >= MAX_RELATED_IP) return;
  }
}

function isIp(s: string): boolean {
  return /^[0-9.]+$|:/.test(s);
}

/**
 * Groups a window's alerts into incidents, joining open incidents already stored, adds the window's observations to
 * the incidents open on their entities, and writes what changed.
 */
export async function groupIncidents(
  client: Client,
  alerts: WrittenAnomaly[],
  windowMs: number,
  now = Date.now(),
  observations: WrittenAnomaly[] = [],
  inHand?: IncidentsInHand,
): Promise<{ created: number; updated: number }> {
  const entries = alerts.map((a) => ({ e: entryOf(a), related: relatedOf(a) })).sort((a, b) => a.e.time - b.e.time);
  const touched = new Map<string, Incident>();
  let created = 0;
  for (const { e, related } of entries) {
    const keys = [e.entity, ...(e.peer ? [e.peer] : [])];
    let target = [...touched.values()].find((inc) => inc.end >= e.time - windowMs && keys.some((k) => inc.entities.includes(k)));
    if (!target) target = await findOpen(client, keys, e.time - windowMs, inHand);
    if (!target) {
      target = { id: `inc-${e.anomaly}`, start: e.time, end: e.time, score: 0, entities: [], timeline: [], relatedIp: [], observations: [], observationCount: 0 };
      created++;
    }
    if (!target.timeline.some((t) => t.anomaly === e.anomaly)) {
      if (target.timeline.length < MAX_TIMELINE) target.timeline.push(e);
      target.start = Math.min(target.start, e.time);
      target.end = Math.max(target.end, e.time);
      for (const k of keys) if (!target.entities.includes(k)) target.entities.push(k);
      addRelated(target, [...keys, ...related]);
      target.score = incidentScore(target.timeline);
    }
    touched.set(target.id, target);
  }
  await joinObservations(client, observations, windowMs, touched, inHand);
  if (touched.size === 0) return { created: 0, updated: 0 };
  // With incidents in hand, they are written when the hand is settled. Without, at once and refreshed, so that the
  // next grouping finds them without waiting for a refresh.
  if (inHand) inHand.keep(touched.values(), now);
  else await writeIncidents(client, [...touched.values()].map((inc) => ({ inc, updated: now })), true);
  return { created, updated: touched.size - created };
}

async function writeIncidents(client: Client, incidents: Array<{ inc: Incident; updated: number }>, refresh: boolean): Promise<void> {
  const operations: unknown[] = [];
  for (const { inc, updated } of incidents) operations.push({ index: { _index: INCIDENTS_INDEX, _id: inc.id } }, storedIncident(inc, updated));
  const r = await client.bulk({ operations, refresh });
  if (r.errors) throw new Error(`writing incidents failed: ${JSON.stringify(r.items.find((i) => i.index?.error)?.index?.error)}`);
}

/** Observations join the incident open on their entity (the touched one first, else the highest-scored stored one). */
async function joinObservations(
  client: Client,
  observations: WrittenAnomaly[],
  windowMs: number,
  touched: Map<string, Incident>,
  inHand: IncidentsInHand | undefined,
): Promise<void> {
  if (observations.length === 0) return;
  const items = observations.map((o) => ({ e: entryOf(o), related: relatedOf(o) }));
  const openOn = (inc: Incident, e: IncidentEntry) => inc.end >= e.time - windowMs && inc.entities.includes(e.entity);
  const pending = items.filter(({ e }) => ![...touched.values()].some((inc) => openOn(inc, e)));
  const stored = await findOpenMany(client, [...new Set(pending.map(({ e }) => e.entity))], Math.min(...pending.map(({ e }) => e.time)) - windowMs, 10_000, inHand);
  for (const { e, related } of items) {
    let target = [...touched.values()].find((inc) => openOn(inc, e));
    if (!target) {
      const found = stored.get(e.entity);
      if (!found || !openOn(found, e)) continue;
      target = touched.get(found.id) ?? found;
    }
    if (target.observations.includes(e.anomaly) || target.timeline.some((t) => t.anomaly === e.anomaly)) continue;
    if (target.observations.length < MAX_OBSERVATIONS) target.observations.push(e.anomaly);
    target.observationCount++;
    addRelated(target, [e.entity, ...related]);
    touched.set(target.id, target);
  }
}

/**
 * For each entity, the highest-scored incident naming it that was open at `since` or later, among the `size`
 * highest-scored incidents naming any of them. Of incidents with the same score, the one that ended last wins, then
 * the lowest id: without them, Elasticsearch returns ties in the order of its segments, which merges change, and the
 * same alerts would join different incidents from one run to the next. Incidents in hand are taken as they are in
 * hand, and left out of the search, which may still show an older version of them or none.
 */
async function findOpenMany(client: Client, entities: string[], since: number, size = 10_000, inHand?: IncidentsInHand): Promise<Map<string, Incident>> {
  const out = new Map<string, Incident>();
  const held = inHand?.ids ?? [];
  for (let i = 0; i < entities.length; i += ENTITY_CHUNK) {
    const chunk = entities.slice(i, i + ENTITY_CHUNK);
    const r = await client.search<StoredIncident>({
      index: INCIDENTS_INDEX,
      size,
      ignore_unavailable: true,
      sort: OPEN_ORDER,
      query: {
        bool: {
          filter: [{ terms: { 'incident.entities': chunk } }, { range: { 'incident.end': { gte: since, format: 'epoch_millis' } } }],
          ...(held.length > 0 ? { must_not: [{ ids: { values: held } }] } : {}),
        },
      },
    });
    const wanted = new Set(chunk);
    const found = r.hits.hits.flatMap((h) => (h._source ? [fromStored(h._source)] : []));
    const candidates = inHand ? [...found, ...inHand.openOn(wanted, since)].sort(openOrder) : found;
    for (const inc of candidates) {
      for (const entity of inc.entities) if (wanted.has(entity) && !out.has(entity)) out.set(entity, inc);
    }
  }
  return out;
}

/** `OPEN_ORDER` in memory: highest score, then latest end, then lowest id. */
function openOrder(a: Incident, b: Incident): number {
  return b.score - a.score || b.end - a.end || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The incidents a pass has grouped since it last settled them, held until then and written once. A pass groups
 * each window's alerts into incidents; an incident is many kilobytes (its addresses and observations), and one
 * whose alerts go on for hours took a new version per window: written, refreshed and merged away dozens of times
 * in a pass. The next window's grouping takes them from here instead of from a search. `settle` writes those that
 * changed, refreshes the index so that the search shows them, and lets them go; a pass settles them at its
 * checkpoints, at its end, and when `full`, so memory is bounded by `MAX_IN_HAND` incidents and one window's.
 */
export class IncidentsInHand {
  private readonly byId = new Map<string, Incident>();
  /** Those changed since they were last written, with the time of the change. */
  private readonly changed = new Map<string, number>();

  /** Whether the pass should settle them after this window: at `MAX_IN_HAND`, so that it holds no more than that and one window's. */
  get full(): boolean {
    return this.byId.size >= MAX_IN_HAND;
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  get size(): number {
    return this.byId.size;
  }

  /** Takes incidents changed at `updated`, to be written when the hand is settled. */
  keep(incidents: Iterable<Incident>, updated: number): void {
    for (const inc of incidents) {
      this.byId.set(inc.id, inc);
      this.changed.set(inc.id, updated);
    }
  }

  /** Incidents in hand naming any of `entities` that were open at `since` or later. */
  openOn(entities: ReadonlySet<string>, since: number): Incident[] {
    return [...this.byId.values()].filter((inc) => inc.end >= since && inc.entities.some((e) => entities.has(e)));
  }

  /**
   * Writes the incidents that changed, refreshes the index so that searches show them, and lets go of the incidents
   * in hand. Those not written stay in hand when the write fails.
   */
  async settle(client: Client): Promise<void> {
    if (this.byId.size === 0) return;
    if (this.changed.size > 0) {
      await writeIncidents(client, [...this.changed].map(([id, updated]) => ({ inc: this.byId.get(id)!, updated })), false);
      this.changed.clear();
    }
    await client.indices.refresh({ index: INCIDENTS_INDEX, ignore_unavailable: true });
    this.byId.clear();
  }
}

function fromStored(s: StoredIncident): Incident {
  return {
    id: s.incident.id,
    start: Date.parse(s.incident.start),
    end: Date.parse(s.incident.end),
    score: s.incident.score,
    entities: s.incident.entities,
    timeline: s.incident.timeline,
    relatedIp: s.related.ip,
    observations: s.incident.observations ?? [],
    observationCount: s.incident.observation_count ?? 0,
  };
}

/** The highest-scored incident naming any of `keys` that was open at `since` or later: one hit is enough. */
async function findOpen(client: Client, keys: string[], since: number, inHand?: IncidentsInHand): Promise<Incident | undefined> {
  const [best] = (await findOpenMany(client, keys, since, 1, inHand)).values();
  return best;
}

/** The strongest anomaly, raised for each further domain (network, DNS, OT, email) the incident spans: a chain across domains is worse than its worst link. */
export function incidentScore(timeline: IncidentEntry[]): number {
  const max = Math.max(...timeline.map((t) => t.score));
  const domains = new Set(timeline.map((t) => t.domain)).size;
  const models = new Set(timeline.map((t) => t.model)).size;
  return Math.min(100, Math.round((max + 8 * (domains - 1) + 3 * (models - domains)) * 10) / 10);
}

export function incidentSummary(inc: Incident): { title: string; summary: string } {
  const t = inc.timeline;
  const top = [...t].sort((a, b) => b.score - a.score)[0];
  const span = formatSpan(inc.end - inc.start);
  const models = [...new Set(t.map((e) => e.model.replace('_', ' ')))];
  const title = `${top.entity}: ${top.kind.replace(/_/g, ' ')}${t.length > 1 ? ` and ${t.length - 1} more anomal${t.length === 2 ? 'y' : 'ies'}` : ''}`;
  const steps = t.slice(0, 8).map((e, i) => `${i === 0 ? 'First' : 'Then'}, at ${new Date(e.time).toISOString()}, ${lowerFirst(e.explanation.replace(/\.$/, ''))}`);
  const more = t.length > 8 ? ` ${t.length - 8} further anomalies follow.` : '';
  const summary =
    `${t.length} anomal${t.length === 1 ? 'y' : 'ies'} from ${models.length} model${models.length === 1 ? '' : 's'} (${models.join(', ')}) ` +
    `over ${span} involving ${inc.entities.slice(0, 5).join(', ')}${inc.entities.length > 5 ? ` and ${inc.entities.length - 5} more` : ''}. ` +
    steps.join('. ') +
    '.' +
    more;
  return { title, summary };
}

function storedIncident(inc: Incident, now: number): StoredIncident {
  const { title, summary } = incidentSummary(inc);
  return {
    '@timestamp': new Date(inc.start).toISOString(),
    incident: {
      id: inc.id,
      status: 'open',
      score: inc.score,
      start: new Date(inc.start).toISOString(),
      end: new Date(inc.end).toISOString(),
      updated: new Date(now).toISOString(),
      title,
      summary,
      models: [...new Set(inc.timeline.map((e) => e.model))],
      domains: [...new Set(inc.timeline.map((e) => e.domain))],
      entities: inc.entities,
      anomalies: inc.timeline.map((e) => e.anomaly),
      anomaly_count: inc.timeline.length + inc.observationCount,
      alert_count: inc.timeline.length,
      observations: inc.observations,
      observation_count: inc.observationCount,
      techniques: [...new Set(inc.timeline.flatMap((e) => e.techniques))],
      timeline: inc.timeline,
    },
    related: { ip: inc.relatedIp },
  };
}

function formatSpan(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} days`;
}

function lowerFirst(s: string): string {
  // Explanations start with an address or a name more often than with a word; only a capitalised word is lowered.
  return /^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s;
}

