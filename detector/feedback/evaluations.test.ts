import { evaluationHash, type EvaluationRecord } from './evaluations';

const record: Omit<EvaluationRecord, 'hash'> = {
  '@timestamp': '2026-11-24T22:00:00.000Z',
  sequence: 1,
  anomaly: { id: 'abc', model: 'beacon', entity: '192.168.1.115' },
  disposition: 'malicious',
  note: 'NjRAT beacon to its C&C',
  analyst: 'alice',
  action: { type: 'none' },
  prev_hash: '0'.repeat(64),
};

describe('evaluation hash chain', () => {
  it('changes when any field changes, including the link to the record before', () => {
    const h = evaluationHash(record);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(evaluationHash({ ...record })).toBe(h);
    expect(evaluationHash({ ...record, note: 'NjRAT beacon to its C&C.' })).not.toBe(h);
    expect(evaluationHash({ ...record, disposition: 'benign' })).not.toBe(h);
    expect(evaluationHash({ ...record, prev_hash: '1'.repeat(64) })).not.toBe(h);
    expect(evaluationHash({ ...record, action: { type: 'suppress', expires: '2026-12-01T00:00:00.000Z' } })).not.toBe(h);
  });
});
