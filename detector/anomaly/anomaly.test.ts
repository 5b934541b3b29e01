import { anomalyDocument, anomalyId, type AnomalyDraft } from './anomaly';
import { ANOMALY_PROPERTIES } from '../../common/es/templates/detector';

const draft: AnomalyDraft = {
  model: 'new_connection',
  kind: 'new_peer',
  domain: 'network',
  entity: { type: 'host', id: '192.168.1.115' },
  peer: { type: 'host', id: '41.108.179.197' },
  score: 72.5,
  time: Date.UTC(2017, 2, 8, 13, 50),
  explanation: '192.168.1.115 connected to 41.108.179.197:1177/tcp for the first time.',
  figures: { observed: 1, expected: 0.1, first_seen: Date.UTC(2017, 2, 8, 13, 0), unit: 'new connections per window' },
  events: { index: 'vigil-zeek-*', query: { match_all: {} }, count: 3 },
  techniques: [{ id: 'T1571', name: 'Non-Standard Port' }],
};
const window = { start: Date.UTC(2017, 2, 8, 13, 45), end: Date.UTC(2017, 2, 8, 14, 0) };

describe('anomaly documents', () => {
  it('have an id that depends on model, kind, entity, key and window only', () => {
    const id = anomalyId(draft, window.start);
    expect(anomalyId({ ...draft }, window.start)).toBe(id);
    expect(anomalyId({ ...draft, key: '1177/tcp' }, window.start)).not.toBe(id);
    expect(anomalyId(draft, window.end)).not.toBe(id);
    expect(anomalyId({ ...draft, entity: { type: 'host', id: '192.168.1.116' } }, window.start)).not.toBe(id);
  });

  it('take their status from maintenance, suppression and the alert score, in that order', () => {
    const base = { window, alertScore: 60, partition: 0, now: 0 };
    const status = (extra: object, score = 72.5) => (anomalyDocument({ ...draft, score }, { ...base, ...extra }).document.vigil as any).anomaly.status;
    expect(status({})).toBe('alert');
    expect(status({}, 40)).toBe('observation');
    expect(status({ suppression: { id: '7' } })).toBe('suppressed');
    expect(status({ maintenance: { id: 'plc-upgrade', reference: 'CHG-1' }, suppression: { id: '7' } })).toBe('expected');
  });

  it('name entity and peer in related.ip, go to the month of their window, and use only mapped fields', () => {
    const { index, document } = anomalyDocument(draft, { window, alertScore: 60, partition: 0, now: 0 });
    expect(index).toBe('vigil-anomalies-2017.03');
    expect((document.related as any).ip).toEqual(['192.168.1.115', '41.108.179.197']);
    expect((document.threat as any).technique.id).toEqual(['T1571']);
    const unmapped = (doc: Record<string, unknown>, props: Record<string, any>, path: string[] = []): string[] =>
      Object.entries(doc).flatMap(([k, v]) => {
        const p = props[k];
        if (!p) return [[...path, k].join('.')];
        if (p.enabled === false || !p.properties || typeof v !== 'object' || v === null || Array.isArray(v)) return [];
        return unmapped(v as Record<string, unknown>, p.properties, [...path, k]);
      });
    expect(unmapped(document, ANOMALY_PROPERTIES)).toEqual([]);
  });
});
