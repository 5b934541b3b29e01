import { readZeekLog } from '../../../ingest/normalize/zeek/corpus.fixture';
import type { ZeekRecord } from '../../../ingest/parse/zeek/record';
import { anomalyId, type AnomalyDraft } from '../../anomaly/anomaly';
import { NO_FEEDBACK, type Feedback } from '../../feedback/evaluations';
import { CorpusEs, STRATOSPHERE, corpusRecords, documents, replay, shifted } from '../volume/corpus-es.fixture';
import {
  ORG_MIN_WINDOWS,
  RareDestinationModel,
  destinationName,
  isGlobalUnicast,
  judgeUpload,
  portTerm,
  rareScore,
  uploadedBefore,
  withContact,
  withUpload,
  type DestinationState,
  type RareFacts,
} from '.';

const LOCAL = ['147.32.0.0/16', '192.168.0.0/16', 'fc00::/7', 'fe80::/10'];
const NJRAT = `${STRATOSPHERE}/001-zeek-scenario-malicious/labeled-conn.log`;
/** A day of a Windows computer of the university network: conn, and the ssl and http logs that name destinations. */
const DAY = ['conn', 'ssl', 'http'].map((log) => `${STRATOSPHERE}/008-zeek-mixed/data/${log}.log.labeled`);
/** NjRAT's infected host and command-and-control server (its records labeled `Malicious CC`). */
const INFECTED = '192.168.1.115';
const C2 = '41.108.179.197';
const WINDOW_MS = 15 * 60_000;
/** The NjRAT capture (1970 times) replayed at 2022-06-13 16:00, late in the mixed day: only `ts` moves. */
const REPLAY_AT = Date.parse('2022-06-13T16:00:00Z') / 1000;
const HALF_LIFE = 14 * 86_400_000;

const windowOf = (ms: number) => Math.floor(ms / WINDOW_MS) * WINDOW_MS;

function njratReplayed(): ZeekRecord[] {
  const records = readZeekLog(NJRAT);
  const first = Math.min(...records.map((r) => r.fields.ts as number));
  return records.map(shifted(REPLAY_AT - first));
}

describe('RareDestinationModel on the NjRAT capture alone', () => {
  it('scores nothing while the organisation is younger than its minimum history, but learns', async () => {
    const es = new CorpusEs(documents(corpusRecords([NJRAT]), LOCAL));
    expect(es.windows(WINDOW_MS).length).toBeLessThan(ORG_MIN_WINDOWS);
    const drafts = await replay(new RareDestinationModel(), es, { local: LOCAL });
    expect(drafts).toEqual([]);
    const c2 = es.baselinesOf<DestinationState>('rare_destination', 'ip').get(C2);
    expect(c2).toBeDefined();
    expect(Object.keys(c2!.state.devices)).toEqual([INFECTED]);
    expect(c2!.state.ports).toEqual(['1177/tcp']);
    // Multicast, link-local and the local network itself are never destinations.
    for (const key of es.baselinesOf('rare_destination', 'ip').keys()) expect(isGlobalUnicast(key)).toBe(true);
  });
});

describe('RareDestinationModel on a day of ordinary traffic with NjRAT replayed into it', () => {
  const day = corpusRecords(DAY);
  const records = [...day, ...njratReplayed()];
  let drafts: AnomalyDraft[];

  beforeAll(async () => {
    drafts = await replay(new RareDestinationModel(), new CorpusEs(documents(records, LOCAL)), { local: LOCAL });
  });

  it('reports the command-and-control server as a rare destination of the infected host, with a high score', () => {
    const c2 = drafts.filter((d) => d.entity.id === INFECTED && d.peer?.id === C2);
    // One first contact: later windows find the host already known to the destination.
    expect(c2).toHaveLength(1);
    const [a] = c2;
    expect(a.kind).toBe('rare_destination');
    expect(a.score).toBeGreaterThanOrEqual(60);
    expect(a.explanation).toMatch(
      /^192\.168\.1\.115 connected to 41\.108\.179\.197:1177\/tcp \(\d+ connections, none answered\), a destination no internal device had contacted before, on port 1177\/tcp, which no other external destination of the organisation uses; .*; the organisation has seen [\d,]+ external destinations over \d+ hours\.$/,
    );
    expect(a.techniques!.map((t) => t.id)).toEqual(['T1071', 'T1571']);
    expect(a.destination).toEqual({ ip: C2, port: 1177 });
    // Of everything the infected host contacted for the first time, the C2 server scores highest.
    const mine = drafts.filter((d) => d.entity.id === INFECTED).sort((x, y) => y.score - x.score);
    expect(mine.length).toBeGreaterThan(5);
    expect(mine[0]).toBe(a);
    expect(mine[1].score).toBeLessThan(a.score - 20);
  });

  it('stays quiet on the ordinary computer: its first contacts score below the alert level', () => {
    const ordinary = drafts.filter((d) => d.entity.id === '147.32.81.167');
    expect(ordinary.length).toBeGreaterThan(0);
    expect(ordinary.filter((d) => d.score >= 60)).toEqual([]);
  });

  it('scores nothing of the first windows of the organisation', () => {
    const first = Math.min(...records.map((r) => (r.fields.ts as number) * 1000));
    const minutes = (Math.min(...drafts.map((d) => d.time)) - first) / 60_000;
    expect(minutes).toBeGreaterThanOrEqual(ORG_MIN_WINDOWS * 15 - 15);
  });

  it('judges an address by the TLS or HTTP name it carried, and names by their registered domain', () => {
    const named = new Set<string>();
    for (const r of day) {
      if (r.path !== 'ssl' && r.path !== 'http') continue;
      const name = r.path === 'ssl' ? r.fields.server_name : r.fields.host;
      if (typeof name === 'string' && destinationName(name)) named.add(`${r.fields['id.orig_h']}|${r.fields['id.resp_h']}|${windowOf((r.fields.ts as number) * 1000)}`);
    }
    const byAddress = drafts.filter((d) => d.kind === 'rare_destination');
    const byName = drafts.filter((d) => d.kind === 'rare_domain');
    expect(byName.length).toBeGreaterThan(0);
    for (const d of byAddress) expect(named.has(`${d.entity.id}|${d.peer!.id}|${windowOf(d.time)}`)).toBe(false);
    for (const d of byName) {
      expect(d.peer!.type).toBe('domain');
      expect(destinationName(d.destination!.domain!)).toBe(d.key);
      expect(d.explanation).toContain(`connected to ${d.destination!.domain} (`);
    }
  });

  it('writes the same anomalies however the work is partitioned', async () => {
    const ids = (list: AnomalyDraft[]) => list.map((d) => anomalyId(d, windowOf(d.time))).sort();
    const es = new CorpusEs(documents(records, LOCAL));
    const parts = [
      ...(await replay(new RareDestinationModel(), es, { local: LOCAL, partition: { index: 0, count: 2 } })),
      ...(await replay(new RareDestinationModel(), es, { local: LOCAL, partition: { index: 1, count: 2 } })),
    ];
    expect(ids(parts)).toEqual(ids(drafts));
    const c2 = parts.find((d) => d.peer?.id === C2)!;
    expect(c2.score).toBeGreaterThanOrEqual(60);
  });

  it('keeps reporting a destination evaluated as malicious instead of learning it', async () => {
    const tainted: Feedback = { ...NO_FEEDBACK, isTainted: (model, entity, peer) => model === 'rare_destination' && entity === INFECTED && peer === C2 };
    const again = await replay(new RareDestinationModel(), new CorpusEs(documents(records, LOCAL)), { local: LOCAL, feedback: tainted });
    const windows = new Set(
      records.filter((r) => r.fields['id.orig_h'] === INFECTED && r.fields['id.resp_h'] === C2).map((r) => windowOf((r.fields.ts as number) * 1000)),
    );
    expect(windows.size).toBeGreaterThan(1);
    expect(again.filter((d) => d.peer?.id === C2)).toHaveLength(windows.size);
  });
});

describe('rare destination scoring', () => {
  const base: RareFacts = {
    deviceWindows: 500,
    deviceRare: 0,
    orgRate: 1,
    partitions: 1,
    novelty: 1,
    others: 0,
    port: 443,
    transport: 'tcp',
    portDestinations: 900,
    orgDestinations: 1204,
    connections: 3,
    orgWindows: 200,
  };

  it('scores a server that never makes rare contacts above a laptop that makes many', () => {
    const server = rareScore(base);
    const laptop = rareScore({ ...base, deviceRare: 1500 });
    expect(server.score).toBeGreaterThan(laptop.score + 30);
    expect(laptop.score).toBeLessThan(20);
    expect(laptop.rate).toBeCloseTo((1500 + 8) / 508, 5);
  });

  it('weighs how recently the organisation first saw the destination, and how old the organisation is', () => {
    expect(rareScore({ ...base, novelty: 0.1 }).score).toBeLessThan(rareScore(base).score);
    expect(rareScore({ ...base, orgWindows: 30 }).score).toBeLessThan(rareScore(base).score);
    expect(rareScore({ ...base, others: 1 }).score).toBeLessThan(rareScore(base).score);
  });

  it('adds the most for a port no destination of the organisation uses, less for a system port', () => {
    expect(portTerm(1177, 0, 1204)).toBe(1.5);
    expect(portTerm(53, 0, 1204)).toBe(0.75);
    expect(portTerm(443, 900, 1204)).toBe(0);
    // A young organisation has seen too few destinations for any port to be unusual.
    expect(portTerm(1177, 0, 5)).toBeLessThan(0.2);
  });

  it('names a destination by its registered domain', () => {
    const names = new Set(readZeekLog(DAY[1]).map((r) => r.fields.server_name).filter((n): n is string => typeof n === 'string'));
    expect(names.size).toBeGreaterThan(10);
    for (const n of names) expect(n.endsWith(destinationName(n)!)).toBe(true);
    expect(destinationName('v10.events.data.microsoft.com')).toBe('microsoft.com');
    expect(destinationName('t8.dropbox.com')).toBe('dropbox.com');
    expect(destinationName(C2)).toBeUndefined();
  });

  it('treats only global unicast addresses as destinations', () => {
    const seen = new Set(readZeekLog(NJRAT).map((r) => String(r.fields['id.resp_h'])));
    for (const a of ['ff02::1', '224.0.0.252', '192.168.1.255', 'fd2d:ab8c:225::1']) {
      expect(seen.has(a)).toBe(true);
      expect(isGlobalUnicast(a)).toBe(false);
    }
    for (const a of [C2, '8.8.8.8']) expect(isGlobalUnicast(a)).toBe(true);
  });

  it('answers the same once it has forgotten what it remembered', () => {
    // More addresses than it keeps answers for, the first ones asked again after them.
    const many = Array.from({ length: 70_000 }, (_, i) => `${i % 2 === 0 ? 10 : 11}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const first = many.map(isGlobalUnicast);
    expect(first.filter(Boolean).length).toBe(35_000);
    expect(many.map(isGlobalUnicast)).toEqual(first);
    for (const a of ['ff02::1', '192.168.1.255']) expect(isGlobalUnicast(a)).toBe(false);
    expect(isGlobalUnicast(C2)).toBe(true);
  });

  it('remembers a bounded set of devices per destination and forgets faded contacts', () => {
    let devices: Record<string, [number, number]> = {};
    const day = 86_400_000;
    for (let i = 0; i < 40; i++) devices = withContact(devices, `147.32.81.${i}`, i * 1000, HALF_LIFE, 16);
    expect(Object.keys(devices)).toHaveLength(16);
    expect(devices['147.32.81.39']).toEqual([39_000, 39_000]);
    expect(devices['147.32.81.0']).toBeUndefined();
    // Five half-lives later every earlier contact has faded below the memory's threshold.
    const later = withContact(devices, INFECTED, 39_000 + 5 * HALF_LIFE + day, HALF_LIFE, 16);
    expect(Object.keys(later)).toEqual([INFECTED]);
  });
});

describe('uploads to a rare destination', () => {
  /** The AndroidTester RAT capture (003): a phone on a VPN whose RAT pushes tens of megabytes to its server on 1337/tcp. */
  const ANDROID = `${STRATOSPHERE}/003-zeek-scenario-malicious/conn.log`;
  const PHONE = '10.8.0.61';
  const SERVER = '147.32.83.234';
  const DEFAULT_LOCAL = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fe80::/10'];

  /** Bytes the phone sent and received per (window, destination), from the real log, for connections it opened. */
  function windowsOfUploads(): Map<string, { sent: number; received: number }> {
    const byKey = new Map<string, { sent: number; received: number }>();
    for (const r of readZeekLog(ANDROID)) {
      const f = r.fields as Record<string, unknown>;
      if (f['id.orig_h'] !== PHONE || !String(f.history ?? '').startsWith('S')) continue;
      const key = `${windowOf(Number(f.ts) * 1000)}|${f['id.resp_h']}`;
      const t = byKey.get(key) ?? { sent: 0, received: 0 };
      t.sent += Number(f.orig_bytes) || 0;
      t.received += Number(f.resp_bytes) || 0;
      byKey.set(key, t);
    }
    return byKey;
  }

  it('reports the RAT pushing data to its server on the first day, and nothing else of the capture', async () => {
    const es = new CorpusEs(documents(corpusRecords([ANDROID, `${STRATOSPHERE}/003-zeek-scenario-malicious/dns.log`]), DEFAULT_LOCAL));
    expect(es.windows(WINDOW_MS).length).toBeLessThan(ORG_MIN_WINDOWS);
    const drafts = await replay(new RareDestinationModel(), es, { local: DEFAULT_LOCAL });
    expect(drafts.map((d) => [d.kind, d.entity.id, d.peer?.id])).toEqual([['data_to_rare', PHONE, SERVER]]);
    const [upload] = drafts;
    expect(upload.score).toBeGreaterThanOrEqual(60);
    expect(upload.techniques?.map((t) => t.id)).toEqual(['T1041', 'T1571']);
    // The figures are the log's: what the phone sent the server in that window, and the little that came back.
    const expected = windowsOfUploads().get(`${windowOf(upload.time)}|${SERVER}`)!;
    expect(expected.sent).toBeGreaterThan(40_000_000);
    expect(upload.figures.observed).toBe(expected.sent);
    expect(upload.figures.details?.received).toBe(expected.received);
    expect(upload.explanation).toMatch(/^10\.8\.0\.61 sent 4\d\.\d MB to 147\.32\.83\.234:1337\/tcp over \d connections and got [\d.]+ kB back/);
    // The largest upload to anything else was a tenth of the threshold.
    const others = [...windowsOfUploads()].filter(([k]) => !k.endsWith(`|${SERVER}`)).map(([, v]) => v.sent);
    expect(Math.max(...others)).toBeLessThan(1_000_000);
  });

  it('learns a device that sends the same host as much again the next day (a nightly backup) and reports a far larger one', async () => {
    const day = 86_400;
    const twice = [...corpusRecords([ANDROID]), ...corpusRecords([ANDROID], shifted(day))];
    const drafts = await replay(new RareDestinationModel(), new CorpusEs(documents(twice, DEFAULT_LOCAL)), { local: DEFAULT_LOCAL });
    expect(drafts.filter((d) => d.kind === 'data_to_rare')).toHaveLength(1);
    // Against what it sent before: far more is news again, the same or less is not.
    const before = 41_800_000;
    expect(judgeUploadScore(before * 0.9, before)).toBeUndefined();
    expect(judgeUploadScore(before * 5, before)).toBeGreaterThanOrEqual(60);
  });

  it('leaves out a symmetric exchange and a small one, and scores a destination other devices use lower', () => {
    expect(judgeUpload(50e6, 10e6, 0, 10e6, true, 0)).toBeUndefined();
    expect(judgeUpload(5e6, 0, 0, 10e6, true, 0)).toBeUndefined();
    const alone = judgeUpload(50e6, 0, 0, 10e6, false, 0)!.score;
    expect(judgeUpload(50e6, 0, 0, 10e6, false, 1)!.score).toBeLessThan(alone);
    expect(judgeUpload(50e6, 0, 0, 10e6, true, 0)!.score).toBeGreaterThan(alone);
  });

  it('keeps what devices uploaded per destination, decayed, for the latest devices only', () => {
    let uploads: Record<string, [number, number]> | undefined;
    expect(withUpload(undefined, PHONE, 500_000, 0, 0)).toBeUndefined();
    for (let i = 0; i < 20; i++) uploads = withUpload(uploads, `10.0.0.${i}`, 2_000_000, 0, i);
    expect(Object.keys(uploads!)).toHaveLength(16);
    expect(uploads!['10.0.0.0']).toBeUndefined();
    const state = { devices: {}, ports: [], connections: 0, uploads } as DestinationState;
    expect(uploadedBefore(state, '10.0.0.19', 19, HALF_LIFE)).toBe(2_000_000);
    expect(uploadedBefore(state, '10.0.0.19', 19 + HALF_LIFE, HALF_LIFE)).toBeCloseTo(1_000_000, -3);
  });

  function judgeUploadScore(sent: number, before: number): number | undefined {
    return judgeUpload(sent, 0, before, 10_000_000, true, 0)?.score;
  }
});
