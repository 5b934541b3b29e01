import { validateConfig } from '../../../common/config/load';
import { readZeekLog } from '../../../ingest/normalize/zeek/corpus.fixture';
import { localNetworkMatcher } from '../../../ingest/enrich/direction';
import type { AnomalyDraft } from '../../anomaly/anomaly';
import { DAY_MS } from '../../baseline/decay';
import { BaselineStore, baselineId } from '../../baseline/store';
import { NO_FEEDBACK } from '../../feedback/evaluations';
import { MaintenanceCalendar, ZoneMap } from '../../feedback/scope';
import { partition } from '../../partition';
import type { CompositeBucket } from '../../query/composite';
import type { ModelContext } from '../model';
import { NewConnectionModel } from '.';
import { indexedDocs } from '../../baseline/bulk.fixture';
import { decodeEdgeSet, EDGE_SET_CAP, edgeHash, encodeEdgeSet } from './edge-set';

const WINDOW = 15 * 60_000;
const config = validateConfig({}, 'test');
const isLocal = localNetworkMatcher(config.networks.local);

/**
 * The buckets of the model's sweep over one window of a real capture, in Elasticsearch's order: (device, peer,
 * port, transport, protocol) with the first event time, from the capture's 15 minutes with the most local devices.
 */
function liveliestWindow(relative: string): { start: number; buckets: CompositeBucket[] } {
  const byWindow = new Map<number, Map<string, CompositeBucket>>();
  for (const r of readZeekLog(relative)) {
    const f = r.fields as Record<string, unknown>;
    const t = Math.round(Number(f.ts) * 1000);
    const w = Math.floor(t / WINDOW) * WINDOW;
    const key = { device: String(f['id.orig_h']), peer: String(f['id.resp_h']), port: Number(f['id.resp_p']), transport: String(f.proto), protocol: f.service === undefined ? null : String(f.service) };
    const id = JSON.stringify(key);
    let buckets = byWindow.get(w);
    if (!buckets) byWindow.set(w, (buckets = new Map()));
    const b = buckets.get(id);
    if (b) {
      b.doc_count++;
      (b.first as { value: number }).value = Math.min((b.first as { value: number }).value, t);
    } else buckets.set(id, { key, doc_count: 1, first: { value: t } });
  }
  const devices = (w: Map<string, CompositeBucket>) => new Set([...w.values()].map((b) => String(b.key.device)).filter(isLocal)).size;
  const [start, buckets] = [...byWindow].sort((a, b) => devices(b[1]) - devices(a[1]) || b[1].size - a[1].size)[0];
  return { start, buckets: [...buckets.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, b]) => b) };
}

/** Elasticsearch for the model: its sweep served from `buckets` (moved by `shift` ms) in pages, baselines in a map. */
function fakeClient() {
  const docs = new Map<string, any>();
  let buckets: CompositeBucket[] = [];
  const client = {
    docs,
    bulks: [] as string[][],
    reads: [] as string[],
    serve(next: CompositeBucket[], shift: number) {
      buckets = next.map((b) => ({ ...b, first: { value: (b.first as { value: number }).value + shift } }));
    },
    async search(request: { aggs: { page: { composite: { size: number; after?: { i: number } } } } }) {
      const { size, after } = request.aggs.page.composite;
      const from = after ? after.i : 0;
      const page = buckets.slice(from, from + size);
      return { aggregations: { page: { buckets: page, ...(page.length ? { after_key: { i: from + page.length } } : {}) } } };
    },
    async mget({ ids }: { ids: string[] }) {
      client.reads.push(...ids);
      return { docs: ids.map((id) => (docs.has(id) ? { _id: id, found: true, _source: docs.get(id) } : { _id: id, found: false })) };
    },
    async bulk({ operations }: { operations: Array<Record<string, any>> }) {
      const ids: string[] = [];
      for (const { id, doc } of indexedDocs(operations)) {
        docs.set(id, doc);
        ids.push(id);
      }
      client.bulks.push(ids);
      return { errors: false, items: [] };
    },
  };
  return client;
}

async function runWindow(client: ReturnType<typeof fakeClient>, start: number, pageSize: number): Promise<AnomalyDraft[]> {
  const emitted: AnomalyDraft[] = [];
  const ctx = {
    client,
    window: { start, end: start + WINDOW },
    config: { ...config, detector: { ...config.detector, pageSize } },
    baselines: new BaselineStore(client as never),
    partition: partition(0, 1),
    feedback: NO_FEEDBACK,
    maintenance: new MaintenanceCalendar([], new ZoneMap([])),
    zones: new ZoneMap([]),
    isLocal,
    halfLifeMs: 14 * DAY_MS,
    count: () => undefined,
    emit: (a: AnomalyDraft) => emitted.push(a),
  } as unknown as ModelContext;
  await new NewConnectionModel().run(ctx);
  await ctx.baselines.flush();
  return emitted;
}

/** A home network's capture: one IPv4 host and the IPv6 addresses of several devices. */
const CAPTURE = 'labeled/stratosphere-security-datasets/001-zeek-scenario-malicious/conn.log';

describe('new connection over a real capture', () => {
  const { start, buckets } = liveliestWindow(CAPTURE);
  const devices = new Set(buckets.map((b) => String(b.key.device)).filter(isLocal));

  it('judges a device whose buckets span pages once, with all of them: small pages learn what one page learns', async () => {
    expect(devices.size).toBeGreaterThan(1);
    const whole = fakeClient();
    const paged = fakeClient();
    whole.serve(buckets, 0);
    paged.serve(buckets, 0);
    const a = await runWindow(whole, start, 10_000);
    const b = await runWindow(paged, start, 7);
    expect(b).toEqual(a);
    const strip = (docs: Map<string, any>) => new Map([...docs].map(([id, d]) => [id, { ...d, updated: undefined }]));
    expect(strip(paged.docs)).toEqual(strip(whole.docs));
    for (const device of devices) expect(paged.docs.get(baselineId('new_connection', 'device', device))?.observations).toBe(1);
    // Every edge is held by its device's set, and none has a baseline of its own.
    // (The stand-in does not filter as the query asks: every bucket of a local device is an edge here.)
    expect([...paged.docs.keys()].filter((id) => id.startsWith('new_connection:edge:'))).toEqual([]);
    for (const device of devices) {
      const { state } = paged.docs.get(baselineId('new_connection', 'device', device));
      const edges = new Set(buckets.filter((b) => b.key.device === device).map((b) => `${b.key.peer}|${b.key.port}/${b.key.transport}`));
      expect(decodeEdgeSet(state.edges, state.edgesExact)).toEqual({ hashes: new Set([...edges].map(edgeHash)), exact: true });
    }
  });

  it('neither reads nor writes a known edge again: the device edge set answers, and the device is written every window', async () => {
    const client = fakeClient();
    client.serve(buckets, 0);
    await runWindow(client, start, 500);
    for (const device of devices) expect(client.docs.get(baselineId('new_connection', 'device', device)).state.edgesExact).toBe(true);

    // The same traffic an hour and two days later: nothing new, no edge read or written; only the devices' baselines are.
    for (const shift of [3_600_000, 2 * DAY_MS]) {
      client.bulks.length = 0;
      client.reads.length = 0;
      client.serve(buckets, shift);
      expect(await runWindow(client, start + shift, 500)).toEqual([]);
      expect(client.reads.filter((id) => id.startsWith('new_connection:edge:'))).toEqual([]);
      const written = client.bulks.flat();
      expect(written.filter((id) => id.startsWith('new_connection:edge:'))).toEqual([]);
      for (const device of devices) expect(written).toContain(baselineId('new_connection', 'device', device));
    }
  });

  it('reads the edges of a device learned before it kept an edge set, and finds them known', async () => {
    const client = fakeClient();
    client.serve(buckets, 0);
    await runWindow(client, start, 500);
    // As an earlier version wrote them: no edge set, and a baseline for each edge.
    for (const device of devices) {
      const doc = client.docs.get(baselineId('new_connection', 'device', device));
      delete doc.state.edges;
      delete doc.state.edgesExact;
      for (const b of buckets.filter((b) => b.key.device === device)) {
        const key = `${device}|${b.key.peer}|${b.key.port}/${b.key.transport}`;
        client.docs.set(baselineId('new_connection', 'edge', key), { ...doc, kind: 'edge', key, status: 'known', state: {} });
      }
    }
    const edgeIds = [...client.docs.keys()].filter((id) => id.startsWith('new_connection:edge:'));
    expect(edgeIds.length).toBeGreaterThan(devices.size);
    client.reads.length = 0;
    client.bulks.length = 0;
    client.serve(buckets, 3_600_000);
    expect(await runWindow(client, start + 3_600_000, 500)).toEqual([]);
    expect(client.reads.filter((id) => id.startsWith('new_connection:edge:')).sort()).toEqual(edgeIds.sort());
    expect(client.bulks.flat().filter((id) => id.startsWith('new_connection:edge:'))).toEqual([]);
    // Its set is filled from what it read, but stays inexact: edges it did not use this window are still only in their own baselines.
    for (const device of devices) {
      const state = client.docs.get(baselineId('new_connection', 'device', device)).state;
      expect(state.edges.length).toBeGreaterThan(0);
      expect(state.edgesExact).toBe(false);
    }
  });

  it('gives an edge its own baseline when the set is full, and finds it known the next time', async () => {
    const client = fakeClient();
    client.serve(buckets, 0);
    await runWindow(client, start, 500);
    // A device that already used as many other edges as its set holds.
    const [busy] = [...devices].sort((a, b) => buckets.filter((x) => x.key.device === b).length - buckets.filter((x) => x.key.device === a).length);
    const doc = client.docs.get(baselineId('new_connection', 'device', busy));
    doc.state.edges = encodeEdgeSet({ hashes: new Set(Array.from({ length: EDGE_SET_CAP }, (_, i) => i + 1)), exact: true });
    const added: CompositeBucket[] = buckets.filter((b) => b.key.device === busy).map((b) => ({ ...b, key: { ...b.key, port: 40_000 + Number(b.key.port ?? 0) } }));
    expect(added.length).toBeGreaterThan(0);
    const later = [...buckets, ...added].sort((a, b) => (JSON.stringify(a.key) < JSON.stringify(b.key) ? -1 : 1));

    client.bulks.length = 0;
    client.serve(later, 3_600_000);
    await runWindow(client, start + 3_600_000, 500);
    const written = client.bulks.flat().filter((id) => id.startsWith('new_connection:edge:'));
    // The device's edges are new to a full set: each is written, and the set is no longer exact.
    const edgeKeys = new Set(later.filter((b) => b.key.device === busy).map((b) => `${busy}|${b.key.peer}|${b.key.port}/${b.key.transport}`));
    expect(written.sort()).toEqual([...edgeKeys].map((k) => baselineId('new_connection', 'edge', k)).sort());
    expect(client.docs.get(baselineId('new_connection', 'device', busy)).state.edgesExact).toBe(false);

    client.bulks.length = 0;
    client.reads.length = 0;
    client.serve(later, 7_200_000);
    expect(await runWindow(client, start + 7_200_000, 500)).toEqual([]);
    expect(client.reads.filter((id) => id.startsWith('new_connection:edge:')).length).toBe(edgeKeys.size);
    expect(client.bulks.flat().filter((id) => id.startsWith('new_connection:edge:'))).toEqual([]);
  });
});
