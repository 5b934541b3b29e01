import { join } from 'node:path';
import { readZeekFile } from '../../ingest/parse/zeek/read-file';
import { ZEEK_CORPUS } from '../../test/support/corpus';
import { foldConduit, type ObservedConduit } from './conduits';
import { ipSortKey, ObservationSet } from './collect';
import { localNetworkMatcher } from '../../ingest/enrich/direction';

/**
 * Conduits from the flows of Zeek's "modbus and non-modbus on port 502" capture (the master 10.0.0.57 polling
 * 10.0.0.3), with the two hosts put in two zones.
 */
const CONN = join(ZEEK_CORPUS, 'zeek-btest-baseline', 'testing', 'btest', 'Baseline', 'scripts.base.protocols.modbus.modbus_and_non_modbus_on_port_502', 'conn.log');
const ZONES = [
  { name: 'supervisory', subnets: ['10.0.0.57/32'], level: 2 },
  { name: 'control', subnets: ['10.0.0.3/32'], level: 1 },
];
const T0 = Date.UTC(2026, 0, 5);

/** The flows of the capture as one pass's observation, by protocol (Zeek's service, `unknown` when it named none) and port. */
function observed(offset = 0): ObservedConduit {
  const flows = new Map<string, ObservedConduit['flows'][number]>();
  readZeekFile(CONN).forEach(({ fields: f }, i) => {
    const protocol = typeof f.service === 'string' ? f.service : Array.isArray(f.service) && f.service.length ? String(f.service[0]) : 'unknown';
    const port = Number(f['id.resp_p']);
    const key = `${protocol}/${port}`;
    const at = T0 + offset + i * 1000;
    const bytes = Number(f.orig_ip_bytes ?? 0) + Number(f.resp_ip_bytes ?? 0);
    const hit = flows.get(key);
    if (hit) {
      hit.events++;
      hit.bytes += bytes;
      hit.last = at;
    } else flows.set(key, { protocol, port, events: 1, bytes, first: at, last: at });
  });
  return { from: 'supervisory', to: 'control', flows: [...flows.values()] };
}

describe('foldConduit', () => {
  it('judges each protocol and port against the conduits: Modbus on 502 allowed, anything else on 502 not', () => {
    const obs = observed();
    // Zeek found Modbus, DCE/RPC and TLS on port 502 in that capture, and flows it could name nothing for.
    expect(obs.flows.map((f) => `${f.protocol}/${f.port}`).sort()).toEqual(['dce_rpc/502', 'modbus/502', 'ssl/502', 'unknown/502']);
    const doc = foldConduit(undefined, obs, ZONES, [{ from: 'supervisory', to: 'control', protocols: ['modbus'], ports: [502] }], T0).vigil.conduit;
    expect(doc).toMatchObject({ from: 'supervisory', to: 'control', from_level: 2, to_level: 1, policy: 'violated' });
    expect([...doc.not_allowed].sort()).toEqual(['dce_rpc/502', 'ssl/502', 'unknown/502']);
    expect(doc.protocols.find((p) => p.protocol === 'modbus')!.allowed).toBe(true);
    expect(doc.events).toBe(obs.flows.reduce((n, f) => n + f.events, 0));
  });

  it('calls a conduit allowed when every flow is, and says so when no policy is configured', () => {
    expect(foldConduit(undefined, observed(), ZONES, [{ from: 'supervisory', to: 'control', ports: [502] }], T0).vigil.conduit.policy).toBe('allowed');
    expect(foldConduit(undefined, observed(), ZONES, [{ from: 'control', to: 'supervisory' }], T0).vigil.conduit.policy).toBe('violated');
    const none = foldConduit(undefined, observed(), ZONES, [], T0).vigil.conduit;
    expect(none.policy).toBe('none');
    expect(none.not_allowed).toEqual([]);
  });

  it('adds a later pass to what the conduit held, widening its times', () => {
    const first = foldConduit(undefined, observed(), ZONES, [], T0);
    const second = foldConduit(first, observed(86_400_000), ZONES, [], T0 + 86_400_000).vigil.conduit;
    expect(second.events).toBe(2 * first.vigil.conduit.events);
    expect(second.bytes).toBe(2 * first.vigil.conduit.bytes);
    expect(second.first_seen).toBe(first.vigil.conduit.first_seen);
    expect(Date.parse(second.last_seen)).toBeGreaterThan(Date.parse(first.vigil.conduit.last_seen));
  });
});

describe('ObservationSet', () => {
  const set = () => new ObservationSet(localNetworkMatcher(['10.0.0.0/8', '192.168.0.0/16']));

  it('makes devices of local unicast addresses only', () => {
    const s = set();
    expect(s.of('10.0.0.57')).toBeDefined();
    expect(s.of('8.8.8.8')).toBeUndefined();
    expect(s.of('192.168.0.255')).toBeUndefined();
    expect(s.of('224.0.0.251')).toBeUndefined();
    expect(s.of(undefined)).toBeUndefined();
    expect([...s.byIp.keys()]).toEqual(['10.0.0.57']);
  });

  it('hands out the observations below an address in the order Elasticsearch sorts addresses', () => {
    const s = set();
    for (const ip of ['10.0.0.9', '10.0.0.10', '192.168.1.1', '10.0.1.0']) s.of(ip);
    // Numeric order, not text order (10.0.0.9 before 10.0.0.10); IPv4 sorts as IPv4-mapped IPv6 (::ffff:a.b.c.d).
    expect(ipSortKey('10.0.0.9') < ipSortKey('10.0.0.10')).toBe(true);
    expect(ipSortKey('fd00::1') > ipSortKey('10.0.0.9')).toBe(true);
    expect(ipSortKey('2001:db8::1') > ipSortKey('192.168.1.1')).toBe(true);
    expect(ipSortKey('::1') < ipSortKey('10.0.0.9')).toBe(true);
    expect(s.countBelow(ipSortKey('10.0.1.0'))).toBe(2);
    expect(s.takeBelow(ipSortKey('10.0.1.0')).map((o) => o.ip).sort()).toEqual(['10.0.0.10', '10.0.0.9']);
    expect([...s.byIp.keys()].sort()).toEqual(['10.0.1.0', '192.168.1.1']);
    expect(s.takeBelow(undefined)).toHaveLength(2);
    expect(s.byIp.size).toBe(0);
  });
});
