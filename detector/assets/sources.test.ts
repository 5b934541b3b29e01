import { join } from 'node:path';
import { ECS_FIELDS } from '../../common/es/templates/ecs-fields';
import { originalFieldMapping } from '../../common/es/templates/zeek';
import { ZEEK_LOG_FIELDS } from '../../common/es/templates/zeek-fields';
import { localNetworkMatcher } from '../../ingest/enrich/direction';
import { normalizeZeek, type EcsDocument } from '../../ingest/normalize/zeek';
import { readZeekFile } from '../../ingest/parse/zeek/read-file';
import type { ZeekRecord } from '../../ingest/parse/zeek/record';
import { ZEEK_CORPUS } from '../../test/support/corpus';
import {
  compositeSources,
  deviceOf,
  FACT_SOURCES,
  factQuery,
  keyValues,
  normalizeHostName,
  reverseDnsAddress,
  type FactSource,
  type FactValue,
} from './sources';

const BTEST = 'zeek-btest-baseline/testing/btest/Baseline';
const ZED = 'zed-sample-data/zeek-default';
const ICS = 'icsnpp';

const ctx = {
  isLocal: localNetworkMatcher(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']),
  fallbackTs: 1_763_985_600,
  ingested: '2026-01-01T00:00:00.000Z',
};

const records = new Map<string, ZeekRecord[]>();
function recordsOf(file: string): ZeekRecord[] {
  let found = records.get(file);
  if (found === undefined) records.set(file, (found = readZeekFile(join(ZEEK_CORPUS, file))));
  return found;
}

// ---------------------------------------------------------------------------------------------------------------
// Elasticsearch, as far as these sources use it

type Scalar = string | number | boolean;

/**
 * The values Elasticsearch indexes for a field of a document: ECS fields are nested objects, the originals under
 * `zeek.<path>` keep dotted names (`id.orig_h`, `version.major`), arrays give one value each, and an empty array
 * or a missing field gives none.
 */
function fieldValues(node: unknown, parts: string[]): Scalar[] {
  if (Array.isArray(node)) return node.flatMap((n) => fieldValues(n, parts));
  if (parts.length === 0) return typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean' ? [node] : [];
  if (node === null || typeof node !== 'object') return [];
  const object = node as Record<string, unknown>;
  for (let j = parts.length; j >= 1; j--) {
    const key = parts.slice(0, j).join('.');
    if (key in object) return fieldValues(object[key], parts.slice(j));
  }
  return [];
}

const valuesOf = (doc: EcsDocument, field: string) => fieldValues(doc, field.split('.'));

/** The query clauses the sources use: term, terms and exists on one field. */
function matches(doc: EcsDocument, clause: Record<string, unknown>): boolean {
  const [kind, body] = Object.entries(clause)[0] as [string, Record<string, unknown>];
  if (kind === 'exists') return valuesOf(doc, body.field as string).length > 0;
  const [field, spec] = Object.entries(body)[0];
  const values = valuesOf(doc, field);
  switch (kind) {
    case 'term': {
      const wanted = spec !== null && typeof spec === 'object' ? (spec as { value: unknown }).value : spec;
      return values.some((v) => v === wanted);
    }
    case 'terms':
      return values.some((v) => (spec as unknown[]).includes(v));
    default:
      throw new Error(`no evaluator for the query clause ${kind}`);
  }
}

/** The composite buckets one document falls in: every combination of its values, missing ones as null. */
function bucketKeys(source: FactSource, doc: EcsDocument): Array<Record<string, Scalar | null>> {
  if (!factQuery(source).every((clause) => matches(doc, clause))) return [];
  let keys: Array<Record<string, Scalar | null>> = [{}];
  for (const spec of compositeSources(source)) {
    const [name, body] = Object.entries(spec)[0] as [string, { terms: { field: string; missing_bucket?: boolean } }];
    const values: Array<Scalar | null> = valuesOf(doc, body.terms.field);
    if (values.length === 0) {
      if (body.terms.missing_bucket !== true) return [];
      values.push(null);
    }
    keys = keys.flatMap((key) => values.map((v) => ({ ...key, [name]: v })));
  }
  return keys;
}

interface Fact {
  device: string;
  fact: FactValue;
}

function source(id: string): FactSource {
  const found = FACT_SOURCES.find((s) => s.id === id);
  if (found === undefined) throw new Error(`no fact source ${id}`);
  return found;
}

/** The distinct facts a source reads from corpus files, as the pass would from their documents. */
function factsFrom(id: string, ...files: string[]): Fact[] {
  const s = source(id);
  const seen = new Map<string, Fact>();
  for (const file of files) {
    for (const record of recordsOf(file)) {
      for (const key of bucketKeys(s, normalizeZeek(record, ctx))) {
        const values = keyValues(s, key);
        const device = deviceOf(s, values);
        const fact = s.read(values);
        if (device !== undefined && fact !== undefined) seen.set(JSON.stringify([device, fact]), { device, fact });
      }
    }
  }
  return [...seen.values()];
}

const factsAbout = (facts: Fact[], device: string) => facts.filter((f) => f.device === device).map((f) => f.fact);

// ---------------------------------------------------------------------------------------------------------------

/** Corpus files holding each source's log; every source has one but the log no corpus file holds. */
const CORPUS_FILES: Record<string, string[]> = {
  cip_identity: [`${ICS}/icsnpp-enip/tests/baseline/analyzer.basic/cip_identity.log`],
  s7comm_known_devices: [`${ICS}/icsnpp-s7comm/tests/baseline/analyzer.s7ident/s7comm_known_devices.log`],
  bacnet_discovery: [`${ICS}/icsnpp-bacnet/testing/baseline/analyzer.basic/bacnet_discovery.log`],
  hart_ip_universal_commands: [
    `${ICS}/icsnpp-hart-ip/testing/baseline/tests.hart_ip/hart_ip_universal_commands.log`,
    `${ICS}/icsnpp-hart-ip/testing/baseline/tests.all_types_and_commands_sent/hart_ip_universal_commands.log`,
  ],
  hart_ip_long_tag: [
    `${ICS}/icsnpp-hart-ip/testing/baseline/tests.hart_ip/hart_ip_universal_commands.log`,
    `${ICS}/icsnpp-hart-ip/testing/baseline/tests.all_types_and_commands_sent/hart_ip_universal_commands.log`,
  ],
  opcua_binary_get_endpoints_description: [
    `${ICS}/icsnpp-opcua-binary/tests/baseline/analyzer.data-gap_with-handshake/opcua_binary_get_endpoints_description.log`,
  ],
  synchrophasor_cfg_detail: [
    `${ICS}/icsnpp-synchrophasor/tests/baseline/analyzer.1PMU_TCP/synchrophasor_cfg_detail.log`,
    `${ICS}/icsnpp-synchrophasor/tests/baseline/analyzer.1PMU_UDP_otherport/synchrophasor_cfg_detail.log`,
    `${ICS}/icsnpp-synchrophasor/tests/baseline/analyzer.4in1PMU_TCP/synchrophasor_cfg_detail.log`,
  ],
  'dhcp.client_addr.hostname': [`${BTEST}/scripts.base.protocols.dhcp.dhcp-all-msg-types/dhcp.log`],
  'dhcp.assigned_addr.hostname': [`${BTEST}/scripts.base.protocols.dhcp.dhcp-all-msg-types/dhcp.log`],
  'ntlm.client.hostname': [`${BTEST}/scripts.base.protocols.dce-rpc.mapi/ntlm.log`],
  'ntlm.server.hostname': [`${ZED}/ntlm.log.gz`],
  'kerberos.client.hostname': [`${BTEST}/scripts.base.protocols.tcp.krb-tcp-tso/kerberos.log`],
  'rdp.client.hostname': [`${BTEST}/scripts.base.protocols.rdp.rdp-proprietary-encryption/rdp.log`],
  'smb_mapping.server.hostname': [`${ZED}/smb_mapping.log.gz`],
  'dns.a.hostname': [`${ZED}/dns.log.gz`],
  'dns.ptr.hostname': [`${ZED}/dns.log.gz`],
  'dhcp.client_addr.mac': [`${BTEST}/scripts.base.protocols.dhcp.cluster/manager.dhcp.log`],
  'dhcp.assigned_addr.mac': [`${BTEST}/scripts.base.protocols.dhcp.dhcp-all-msg-types/dhcp.log`],
  'conn.source.mac': [`${BTEST}/scripts.policy.protocols.conn.mac-logging/conn1.log`],
  'conn.destination.mac': [`${BTEST}/scripts.policy.protocols.conn.mac-logging/conn1.log`],
  software: [`${ZED}/software.log.gz`],
  known_services: [`${ZED}/known_services.log.gz`],
  'ssh.server.software': [`${ZED}/ssh.log.gz`],
  'ssh.client.software': [`${ZED}/ssh.log.gz`],
  'rdp.client.software': [`${BTEST}/scripts.base.protocols.rdp.rdp-proprietary-encryption/rdp.log`],
  known_modbus: [`${BTEST}/scripts.base.protocols.modbus.policy/known_modbus.log`],
};
/** icsnpp-modbus writes it, but no corpus file holds one. */
const NO_CORPUS = ['modbus_read_device_identification'];

describe('FACT_SOURCES: the table', () => {
  /** Field types a composite `terms` source can key on. */
  const KEYABLE = new Set(['keyword', 'ip', 'long', 'integer', 'short', 'byte', 'double', 'float', 'boolean']);

  function mappingType(field: string): string | undefined {
    if (!field.startsWith('zeek.')) return ECS_FIELDS[field]?.type as string | undefined;
    const rest = field.slice('zeek.'.length);
    const dot = rest.indexOf('.');
    const zeekType = ZEEK_LOG_FIELDS[rest.slice(0, dot)]?.[rest.slice(dot + 1)];
    return zeekType === undefined ? undefined : (originalFieldMapping(zeekType).type as string);
  }

  function filterFields(s: FactSource): string[] {
    return (s.filter ?? []).map((clause) => {
      const [kind, body] = Object.entries(clause)[0] as [string, Record<string, unknown>];
      return kind === 'exists' ? (body.field as string) : Object.keys(body)[0];
    });
  }

  it('names each source once and covers every kind of fact', () => {
    const ids = FACT_SOURCES.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(FACT_SOURCES.map((s) => s.kind))).toEqual(new Set(['identity', 'hostname', 'mac', 'software', 'declared_role']));
  });

  it('keys and filters only on mapped fields a composite aggregation can key on, of the source’s own log', () => {
    const problems: string[] = [];
    for (const s of FACT_SOURCES) {
      if (ZEEK_LOG_FIELDS[s.path] === undefined) problems.push(`${s.id}: no log ${s.path} in the template`);
      for (const field of [s.deviceField, ...s.fields, ...filterFields(s)]) {
        const type = mappingType(field);
        if (type === undefined || !KEYABLE.has(type)) problems.push(`${s.id}: ${field} is ${type ?? 'not mapped'}`);
        if (field.startsWith('zeek.') && !field.startsWith(`zeek.${s.path}.`)) problems.push(`${s.id}: ${field} is another log's`);
      }
      // Without a device function the device field's value is the address itself.
      if (s.device === undefined && mappingType(s.deviceField) !== 'ip') problems.push(`${s.id}: ${s.deviceField} is not an ip field`);
    }
    expect(problems).toEqual([]);
  });

  it('reads nothing from a bucket whose fields are all missing', () => {
    for (const s of FACT_SOURCES) {
      const empty = Object.fromEntries([s.deviceField, ...s.fields].map((f) => [f, null]));
      expect([s.id, s.read(empty)]).toEqual([s.id, undefined]);
      expect([s.id, deviceOf(s, empty)]).toEqual([s.id, undefined]);
    }
  });

  it('has a corpus file for every source but the ones no corpus file holds, and reads facts from each', () => {
    const untested = FACT_SOURCES.map((s) => s.id).filter((id) => CORPUS_FILES[id] === undefined);
    expect(untested).toEqual(NO_CORPUS);
    for (const [id, files] of Object.entries(CORPUS_FILES)) {
      expect([id, factsFrom(id, ...files).length > 0]).toEqual([id, true]);
    }
  });

  it('builds the composite sources and reads their keys back by field name', () => {
    const s = source('cip_identity');
    const specs = compositeSources(s);
    expect(specs[0]).toEqual({ device: { terms: { field: 'source.ip' } } });
    expect(specs.slice(1).map((spec) => Object.values(spec)[0])).toEqual(s.fields.map((field) => ({ terms: { field, missing_bucket: true } })));
    const key = { device: '10.1.1.164', f0: 'Rockwell Automation/Allen-Bradley', f1: null };
    expect(keyValues(s, key)).toMatchObject({ 'source.ip': '10.1.1.164', [s.fields[0]]: 'Rockwell Automation/Allen-Bradley', [s.fields[1]]: null });
  });
});

describe('OT identities', () => {
  it('cip_identity: the adapter answering List Identity, not the scanner that asked', () => {
    const facts = factsFrom('cip_identity', ...CORPUS_FILES.cip_identity);
    // The record: 10.1.1.167 asked, 10.1.1.164 answered (is_orig F, source_h and socket_address 10.1.1.164).
    expect(facts).toEqual([
      {
        device: '10.1.1.164',
        fact: {
          kind: 'identity',
          identity: {
            protocol: 'cip',
            vendor: 'Rockwell Automation/Allen-Bradley',
            product: '1756-ENBT/A',
            model: '58',
            firmware: '4.3',
            serial: '0x00524d8e',
            deviceType: 'Communications Adapter',
          },
        },
      },
    ]);
  });

  it('s7comm_known_devices: the S7 server, whose direction columns are unset', () => {
    const [record] = recordsOf(CORPUS_FILES.s7comm_known_devices[0]);
    expect(record.fields.source_h).toBeUndefined();
    expect(factsFrom('s7comm_known_devices', ...CORPUS_FILES.s7comm_known_devices)).toEqual([
      {
        device: '172.17.0.2',
        fact: { kind: 'identity', identity: { protocol: 's7comm', product: 'CPU 315-2 PN/DP', serial: 'S C-C2UR28922012', name: 'SNAP7-SERVER' } },
      },
    ]);
  });

  it('bacnet_discovery: every I-Am names its sender’s vendor and device instance; Who-Is names nothing', () => {
    const file = CORPUS_FILES.bacnet_discovery[0];
    const facts = factsFrom('bacnet_discovery', file);
    const iAm = recordsOf(file).filter((r) => r.fields.pdu_service === 'i-am');
    const expected = new Set(
      iAm.map((r) => JSON.stringify([r.fields.source_h, { protocol: 'bacnet', vendor: r.fields.vendor, name: `device ${r.fields.instance_number}` }])),
    );
    expect(new Set(facts.map((f) => JSON.stringify([f.device, (f.fact as { identity: unknown }).identity])))).toEqual(expected);
    expect(factsAbout(facts, '172.20.32.108')).toEqual([{ kind: 'identity', identity: { protocol: 'bacnet', vendor: 'Cornell University', name: 'device 721' } }]);
    // 172.20.32.200 only sent Who-Is.
    expect(recordsOf(file).some((r) => r.fields.source_h === '172.20.32.200')).toBe(true);
    expect(factsAbout(facts, '172.20.32.200')).toEqual([]);
  });

  it('hart_ip_universal_commands: the gateway answering Read Unique Identifier, over TCP and over UDP', () => {
    const [tcpOrUdp, allCommands] = CORPUS_FILES.hart_ip_universal_commands;
    // Over UDP the gateway answered from port 5095 in a flow Zeek saw it open: it is the originator there.
    const answered = recordsOf(tcpOrUdp).filter((r) => r.fields.read_unique_identifier_response_device_id !== undefined);
    expect(new Set(answered.map((r) => `${r.fields.proto} ${r.fields['id.orig_h']}`))).toEqual(new Set(['udp 192.168.0.10', 'tcp 192.168.0.101']));
    const rosemount = {
      kind: 'identity',
      identity: { protocol: 'hart_ip', vendor: 'ROSEMOUNT', model: 'WIRELESSGATEWAY ROSEMOUNT', firmware: '1', serial: '210', deviceType: 'WIRELESSHART GATEWAY' },
    };
    const facts = factsFrom('hart_ip_universal_commands', tcpOrUdp);
    expect(facts).toEqual([{ device: '192.168.0.10', fact: rosemount }]);
    expect(factsAbout(factsFrom('hart_ip_universal_commands', allCommands), '10.9.0.117')).toEqual([
      {
        kind: 'identity',
        identity: { protocol: 'hart_ip', vendor: 'FIELDCOMMGROUP', model: 'FieldComm Group HART-IP FlowDevice', firmware: '50', serial: '9774703', deviceType: 'HART IP PROCESS AUTOMATION DEVICE' },
      },
    ]);
  });

  it('hart_ip long tag: the plant’s name for the device, without its NUL padding', () => {
    const facts = factsFrom('hart_ip_long_tag', ...CORPUS_FILES.hart_ip_long_tag);
    expect(facts).toEqual([
      { device: '192.168.0.10', fact: { kind: 'identity', identity: { protocol: 'hart_ip', name: 'wihartgw' } } },
      { device: '10.9.0.117', fact: { kind: 'identity', identity: { protocol: 'hart_ip', name: 'b8-27-eb-95-26-6f' } } },
    ]);
  });

  it('opcua_binary_get_endpoints_description: the server describing itself; a loopback server is no device', () => {
    expect(factsFrom('opcua_binary_get_endpoints_description', ...CORPUS_FILES.opcua_binary_get_endpoints_description)).toEqual([
      {
        device: '192.168.224.102',
        fact: {
          kind: 'identity',
          identity: {
            protocol: 'opcua',
            product: 'open62541-based OPC UA Application',
            model: 'http://open62541.org',
            name: 'urn:open62541.server.application',
            deviceType: 'Server',
          },
        },
      },
    ]);
    const basic = `${ICS}/icsnpp-opcua-binary/tests/baseline/analyzer.basic/opcua_binary_get_endpoints_description.log`;
    expect(recordsOf(basic)[0].fields.source_h).toBe('::1');
    expect(factsFrom('opcua_binary_get_endpoints_description', basic)).toEqual([]);
  });

  it('synchrophasor_cfg_detail: the PMU the client reached, one station name per PMU it relays', () => {
    const [tcp, udpOtherPort, fourInOne] = CORPUS_FILES.synchrophasor_cfg_detail;
    const name = (n: string) => ({ kind: 'identity', identity: { protocol: 'synchrophasor', name: n } });
    expect(factsFrom('synchrophasor_cfg_detail', tcp)).toEqual([{ device: '192.168.0.241', fact: name('Blue PMU') }]);
    // Over UDP the client's port (4712) is the lower one; the PMU listens on 40713.
    expect(recordsOf(udpOtherPort)[0].fields['id.resp_p']).toBe(40713);
    expect(factsFrom('synchrophasor_cfg_detail', udpOtherPort)).toEqual([{ device: '192.168.0.60', fact: name('PMU1') }]);
    expect(factsAbout(factsFrom('synchrophasor_cfg_detail', fourInOne), '192.168.0.60')).toEqual(['PMU1', 'PMU2', 'PMU3', 'PMU4'].map(name));
  });
});

describe('host names', () => {
  const name = (n: string) => ({ kind: 'hostname', name: n });

  it('dhcp: the client’s name, for the address it reported and the one it was assigned', () => {
    const file = CORPUS_FILES['dhcp.client_addr.hostname'][0];
    // The lease exchange: client_addr 128.2.6.97, assigned_addr 128.2.6.189, host_name btest.is.cool.
    expect(factsFrom('dhcp.client_addr.hostname', file)).toEqual([{ device: '128.2.6.97', fact: name('btest.is.cool') }]);
    expect(factsFrom('dhcp.assigned_addr.hostname', file)).toEqual([{ device: '128.2.6.189', fact: name('btest.is.cool') }]);
    // A DISCOVER names the client (test0000) but no address it holds.
    const discover = `${BTEST}/scripts.base.protocols.dhcp.dhcp-discover-msg-types/dhcp.log`;
    expect(recordsOf(discover)[0].fields.host_name).toBe('test0000');
    expect(factsFrom('dhcp.client_addr.hostname', discover)).toEqual([]);
    expect(factsFrom('dhcp.assigned_addr.hostname', discover)).toEqual([]);
  });

  it('ntlm: the client’s NetBIOS name, lower-case; placeholders sent by tools are dropped', () => {
    expect(factsFrom('ntlm.client.hostname', ...CORPUS_FILES['ntlm.client.hostname'])).toEqual([{ device: '192.168.0.173', fact: name('aleonard-xp') }]);
    // In the WRCCDC capture clients sent `NULL` and `WORKSTATION`.
    const zed = `${ZED}/ntlm.log.gz`;
    const sent = new Set(recordsOf(zed).map((r) => r.fields.hostname));
    expect(sent.has('NULL') && sent.has('WORKSTATION')).toBe(true);
    const names = factsFrom('ntlm.client.hostname', zed);
    // The other names there were made up by two scanners (16 random letters and digits per attempt): they pass the
    // name check, beside the scanners' addresses only, and are for the pass to weigh against other sources.
    const madeUp = recordsOf(zed).filter((r) => typeof r.fields.hostname === 'string' && /^[A-Za-z0-9]{16}$/.test(r.fields.hostname));
    expect(new Set(madeUp.map((r) => r.fields.hostname)).size).toBeGreaterThan(30);
    expect(new Set(names.map((f) => f.device))).toEqual(new Set(['10.150.0.20', '10.128.0.214']));
    expect(new Set(names.map((f) => `${f.device} ${(f.fact as { name: string }).name}`))).toEqual(
      new Set(madeUp.map((r) => `${r.fields['id.orig_h']} ${(r.fields.hostname as string).toLowerCase()}`)),
    );
  });

  it('ntlm: the server’s DNS name, else its NetBIOS name', () => {
    const facts = factsFrom('ntlm.server.hostname', ...CORPUS_FILES['ntlm.server.hostname']);
    expect(factsAbout(facts, '10.47.21.82')).toEqual([name('pc-helen.jerry.land')]);
    // PARKINGGARAGE gives its NetBIOS name as its DNS name too.
    expect(factsAbout(facts, '10.47.21.172')).toEqual([name('parkinggarage')]);
    // Every fact is one of the names the record of that server gave.
    const given = new Set(
      recordsOf(`${ZED}/ntlm.log.gz`).flatMap((r) =>
        [r.fields.server_dns_computer_name, r.fields.server_nb_computer_name].map((n) => `${r.fields['id.resp_h']} ${String(n).toLowerCase()}`),
      ),
    );
    expect(facts.filter((f) => !given.has(`${f.device} ${(f.fact as { name: string }).name}`))).toEqual([]);
  });

  it('kerberos: a machine account names the computer; user principals name nobody', () => {
    const file = CORPUS_FILES['kerberos.client.hostname'][0];
    expect(new Set(recordsOf(file).map((r) => r.fields.client))).toContain('Administrator/TEST.LOCAL');
    expect(factsFrom('kerberos.client.hostname', file)).toEqual([{ device: '172.16.0.211', fact: name('desktop-rbdmvva') }]);
  });

  it('rdp: the name the client gives itself', () => {
    expect(factsFrom('rdp.client.hostname', ...CORPUS_FILES['rdp.client.hostname'])).toEqual([{ device: '172.21.128.16', fact: name('frog-pond') }]);
    expect(factsAbout(factsFrom('rdp.client.hostname', `${ZED}/rdp.log.gz`), '10.164.94.120')).toEqual([name('tenablese'), name('nessus')]);
  });

  it('smb_mapping: the server name of a UNC path; a path with an address names nobody', () => {
    const facts = factsFrom('smb_mapping.server.hostname', ...CORPUS_FILES['smb_mapping.server.hostname']);
    expect(factsAbout(facts, '10.47.3.218')).toEqual([name('smarties')]);
    // 10.47.21.82 was reached as `\\10.47.21.82\ADMIN$` and as `\\PC-HELEN\...`; 10.47.21.25 only by address.
    expect(factsAbout(facts, '10.47.21.82')).toEqual([name('pc-helen')]);
    const paths = recordsOf(`${ZED}/smb_mapping.log.gz`).filter((r) => r.fields['id.resp_h'] === '10.47.21.25').map((r) => r.fields.path);
    expect(paths).toContain('\\\\10.47.21.25\\ADMIN$');
    expect(paths.every((p) => typeof p === 'string' && p.startsWith('\\\\10.47.21.25\\'))).toBe(true);
    expect(factsAbout(facts, '10.47.21.25')).toEqual([]);
  });

  it('dns: a forward lookup names the address it resolved to; a sinkhole answer is no device', () => {
    const facts = factsFrom('dns.a.hostname', ...CORPUS_FILES['dns.a.hostname']);
    expect(factsAbout(facts, '172.20.0.65')).toEqual([name('forums.jerry.land')]);
    expect(recordsOf(`${ZED}/dns.log.gz`).some((r) => r.fields.query === 'id.google.com' && (r.fields.answers as string[])?.includes('0.0.0.0'))).toBe(true);
    expect(factsAbout(facts, '0.0.0.0')).toEqual([]);
    // Every fact pairs a name asked for with an address among its answers.
    const pairs = new Set(
      recordsOf(`${ZED}/dns.log.gz`).flatMap((r) => ((r.fields.answers as string[] | undefined) ?? []).map((a) => `${a} ${String(r.fields.query).toLowerCase()}`)),
    );
    expect(facts.filter((f) => !pairs.has(`${f.device} ${(f.fact as { name: string }).name}`))).toEqual([]);
  });

  it('dns: a reverse lookup names the address its question encodes', () => {
    const facts = factsFrom('dns.ptr.hostname', ...CORPUS_FILES['dns.ptr.hostname']);
    expect(factsAbout(facts, '10.0.0.111')).toEqual([name('chimmichanga.wrccdc.secure')]);
    // Both answers of a question with two names.
    expect(factsAbout(facts, '216.58.193.195')).toEqual([name('lax02s23-in-f3.1e100.net'), name('lax02s23-in-f195.1e100.net')]);
  });

  it('normalizeHostName and reverseDnsAddress', () => {
    // Values taken from the corpus logs above.
    expect(normalizeHostName('Stratolab-DC.StratoLab.org.')).toBe('stratolab-dc.stratolab.org');
    expect(normalizeHostName('-')).toBeUndefined();
    expect(normalizeHostName('10.47.21.82')).toBeUndefined();
    expect(normalizeHostName('fe80::a667:6ff:fef7:ec54')).toBeUndefined();
    expect(normalizeHostName('wihartgw\\x00')).toBeUndefined();
    expect(normalizeHostName('*SMBSERVER')).toBeUndefined();
    expect(reverseDnsAddress('111.0.0.10.in-addr.arpa')).toBe('10.0.0.111');
    expect(reverseDnsAddress('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa')).toBe('fe80::1');
    expect(reverseDnsAddress('_services._dns-sd._udp.local')).toBeUndefined();
    expect(reverseDnsAddress('300.0.0.10.in-addr.arpa')).toBeUndefined();
  });
});

describe('MAC addresses', () => {
  const mac = (m: string) => ({ kind: 'mac', mac: m });

  it('dhcp: the client hardware address, in ECS spelling, beside both addresses of the lease', () => {
    expect(factsFrom('dhcp.client_addr.mac', ...CORPUS_FILES['dhcp.client_addr.mac'])).toEqual([{ device: '192.168.0.10', fact: mac('00-0A-28-00-FA-42') }]);
    const file = CORPUS_FILES['dhcp.assigned_addr.mac'][0];
    expect(factsFrom('dhcp.assigned_addr.mac', file)).toEqual([{ device: '128.2.6.189', fact: mac('90-B1-1C-99-49-29') }]);
    expect(factsFrom('dhcp.client_addr.mac', file)).toEqual([{ device: '128.2.6.97', fact: mac('90-B1-1C-99-49-29') }]);
  });

  it('conn: the L2 addresses beside each end; a multicast MAC is no device’s', () => {
    const [conn1] = CORPUS_FILES['conn.source.mac'];
    expect(factsAbout(factsFrom('conn.source.mac', conn1), '141.142.220.118')).toEqual([mac('00-24-7E-E0-1D-B5')]);
    // The router's MAC stands beside every address beyond it: here a remote source and a remote DNS server.
    const router = mac('00-13-7F-BE-8C-FF');
    expect(factsAbout(factsFrom('conn.source.mac', conn1), '173.192.163.128')).toEqual([router]);
    expect(factsAbout(factsFrom('conn.destination.mac', conn1), '141.142.2.2')).toEqual([router]);
    const conn2 = `${BTEST}/scripts.policy.protocols.conn.mac-logging/conn2.log`;
    expect(recordsOf(conn2).some((r) => r.fields.resp_l2_addr === '33:33:00:00:00:fb')).toBe(true);
    expect(factsFrom('conn.destination.mac', conn2)).toEqual([{ device: '208.67.220.220', fact: mac('44-2B-03-AA-AB-8D') }]);
    // A log without L2 addresses gives none.
    const conn3 = `${BTEST}/scripts.policy.protocols.conn.mac-logging/conn3.log`;
    expect(factsFrom('conn.source.mac', conn3)).toEqual([]);
  });
});

describe('software', () => {
  const sw = (type: string, name: string, version?: string) => ({ kind: 'software', software: version === undefined ? { type, name } : { type, name, version } });

  it('software: type, name and the version as Zeek formats it', () => {
    const facts = factsFrom('software', ...CORPUS_FILES.software);
    expect(factsAbout(facts, '10.47.8.50')).toEqual([sw('SSH::SERVER', 'OpenSSH', '7.4-p1')]);
    expect(factsAbout(facts, '10.47.8.20')).toEqual([sw('HTTP::SERVER', 'Apache', '2.4.29-Unix'), sw('HTTP::APPSERVER', 'PHP', '7.2.3')]);
    expect(factsAbout(facts, '10.47.8.218')).toContainEqual(sw('HTTP::APPSERVER', 'SharePoint', '15.0.0.4420'));
    // `MS .NET Remoting` parsed as name MS, no number, addl NET.
    expect(factsAbout(facts, '10.47.8.218')).toContainEqual(sw('HTTP::SERVER', 'MS', 'NET'));
    // One fact per distinct (host, type, name, version) of the log.
    const distinct = new Set(
      recordsOf(`${ZED}/software.log.gz`).map((r) =>
        ['host', 'software_type', 'name', 'version.major', 'version.minor', 'version.minor2', 'version.minor3', 'version.addl'].map((f) => r.fields[f]).join('|'),
      ),
    );
    expect(facts.length).toBe(distinct.size);
  });

  it('ssh: the same server software as the software log', () => {
    const software = factsFrom('software', ...CORPUS_FILES.software);
    const servers = factsFrom('ssh.server.software', ...CORPUS_FILES['ssh.server.software']);
    expect(factsAbout(servers, '10.47.8.50')).toEqual(factsAbout(software, '10.47.8.50'));
    expect(factsAbout(servers, '10.47.26.55')).toEqual([sw('SSH::SERVER', 'OpenSSH', '4.3-p2')]);
    const clients = factsFrom('ssh.client.software', ...CORPUS_FILES['ssh.client.software']);
    expect(factsAbout(clients, '10.0.0.227')).toEqual([sw('SSH::CLIENT', 'OpenSSH', '7.6')]);
    expect(factsAbout(clients, '10.128.0.19')).toContainEqual(sw('SSH::CLIENT', 'Nmap-SSH2-Hostkey'));
    expect(factsAbout(clients, '10.128.0.19')).toContainEqual(sw('SSH::CLIENT', 'NmapNSE', '1.0'));
  });

  it('known_services: the protocol a host serves and where; a port with no service is none', () => {
    const facts = factsFrom('known_services', ...CORPUS_FILES.known_services);
    expect(factsAbout(facts, '10.47.27.80')).toContainEqual(sw('http', 'tcp/8080'));
    // 10.47.3.218 serves tcp/80, first logged with no service.
    const logged = recordsOf(`${ZED}/known_services.log.gz`).filter((r) => r.fields.host === '10.47.3.218' && r.fields.port_num === 80);
    expect(logged.map((r) => r.fields.service)).toContainEqual([]);
    expect(factsAbout(facts, '10.47.3.218').filter((f) => (f as { software: { name: string } }).software.name === 'tcp/80')).toEqual(
      logged.flatMap((r) => (r.fields.service as string[]).map((s) => sw(s.toLowerCase(), 'tcp/80'))),
    );
  });

  it('rdp: the client’s RDP version', () => {
    expect(factsFrom('rdp.client.software', ...CORPUS_FILES['rdp.client.software'])).toEqual([{ device: '172.21.128.16', fact: sw('RDP::CLIENT', 'RDP', '6.0') }]);
  });
});

describe('declared roles', () => {
  it('known_modbus: master or slave, as the log declares it', () => {
    const file = CORPUS_FILES.known_modbus[0];
    const facts = factsFrom('known_modbus', file);
    expect(facts).toContainEqual({ device: '10.0.0.57', fact: { kind: 'declared_role', protocol: 'modbus', role: 'master' } });
    expect(facts).toContainEqual({ device: '166.161.16.230', fact: { kind: 'declared_role', protocol: 'modbus', role: 'slave' } });
    const declared = recordsOf(file).map((r) => ({
      device: r.fields.host,
      fact: { kind: 'declared_role', protocol: 'modbus', role: r.fields.device_type === 'Known::MODBUS_MASTER' ? 'master' : 'slave' },
    }));
    expect(declared).toHaveLength(8);
    expect(facts).toEqual(declared);
  });
});
