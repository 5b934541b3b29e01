import { readZeekLog } from '../../../ingest/normalize/zeek/corpus.fixture';
import { scanOf } from '.';

/** New edges per source and 15-minute window, from real conn records: what the model judges. */
function freshEdges(relative: string): Map<string, Array<{ peer: string; port: number; transport: string }>> {
  const out = new Map<string, Map<string, { peer: string; port: number; transport: string }>>();
  for (const r of readZeekLog(relative)) {
    const f = r.fields as Record<string, unknown>;
    const window = Math.floor(Number(f.ts) / 900);
    const key = `${f['id.orig_h']}@${window}`;
    const edge = { peer: String(f['id.resp_h']), port: Number(f['id.resp_p']), transport: String(f.proto) };
    let edges = out.get(key);
    if (!edges) out.set(key, (edges = new Map()));
    edges.set(`${edge.peer}|${edge.port}/${edge.transport}`, edge);
  }
  return new Map([...out].map(([k, v]) => [k, [...v.values()]]));
}

describe('scan detection on real captures', () => {
  it('finds the nmap scans of the port-scanning capture, by the scanning host only', () => {
    const windows = freshEdges('labeled/stratosphere-security-datasets/002-zeek-scenario-port-scanning/conn.log');
    const scans = [...windows].map(([key, edges]) => [key, scanOf(edges, 0.25)] as const).filter(([, s]) => s !== undefined);
    expect(scans.length).toBeGreaterThan(0);
    for (const [key] of scans) expect(key.startsWith('172.16.1.11@')).toBe(true);
    expect(scans.map(([, s]) => s!.kind)).toContain('port_scan');
    expect(scans.map(([, s]) => s!.kind)).toContain('address_scan');
  });

  it('finds none in a day of an ordinary computer attacked from outside, nor for a device that always meets many peers', () => {
    const windows = freshEdges('labeled/stratosphere-security-datasets/008-zeek-mixed/data/conn.log.labeled');
    const local = [...windows].filter(([key]) => key.startsWith('147.32.'));
    expect(local.length).toBeGreaterThan(50);
    for (const [, edges] of local) expect(scanOf(edges, 0.5)).toBeUndefined();
    const busiest = [...windows.values()].sort((a, b) => b.length - a.length)[0];
    // Whatever the busiest window holds, a device that usually opens that many new connections is not scanning.
    expect(scanOf(busiest, busiest.length)).toBeUndefined();
  });
});
