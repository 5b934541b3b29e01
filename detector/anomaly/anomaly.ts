import { createHash } from 'node:crypto';
import { anomaliesIndex } from '../../common/es/names';
import type { ModelId } from '../../common/config/detector-schema';

/** What a model reports; the pass adds the id, status, maintenance and suppression before it is written. */
export interface AnomalyDraft {
  model: ModelId;
  /** What kind of deviation: new_peer, new_port, rare_destination, volume_high, beacon, dns_tunnel, ot_write... */
  kind: string;
  domain: 'network' | 'dns' | 'ot' | 'email';
  entity: { type: 'host' | 'user' | 'sender' | 'domain'; id: string };
  peer?: { type: string; id: string };
  /** Distinguishes several anomalies of one kind and entity in one window (a port, a function code...). */
  key?: string;
  score: number;
  /** Time of the first event behind it (epoch ms). */
  time: number;
  explanation: string;
  figures: AnomalyFigures;
  events: { index: string; query: Record<string, unknown>; ids?: string[]; count: number };
  techniques?: Array<{ id: string; name: string; framework?: 'MITRE ATT&CK' | 'MITRE ATT&CK for ICS' }>;
  related?: { ip?: string[]; hosts?: string[]; user?: string[] };
  source?: { ip?: string; port?: number };
  destination?: { ip?: string; port?: number; domain?: string };
  network?: { protocol?: string; transport?: string; direction?: string };
  email?: { from?: { address?: string }; to?: { address?: string[] }; subject?: string };
}

export interface AnomalyFigures {
  observed: number;
  expected?: number;
  spread?: number;
  history_windows?: number;
  history_days?: number;
  first_seen?: number;
  peers?: number;
  count?: number;
  unit?: string;
  details?: Record<string, unknown>;
}

export type AnomalyStatus = 'alert' | 'observation' | 'expected' | 'suppressed';

export interface AnomalyContext {
  window: { start: number; end: number };
  alertScore: number;
  sensor?: string;
  partition: number;
  maintenance?: { id: string; reference: string };
  suppression?: { id: string; expires?: number };
  now: number;
}

/** Same model, kind, entity, key and window: same id, so a re-run of a window writes nothing new (409). */
export function anomalyId(draft: Pick<AnomalyDraft, 'model' | 'kind' | 'entity' | 'key'>, windowStart: number): string {
  const basis = [draft.model, draft.kind, draft.entity.type, draft.entity.id, draft.key ?? '', String(windowStart)].join('\u0000');
  return createHash('sha256').update(basis).digest('base64url').slice(0, 27);
}

export function anomalyStatus(draft: AnomalyDraft, ctx: AnomalyContext): AnomalyStatus {
  if (ctx.maintenance) return 'expected';
  if (ctx.suppression) return 'suppressed';
  return draft.score >= ctx.alertScore ? 'alert' : 'observation';
}

const iso = (t: number) => new Date(t).toISOString();

export function anomalyDocument(draft: AnomalyDraft, ctx: AnomalyContext): { index: string; id: string; document: Record<string, unknown> } {
  const id = anomalyId(draft, ctx.window.start);
  const status = anomalyStatus(draft, ctx);
  const { figures } = draft;
  const related = {
    ip: unique([...(draft.related?.ip ?? []), ...(draft.entity.type === 'host' ? [draft.entity.id] : []), ...(draft.peer?.type === 'host' ? [draft.peer.id] : [])]),
    hosts: unique(draft.related?.hosts ?? []),
    user: unique(draft.related?.user ?? []),
  };
  const document: Record<string, unknown> = {
    '@timestamp': iso(draft.time),
    event: { kind: status === 'alert' ? 'alert' : 'signal', category: ['intrusion_detection'], created: iso(ctx.now), dataset: `vigil.${draft.model}`, severity: Math.round(draft.score) },
    message: draft.explanation,
    rule: { name: `${draft.model}.${draft.kind}`, id: `${draft.model}.${draft.kind}` },
    related: prune(related),
    vigil: {
      anomaly: prune({
        id,
        model: draft.model,
        kind: draft.kind,
        domain: draft.domain,
        score: draft.score,
        status,
        entity: draft.entity,
        peer: draft.peer,
        window: { start: iso(ctx.window.start), end: iso(ctx.window.end) },
        explanation: draft.explanation,
        figures: prune({ ...figures, first_seen: figures.first_seen !== undefined ? iso(figures.first_seen) : undefined }),
        events: draft.events,
        maintenance: ctx.maintenance,
        suppression: ctx.suppression ? prune({ id: ctx.suppression.id, expires: ctx.suppression.expires !== undefined ? iso(ctx.suppression.expires) : undefined }) : undefined,
        partition: ctx.partition,
      }),
    },
  };
  if (draft.techniques?.length) {
    document.threat = {
      framework: draft.techniques[0].framework ?? 'MITRE ATT&CK',
      technique: { id: draft.techniques.map((t) => t.id), name: draft.techniques.map((t) => t.name) },
    };
  }
  if (draft.source) document.source = prune(draft.source);
  if (draft.destination) document.destination = prune(draft.destination);
  if (draft.network) document.network = prune(draft.network);
  if (draft.email) document.email = prune(draft.email);
  if (ctx.sensor) document.observer = { name: ctx.sensor };
  return { index: anomaliesIndex(iso(ctx.window.start)), id, document };
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== ''))];
}

/** Drops undefined values and empty arrays so that documents carry only what was observed. */
function prune<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out as T;
}
