import { join } from 'node:path';
import { ECS_FIELDS } from '../../../common/es/templates/ecs-fields';
import { LABELED_CORPUS, ZEEK_CORPUS } from '../../../test/support/corpus';
import { localNetworkMatcher } from '../../enrich/direction';
import { readZeekFile } from '../../parse/zeek/read-file';
import type { ZeekRecord } from '../../parse/zeek/record';
import type { AssetFields, EcsDocument, NormalizeContext } from './context';
import { normalizeZeek } from '.';

/** A home network: IPv4 and IPv6 devices talking to the internet. conn records name the connection's originator first. */
const CONN = readZeekFile(join(LABELED_CORPUS, 'stratosphere-security-datasets', '001-zeek-scenario-malicious', 'conn.log'));
/**
 * A BACnet workstation (192.168.0.50) setting a device's (192.168.0.24) state: requests and the device's answers,
 * which ECS `source`/`destination` follow (`source_h`), and a password the normalizer redacts.
 */
const BACNET = readZeekFile(join(ZEEK_CORPUS, 'icsnpp', 'icsnpp-bacnet', 'testing', 'baseline', 'analyzer.services', 'bacnet_device_control.log'));

const base = { isLocal: localNetworkMatcher(['192.168.0.0/16', 'fd00::/8', 'fe80::/10']), fallbackTs: 0, ingested: '2026-11-24T12:00:00.000Z' };

/** What the test knows about addresses of the two captures, by their text: zones by prefix, roles by address. */
const ROLES = new Map([
  ['192.168.1.115', 'it_host'],
  ['192.168.0.50', 'engineering_workstation'],
  ['192.168.0.24', 'plc'],
  ['fd2d:ab8c:225::1', 'server'],
]);
function assetOf(ip: string): AssetFields | undefined {
  const fields: AssetFields = {};
  if (ip.startsWith('192.168.1.')) Object.assign(fields, { zone: 'office', level: 4 });
  else if (ip.startsWith('192.168.0.')) Object.assign(fields, { zone: 'control', level: 2 });
  else if (ip.startsWith('fd2d:ab8c:225:')) fields.zone = 'lab';
  const role = ROLES.get(ip);
  if (role !== undefined) fields.role = role;
  return Object.keys(fields).length === 0 ? undefined : fields;
}

const withAssets: NormalizeContext = { ...base, assetOf };

type Vigil = { source?: AssetFields; destination?: AssetFields; redacted?: string[] } | undefined;
const vigilOf = (doc: EcsDocument) => doc.vigil as Vigil;
const ipOf = (doc: EcsDocument, side: 'source' | 'destination') => (doc[side] as { ip?: string } | undefined)?.ip;

/** The document without the asset fields, as it would be without them. */
function withoutAssets(doc: EcsDocument): EcsDocument {
  const copy = JSON.parse(JSON.stringify(doc)) as EcsDocument;
  const vigil = copy.vigil as Record<string, unknown> | undefined;
  if (vigil !== undefined) {
    delete vigil.source;
    delete vigil.destination;
    if (Object.keys(vigil).length === 0) delete copy.vigil;
  }
  return copy;
}

describe('zone and asset role of the endpoints (vigil.source.*, vigil.destination.*)', () => {
  it('writes what assetOf says about the source and destination addresses of real conn records', () => {
    let both = 0;
    let oneSide = 0;
    let neither = 0;
    for (const record of CONN) {
      const doc = normalizeZeek(record, withAssets);
      // conn records have no message direction: the originator is the source.
      const orig = record.fields['id.orig_h'] as string;
      const resp = record.fields['id.resp_h'] as string;
      expect(ipOf(doc, 'source')).toBe(orig);
      const expectedSource = assetOf(orig);
      const expectedDestination = assetOf(resp);
      expect(vigilOf(doc)?.source).toEqual(expectedSource);
      expect(vigilOf(doc)?.destination).toEqual(expectedDestination);
      if (expectedSource && expectedDestination) both++;
      else if (expectedSource || expectedDestination) oneSide++;
      else {
        neither++;
        expect(doc).not.toHaveProperty('vigil');
      }
    }
    // The capture has every case: both ends known, one end known, neither.
    expect(both).toBeGreaterThan(0);
    expect(oneSide).toBeGreaterThan(0);
    expect(neither).toBeGreaterThan(0);
  });

  it('writes zone, level and role when all are known, and leaves out what is not', () => {
    const docs = CONN.map((r) => normalizeZeek(r, withAssets));
    const fromOffice = docs.find((d) => ipOf(d, 'source') === '192.168.1.115');
    expect(vigilOf(fromOffice!)?.source).toEqual({ zone: 'office', level: 4, role: 'it_host' });
    const toLab = docs.find((d) => ipOf(d, 'destination')?.startsWith('fd2d:ab8c:225:') && ipOf(d, 'destination') !== 'fd2d:ab8c:225::1');
    expect(vigilOf(toLab!)?.destination).toEqual({ zone: 'lab' });
  });

  it('follows the message direction of ICS records, like source and destination do', () => {
    let requests = 0;
    let answers = 0;
    for (const record of BACNET) {
      const doc = normalizeZeek(record, withAssets);
      const answer = record.fields.is_orig === false;
      if (answer) answers++;
      else requests++;
      expect(vigilOf(doc)?.source?.role).toBe(answer ? 'plc' : 'engineering_workstation');
      expect(vigilOf(doc)?.destination?.role).toBe(answer ? 'engineering_workstation' : 'plc');
      expect(vigilOf(doc)?.source?.zone).toBe('control');
    }
    expect(requests).toBeGreaterThan(0);
    expect(answers).toBeGreaterThan(0);
  });

  it('keeps what else the normalizer writes under vigil (the redacted fields) beside the asset fields', () => {
    const record = BACNET.find((r) => typeof r.fields.password === 'string' && r.fields.password !== '');
    expect(record).toBeDefined();
    const doc = normalizeZeek(record!, withAssets);
    expect(vigilOf(doc)).toEqual({
      source: assetOf(ipOf(doc, 'source')!),
      destination: assetOf(ipOf(doc, 'destination')!),
      redacted: ['password'],
    });
  });

  it('writes only fields the Zeek index template maps, with values of their type', () => {
    const written = new Set<string>();
    for (const record of [...CONN, ...BACNET]) {
      const vigil = vigilOf(normalizeZeek(record, withAssets));
      for (const side of ['source', 'destination'] as const) {
        for (const [key, value] of Object.entries(vigil?.[side] ?? {})) {
          const field = `vigil.${side}.${key}`;
          written.add(field);
          const type = ECS_FIELDS[field]?.type;
          if (key === 'level') {
            expect(type).toBe('half_float');
            expect(typeof value === 'number' && value >= 0 && value <= 5).toBe(true);
          } else {
            expect(type).toBe('keyword');
            expect(typeof value).toBe('string');
          }
        }
      }
    }
    expect([...written].sort()).toEqual(
      ['zone', 'level', 'role'].flatMap((k) => [`vigil.source.${k}`, `vigil.destination.${k}`]).sort(),
    );
  });

  it('changes nothing else in the document', () => {
    for (const record of [...CONN, ...BACNET]) {
      expect(withoutAssets(normalizeZeek(record, withAssets))).toEqual(JSON.parse(JSON.stringify(normalizeZeek(record, base))));
    }
  });

  it('without assetOf, or when it knows nothing, documents are byte for byte what they are without the feature', () => {
    const nothing: NormalizeContext = { ...base, assetOf: () => undefined };
    const check = (records: ZeekRecord[]) => {
      let withVigil = 0;
      for (const record of records) {
        const plain = JSON.stringify(normalizeZeek(record, base));
        expect(JSON.stringify(normalizeZeek(record, nothing))).toBe(plain);
        expect(plain).not.toMatch(/"vigil":\{"(source|destination)"/);
        const doc = normalizeZeek(record, base);
        if (doc.vigil !== undefined) {
          withVigil++;
          // Only the redaction, as before, and last in the document.
          expect(doc.vigil).toEqual({ redacted: ['password'] });
          expect(Object.keys(doc).pop()).toBe('vigil');
        }
      }
      return withVigil;
    };
    expect(check(CONN)).toBe(0);
    expect(check(BACNET)).toBe(BACNET.filter((r) => typeof r.fields.password === 'string' && r.fields.password !== '').length);
  });
});
