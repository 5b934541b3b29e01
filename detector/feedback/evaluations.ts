import { createHash } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { ANOMALIES_ALIAS, EVALUATIONS_INDEX } from '../../common/es/names';
import { UsageError } from '../../common/errors';

/**
 * Triage decisions. An evaluation is appended, never changed: its id is its sequence number, so two analysts
 * writing at once cannot both take the same place (the second gets 409 and retries on the next number), and each
 * carries the hash of the one before, so a later edit or deletion breaks the chain where it happened (CIP-015 R3).
 */
export const DISPOSITIONS = ['benign', 'abnormal_not_suspicious', 'suspicious', 'malicious'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];
export const ACTIONS = ['none', 'accept', 'suppress'] as const;
export type EvaluationActionType = (typeof ACTIONS)[number];

export interface EvaluationInput {
  anomalyId: string;
  disposition: Disposition;
  note: string;
  analyst: string;
  action?: { type: EvaluationActionType; scope?: { model?: string; entity?: string; peer?: string }; expires?: number };
  time?: number;
}

export interface EvaluationRecord {
  '@timestamp': string;
  sequence: number;
  anomaly: { id: string; model: string; entity: string };
  disposition: Disposition;
  note: string;
  analyst: string;
  action: { type: EvaluationActionType; scope?: { model?: string; entity?: string; peer?: string }; expires?: string };
  prev_hash: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);

export function evaluationHash(record: Omit<EvaluationRecord, 'hash'>): string {
  // Keys in a fixed order: the hash must not depend on how a JSON library orders them.
  const canonical = JSON.stringify([
    record.sequence,
    record['@timestamp'],
    record.anomaly.id,
    record.anomaly.model,
    record.anomaly.entity,
    record.disposition,
    record.note,
    record.analyst,
    record.action.type,
    record.action.scope?.model ?? null,
    record.action.scope?.entity ?? null,
    record.action.scope?.peer ?? null,
    record.action.expires ?? null,
    record.prev_hash,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export async function writeEvaluation(client: Client, input: EvaluationInput): Promise<EvaluationRecord> {
  const anomaly = await client.search<{ vigil: { anomaly: { model: string; entity: { id: string }; peer?: { id: string } } } }>({
    index: ANOMALIES_ALIAS,
    size: 1,
    query: { term: { 'vigil.anomaly.id': input.anomalyId } },
    ignore_unavailable: true,
  });
  const found = anomaly.hits.hits[0]?._source?.vigil.anomaly;
  if (!found) throw new UsageError(`no anomaly with id ${input.anomalyId}`);
  const action = input.action ?? { type: 'none' as const };
  if (action.type === 'suppress' && action.expires === undefined) throw new UsageError('a suppression needs an expiry (--expires)');
  const scope = action.type === 'none' ? undefined : { model: found.model, entity: found.entity.id, peer: found.peer?.id, ...action.scope };
  for (let attempt = 0; attempt < 20; attempt++) {
    const last = await lastEvaluation(client);
    const base: Omit<EvaluationRecord, 'hash'> = {
      '@timestamp': new Date(input.time ?? Date.now()).toISOString(),
      sequence: (last?.sequence ?? 0) + 1,
      anomaly: { id: input.anomalyId, model: found.model, entity: found.entity.id },
      disposition: input.disposition,
      note: input.note,
      analyst: input.analyst,
      action: { type: action.type, ...(scope ? { scope } : {}), ...(action.expires !== undefined ? { expires: new Date(action.expires).toISOString() } : {}) },
      prev_hash: last?.hash ?? GENESIS,
    };
    const record: EvaluationRecord = { ...base, hash: evaluationHash(base) };
    try {
      await client.create({ index: EVALUATIONS_INDEX, id: sequenceId(record.sequence), document: record, refresh: 'wait_for' });
      return record;
    } catch (err) {
      if ((err as { meta?: { statusCode?: number } }).meta?.statusCode === 409) continue;
      throw err;
    }
  }
  throw new Error('could not append the evaluation: the chain kept moving (20 attempts)');
}

function sequenceId(sequence: number): string {
  return String(sequence).padStart(12, '0');
}

async function lastEvaluation(client: Client): Promise<EvaluationRecord | undefined> {
  await client.indices.refresh({ index: EVALUATIONS_INDEX }, { ignore: [404] });
  const r = await client.search<EvaluationRecord>({ index: EVALUATIONS_INDEX, size: 1, sort: [{ sequence: 'desc' }], ignore_unavailable: true });
  return r.hits.hits[0]?._source;
}

/** Every evaluation in sequence order, a page at a time. */
export async function* evaluations(client: Client, pageSize = 1000): AsyncGenerator<EvaluationRecord> {
  let after: unknown[] | undefined;
  for (;;) {
    const r = await client.search<EvaluationRecord>({
      index: EVALUATIONS_INDEX,
      size: pageSize,
      sort: [{ sequence: 'asc' }],
      ignore_unavailable: true,
      ...(after ? { search_after: after as never } : {}),
    });
    const hits = r.hits.hits;
    for (const h of hits) if (h._source) yield h._source;
    if (hits.length < pageSize) return;
    after = hits[hits.length - 1].sort as unknown[];
  }
}

/** Checks the chain: every record's hash, and that each names the hash of the one before. */
export async function verifyEvaluationChain(client: Client): Promise<{ records: number; broken?: { sequence: number; reason: string } }> {
  let prev = GENESIS;
  let expected = 1;
  let records = 0;
  for await (const record of evaluations(client)) {
    records++;
    const { hash, ...rest } = record;
    if (record.sequence !== expected) return { records, broken: { sequence: expected, reason: `record ${expected} is missing` } };
    if (record.prev_hash !== prev) return { records, broken: { sequence: record.sequence, reason: 'it does not follow the record before it' } };
    if (evaluationHash(rest) !== hash) return { records, broken: { sequence: record.sequence, reason: 'its content does not match its hash' } };
    prev = hash;
    expected++;
  }
  return { records };
}

/**
 * What the models and the scoring need from the decisions made so far, latest decision per anomaly winning:
 * - tainted: malicious or suspicious activity, kept out of baselines;
 * - accepted: benign activity accepted as the new normal for that entity;
 * - suppressions: scopes whose anomalies are still written but not alerted until they expire.
 */
export interface Feedback {
  isTainted(model: string, entity: string, peer?: string): boolean;
  isAccepted(model: string, entity: string, peer?: string): boolean;
  suppression(model: string, entity: string, peer: string | undefined, time: number): { id: string; expires?: number } | undefined;
}

export async function loadFeedback(client: Client): Promise<Feedback> {
  const latest = new Map<string, EvaluationRecord>();
  for await (const record of evaluations(client)) latest.set(record.anomaly.id, record);
  const tainted = new Set<string>();
  const accepted = new Set<string>();
  const suppressions: Array<{ id: string; model?: string; entity?: string; peer?: string; expires?: number }> = [];
  for (const r of latest.values()) {
    const scope = r.action.scope ?? { model: r.anomaly.model, entity: r.anomaly.entity };
    if (r.disposition === 'malicious' || r.disposition === 'suspicious') {
      tainted.add(scopeKey(scope.model ?? r.anomaly.model, scope.entity ?? r.anomaly.entity, scope.peer));
      tainted.add(scopeKey(scope.model ?? r.anomaly.model, scope.entity ?? r.anomaly.entity, undefined));
    }
    if (r.action.type === 'accept') accepted.add(scopeKey(scope.model ?? r.anomaly.model, scope.entity ?? r.anomaly.entity, scope.peer));
    if (r.action.type === 'suppress') {
      suppressions.push({ id: String(r.sequence), ...scope, expires: r.action.expires ? Date.parse(r.action.expires) : undefined });
    }
  }
  return {
    isTainted: (model, entity, peer) => tainted.has(scopeKey(model, entity, peer)) || (peer !== undefined && tainted.has(scopeKey(model, peer, undefined))),
    isAccepted: (model, entity, peer) => accepted.has(scopeKey(model, entity, peer)) || accepted.has(scopeKey(model, entity, undefined)),
    suppression(model, entity, peer, time) {
      for (const s of suppressions) {
        if (s.expires !== undefined && time >= s.expires) continue;
        if (s.model && s.model !== model) continue;
        if (s.entity && s.entity !== entity) continue;
        if (s.peer && s.peer !== peer) continue;
        return { id: s.id, expires: s.expires };
      }
      return undefined;
    },
  };
}

function scopeKey(model: string, entity: string, peer: string | undefined): string {
  return `${model}\u0000${entity}\u0000${peer ?? ''}`;
}

export const NO_FEEDBACK: Feedback = {
  isTainted: () => false,
  isAccepted: () => false,
  suppression: () => undefined,
};
