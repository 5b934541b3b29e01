import { join } from 'node:path';
import { readZeekFile } from '../../ingest/parse/zeek/read-file';
import { ZEEK_CORPUS } from '../../test/support/corpus';
import { assetDocument, emptyAsset, factsOf, foldObservation, sameAsset, summarise } from './merge';
import type { AssetObservation, OtIdentity } from './types';

/**
 * The fold of observations into asset documents, on facts from real corpus records: the ENIP identity of
 * 10.1.1.164 (a 1756-ENBT/A) and a DHCP lease's MAC.
 */
const CIP = readZeekFile(join(ZEEK_CORPUS, 'icsnpp', 'icsnpp-enip', 'tests', 'baseline', 'analyzer.basic', 'cip_identity.log'))[0].fields as Record<string, unknown>;
const DHCP = readZeekFile(join(ZEEK_CORPUS, 'zeek-btest-baseline', 'testing', 'btest', 'Baseline', 'scripts.base.protocols.dhcp.inform', 'dhcp.log'))[0].fields as Record<string, unknown>;

const T0 = Date.UTC(2026, 0, 5, 8);
const HOUR = 3_600_000;

function observation(ip: string, at: number, parts: Partial<AssetObservation> = {}): AssetObservation {
  return { ip, first: at, last: at + HOUR, macs: [], hostnames: [], spoken: [], served: [], software: [], ot: [], operations: [], commanded: [], declared: [], ...parts };
}

function cipIdentity(at: number, firmware = String(CIP.revision)): OtIdentity {
  return { protocol: 'cip', vendor: String(CIP.vendor_name), product: String(CIP.product_name), deviceType: String(CIP.device_type_name), firmware, source: 'cip_identity', first: at, last: at };
}

const mac = () => String(DHCP.mac).toUpperCase().replace(/:/g, '-');

describe('foldObservation', () => {
  const ip = String(CIP.source_h ?? CIP['id.resp_h']);

  it('turns a first observation into a seen asset with its times and facts', () => {
    const body = foldObservation(emptyAsset(ip, T0), observation(ip, T0, { ot: [cipIdentity(T0)] }), T0 + 2 * HOUR);
    expect(body).toMatchObject({ ip, seen: true, first_seen: new Date(T0).toISOString(), last_seen: new Date(T0 + HOUR).toISOString() });
    expect(body.ot).toEqual([expect.objectContaining({ vendor: 'Rockwell Automation/Allen-Bradley', product: '1756-ENBT/A', firmware: '4.3', first: new Date(T0).toISOString() })]);
    expect(body.changes).toEqual([]);
  });

  it('changes nothing but the time of writing when a pass brings nothing new', () => {
    const body = foldObservation(emptyAsset(ip, T0), observation(ip, T0, { ot: [cipIdentity(T0)] }), T0);
    const again = foldObservation(body, { ...observation(ip, T0), first: undefined, last: undefined }, T0 + 5 * HOUR);
    expect(again.updated).not.toBe(body.updated);
    expect(sameAsset(body, again)).toBe(true);
    // The same identity seen later only widens its times: one identity, no change recorded.
    const later = foldObservation(body, observation(ip, T0 + 24 * HOUR, { ot: [cipIdentity(T0 + 24 * HOUR)] }), T0 + 25 * HOUR);
    expect(later.ot).toHaveLength(1);
    expect(later.ot[0].last).toBe(new Date(T0 + 24 * HOUR).toISOString());
    expect(later.last_seen).toBe(new Date(T0 + 25 * HOUR).toISOString());
    expect(later.first_seen).toBe(body.first_seen);
    expect(later.changes).toEqual([]);
  });

  it('records new firmware with both values and when the new one was first seen', () => {
    const body = foldObservation(emptyAsset(ip, T0), observation(ip, T0, { ot: [cipIdentity(T0)] }), T0);
    const upgraded = foldObservation(body, observation(ip, T0 + 48 * HOUR, { ot: [cipIdentity(T0 + 48 * HOUR, '5.1')] }), T0 + 49 * HOUR);
    expect(upgraded.changes).toEqual([{ time: new Date(T0 + 48 * HOUR).toISOString(), field: 'firmware', from: '4.3', to: '5.1', source: 'cip_identity' }]);
    expect(summarise(upgraded, []).firmware).toBe('5.1');
  });

  it('records a new MAC for a known address, and not the first MAC it ever had', () => {
    const first = foldObservation(emptyAsset(ip, T0), observation(ip, T0, { macs: [{ mac: mac(), source: 'dhcp', first: T0, last: T0 }] }), T0);
    expect(first.changes).toEqual([]);
    const other = '00-1D-9C-C6-72-E8';
    const swapped = foldObservation(first, observation(ip, T0 + HOUR, { macs: [{ mac: other, source: 'dhcp', first: T0 + HOUR, last: T0 + HOUR }] }), T0 + 2 * HOUR);
    expect(swapped.changes).toEqual([{ time: new Date(T0 + HOUR).toISOString(), field: 'mac', from: mac(), to: other, source: 'dhcp' }]);
    // The document lists the newest MAC first.
    expect(assetDocument(swapped).host.mac).toEqual([other, mac()]);
  });

  it('adds up events of protocols and keeps the ports and the most peers seen', () => {
    const use = (events: number, peers: number, ports: number[], at: number) => ({ protocol: 'modbus', transport: 'tcp', ports, peers, events, first: at, last: at });
    const a = foldObservation(emptyAsset(ip, T0), observation(ip, T0, { served: [use(10, 2, [502], T0)] }), T0);
    const b = foldObservation(a, observation(ip, T0 + HOUR, { served: [use(5, 1, [502, 5020], T0 + HOUR)] }), T0 + HOUR);
    expect(b.served).toEqual([{ protocol: 'modbus', transport: 'tcp', ports: [502, 5020], peers: 2, events: 15, first: new Date(T0).toISOString(), last: new Date(T0 + HOUR).toISOString() }]);
    expect(factsOf(b).served[0]).toMatchObject({ events: 15, first: T0, last: T0 + HOUR });
  });
});

describe('summarise and sameAsset', () => {
  it('takes the vendor from the newest identity, else from the MAC, and the role from the first assessment', () => {
    const body = foldObservation(emptyAsset('10.1.1.164', T0), observation('10.1.1.164', T0, { macs: [{ mac: mac(), vendor: 'Some Vendor', source: 'dhcp', first: T0, last: T0 }] }), T0);
    expect(summarise(body, []).vendor).toBe('Some Vendor');
    const withIdentity = foldObservation(body, observation('10.1.1.164', T0, { ot: [cipIdentity(T0)] }), T0);
    const judged = summarise(withIdentity, [{ role: 'ot_device', confidence: 0.85, evidence: ['ENIP identity'] }]);
    expect(judged).toMatchObject({ vendor: 'Rockwell Automation/Allen-Bradley', product: '1756-ENBT/A', firmware: '4.3', role: 'ot_device', role_confidence: 0.85 });
    expect(summarise(judged, []).role).toBeUndefined();
  });

  it('compares documents whatever the order of their keys', () => {
    const body = foldObservation(emptyAsset('10.1.1.164', T0), observation('10.1.1.164', T0, { ot: [cipIdentity(T0)] }), T0);
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(body).reverse())));
    expect(sameAsset(body, reordered)).toBe(true);
    expect(sameAsset(body, { ...body, zone: 'control' })).toBe(false);
  });
});
