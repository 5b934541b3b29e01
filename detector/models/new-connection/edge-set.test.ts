import { readZeekLog } from '../../../ingest/normalize/zeek/corpus.fixture';
import { decodeEdgeSet, edgeHash, encodeEdgeSet } from './edge-set';

describe('edge sets', () => {
  // Every edge of a real capture with thousands of them (an nmap scan of a network).
  const edges = [...new Set(readZeekLog('labeled/stratosphere-security-datasets/002-zeek-scenario-port-scanning/conn.log').map((r) => `${r.fields['id.resp_h']}|${r.fields['id.resp_p']}/${r.fields.proto}`))];

  it('hashes every edge of a scan to a distinct whole number a double holds exactly', () => {
    expect(edges.length).toBeGreaterThan(1000);
    const hashes = edges.map(edgeHash);
    expect(new Set(hashes).size).toBe(edges.length);
    for (const h of hashes) {
      expect(Number.isSafeInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
    }
    // Edges that differ in one character (the port, the transport) land far apart.
    expect(edgeHash('10.0.0.1|502/tcp')).not.toBe(edgeHash('10.0.0.1|503/tcp'));
    expect(edgeHash('10.0.0.1|53/udp')).not.toBe(edgeHash('10.0.0.1|53/tcp'));
  });

  it('comes back from its stored form unchanged, exactness included', () => {
    const set = { hashes: new Set(edges.map(edgeHash)), exact: true };
    const stored = encodeEdgeSet(set);
    expect(typeof stored).toBe('string');
    expect(decodeEdgeSet(stored, true)).toEqual(set);
    expect(decodeEdgeSet(stored, undefined).exact).toBe(false);
    expect(decodeEdgeSet(undefined, undefined)).toEqual({ hashes: new Set(), exact: false });
  });
});
