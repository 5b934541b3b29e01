import { join } from 'node:path';
import { ZEEK_CORPUS } from '../../test/support/corpus';
import { readZeekFile } from '../../ingest/parse/zeek/read-file';
import type { ZeekRecord } from '../../ingest/parse/zeek/record';
import { classifyOperation, OT_OPERATION_FIELDS, type OperationClass } from '../features/ot';
import { DEFAULT_ROLE_OPTIONS, inferRoles, primaryRole } from './roles';
import type { AssetFacts, AssetRole, OtIdentity, RoleAssessment } from './types';

const ICSNPP = join(ZEEK_CORPUS, 'icsnpp');
const BTEST = join(ZEEK_CORPUS, 'zeek-btest-baseline/testing/btest/Baseline');
const WRCCDC = join(ZEEK_CORPUS, 'zed-sample-data/zeek-default');

const MODBUS = join(ICSNPP, 'icsnpp-modbus/testing/baseline/analyzer.basic');
const DNP3 = join(ICSNPP, 'icsnpp-dnp3/testing/baseline/analyzer.basic');
const SNAP7 = join(ICSNPP, 'icsnpp-s7comm/tests/baseline/analyzer.snap7');
const S7PLUS = join(ICSNPP, 'icsnpp-s7comm/tests/baseline/analyzer.s7comm_plus');
const S7IDENT = join(ICSNPP, 'icsnpp-s7comm/tests/baseline/analyzer.s7ident');
const ENIP = join(ICSNPP, 'icsnpp-enip/tests/baseline/analyzer.basic');
const BACNET = join(ICSNPP, 'icsnpp-bacnet/testing/baseline/analyzer.basic');
const OPCUA = join(ICSNPP, 'icsnpp-opcua-binary/tests/baseline/analyzer.basic');
const KNOWN_MODBUS = join(BTEST, 'scripts.base.protocols.modbus.policy/known_modbus.log');
/** Connections of the traces Zeek's known_modbus test reads (the same hosts). */
const MODBUS_CONNS = join(BTEST, 'scripts.base.protocols.modbus.events/conn-first.log');

/** Protocol logs of the WRCCDC capture, under the name Zeek's conn `service` gives their protocol. */
const WRCCDC_LOGS: Record<string, string> = {
  dns: 'dns',
  ssl: 'ssl',
  kerberos: 'krb',
  smb_mapping: 'smb',
  dce_rpc: 'dce_rpc',
  rdp: 'rdp',
  ssh: 'ssh',
  smtp: 'smtp',
  ftp: 'ftp',
  ldap_search: 'ldap',
  snmp: 'snmp',
  ntp: 'ntp',
  syslog: 'syslog',
  rfb: 'rfb',
  modbus: 'modbus',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

interface UseAcc {
  protocol: string;
  transport?: string;
  ports: Set<number>;
  peers: Set<string>;
  events: number;
}
interface OpAcc {
  protocol: string;
  class: OperationClass;
  peers: Set<string>;
  events: number;
}
interface HostAcc {
  spoken: Map<string, UseAcc>;
  served: Map<string, UseAcc>;
  operations: Map<string, OpAcc>;
  commanded: Map<string, OpAcc>;
  declared: AssetFacts['declared'];
  ot: OtIdentity[];
}

/**
 * Folds log records into per-address facts as the asset pass would: protocols each address speaks and answers,
 * industrial requests it sends and receives (by the operation field of `OT_OPERATION_FIELDS`), roles Zeek states.
 */
class Fold {
  private readonly hosts = new Map<string, HostAcc>();

  private host(ip: string): HostAcc {
    let h = this.hosts.get(ip);
    if (h === undefined) {
      h = { spoken: new Map(), served: new Map(), operations: new Map(), commanded: new Map(), declared: [], ot: [] };
      this.hosts.set(ip, h);
    }
    return h;
  }

  private use(map: Map<string, UseAcc>, protocol: string, peer: string, port?: number, transport?: string): void {
    let u = map.get(protocol);
    if (u === undefined) map.set(protocol, (u = { protocol, transport, ports: new Set(), peers: new Set(), events: 0 }));
    if (port !== undefined) u.ports.add(port);
    u.peers.add(peer);
    u.events++;
  }

  private op(map: Map<string, OpAcc>, protocol: string, cls: OperationClass, peer: string): void {
    const key = `${protocol}/${cls}`;
    let o = map.get(key);
    if (o === undefined) map.set(key, (o = { protocol, class: cls, peers: new Set(), events: 0 }));
    o.peers.add(peer);
    o.events++;
  }

  /** Conn records: one use per service Zeek named, `unknown` when it named none. */
  conns(records: readonly ZeekRecord[]): this {
    for (const r of records) {
      const service = r.fields.service;
      const services = Array.isArray(service) ? service.map(String) : str(service)?.split(',') ?? ['unknown'];
      for (const s of services) this.connection(r, s.toLowerCase(), str(r.fields.proto));
    }
    return this;
  }

  /** Records of one protocol's log, each counted as a use of `protocol`. */
  protocolLog(records: readonly ZeekRecord[], protocol: string): this {
    for (const r of records) this.connection(r, protocol, undefined);
    return this;
  }

  private connection(r: ZeekRecord, protocol: string, transport: string | undefined): void {
    const orig = str(r.fields['id.orig_h']);
    const resp = str(r.fields['id.resp_h']);
    if (orig === undefined || resp === undefined) return;
    this.use(this.host(orig).spoken, protocol, resp);
    this.use(this.host(resp).served, protocol, orig, r.fields['id.resp_p'] as number, transport);
  }

  /** Requests of an industrial log: from the master (`source`) to the outstation, classified. */
  operations(records: readonly ZeekRecord[]): this {
    for (const r of records) {
      const spec = OT_OPERATION_FIELDS[r.path];
      const value = r.fields[spec.field];
      if (typeof value !== 'string' && typeof value !== 'number') continue;
      const when = spec.requestWhen;
      const marker = when === undefined ? undefined : r.fields[when.field];
      if (marker !== undefined && !when!.values.some((v) => String(v).toLowerCase() === String(marker).toLowerCase())) continue;
      let c = classifyOperation(r.path, value);
      const detail = spec.detailField === undefined ? undefined : r.fields[spec.detailField];
      if (typeof detail === 'string' || typeof detail === 'number') {
        const refined = classifyOperation(r.path, detail, spec.detailField);
        if (refined.class !== 'other') c = refined;
      }
      if (c.reply) continue;
      const master = str(r.fields.source_h) ?? str(r.fields['id.orig_h'])!;
      const outstation = str(r.fields.destination_h) ?? str(r.fields['id.resp_h'])!;
      this.op(this.host(master).operations, spec.protocol, c.class, outstation);
      this.op(this.host(outstation).commanded, spec.protocol, c.class, master);
    }
    return this;
  }

  knownModbus(records: readonly ZeekRecord[]): this {
    for (const r of records) {
      this.host(String(r.fields.host)).declared.push({ protocol: 'modbus', role: String(r.fields.device_type), source: r.path, first: 0, last: 0 });
    }
    return this;
  }

  identity(ip: string, identity: OtIdentity): this {
    this.host(ip).ot.push(identity);
    return this;
  }

  facts(ip: string): AssetFacts {
    const h = this.hosts.get(ip);
    if (h === undefined) throw new Error(`${ip} is not in the folded logs`);
    const uses = (m: Map<string, UseAcc>) =>
      [...m.values()].map((u) => ({
        protocol: u.protocol,
        ...(u.transport === undefined ? {} : { transport: u.transport }),
        ports: [...u.ports].sort((a, b) => a - b).slice(0, 5),
        peers: u.peers.size,
        events: u.events,
        first: 0,
        last: 0,
      }));
    const ops = (m: Map<string, OpAcc>) =>
      [...m.values()].map((o) => ({ protocol: o.protocol, class: o.class, peers: o.peers.size, events: o.events, first: 0, last: 0 }));
    return {
      ip,
      macs: [],
      hostnames: [],
      software: [],
      spoken: uses(h.spoken),
      served: uses(h.served),
      operations: ops(h.operations),
      commanded: ops(h.commanded),
      declared: h.declared,
      ot: h.ot,
    };
  }

  addresses(): string[] {
    return [...this.hosts.keys()];
  }
}

const read = (dir: string, log: string): ZeekRecord[] => readZeekFile(join(dir, log));
const roleNames = (roles: readonly RoleAssessment[]): AssetRole[] => roles.map((r) => r.role);
const roleOf = (roles: readonly RoleAssessment[], role: AssetRole): RoleAssessment => {
  const found = roles.find((r) => r.role === role);
  if (found === undefined) throw new Error(`no ${role} among ${roleNames(roles).join(', ')}`);
  return found;
};
const fmt = (n: number): string => new Intl.NumberFormat('en-US').format(n);

/** Requests of `records` from `master` that classify as `cls`, counted independently of `Fold`. */
function requestsOf(records: readonly ZeekRecord[], master: string, cls: OperationClass): { events: number; devices: Set<string> } {
  let events = 0;
  const devices = new Set<string>();
  for (const r of records) {
    const spec = OT_OPERATION_FIELDS[r.path];
    const value = r.fields[spec.field];
    const from = r.fields.source_h ?? r.fields['id.orig_h'];
    const when = spec.requestWhen;
    const marker = when === undefined ? undefined : r.fields[when.field];
    const isRequest = marker === undefined || when!.values.some((v) => String(v).toLowerCase() === String(marker).toLowerCase());
    if (from !== master || !isRequest || (typeof value !== 'string' && typeof value !== 'number')) continue;
    const c = classifyOperation(r.path, value);
    if (c.class === cls && !c.reply) {
      events++;
      devices.add(String(r.fields.destination_h ?? r.fields['id.resp_h']));
    }
  }
  return { events, devices };
}

/**
 * The WRCCDC TLS sessions of one real host replayed under another address (the corpus allows rewritten addresses):
 * as the client (`id.orig_h`: the first client of the log) or as the server (the server with the most clients).
 */
function sslMovedTo(ip: string, side: 'id.orig_h' | 'id.resp_h'): ZeekRecord[] {
  const ssl = readZeekFile(join(WRCCDC, 'ssl.log.gz'));
  const peers = new Map<string, Set<string>>();
  for (const r of ssl) {
    const host = String(r.fields[side]);
    if (!peers.has(host)) peers.set(host, new Set());
    peers.get(host)!.add(String(r.fields[side === 'id.orig_h' ? 'id.resp_h' : 'id.orig_h']));
  }
  const host = side === 'id.orig_h' ? String(ssl[0].fields['id.orig_h']) : [...peers].sort((a, b) => b[1].size - a[1].size)[0][0];
  return ssl.filter((r) => r.fields[side] === host).map((r) => ({ ...r, fields: { ...r.fields, [side]: ip } }));
}

function expectSortedAndBounded(roles: readonly RoleAssessment[]): void {
  for (const r of roles) {
    expect(r.confidence).toBeGreaterThan(0);
    expect(r.confidence).toBeLessThanOrEqual(1);
    expect(r.evidence.length).toBeGreaterThan(0);
  }
  for (let i = 1; i < roles.length; i++) expect(roles[i - 1].confidence).toBeGreaterThanOrEqual(roles[i].confidence);
}

describe('inferRoles on Modbus', () => {
  const conns = read(MODBUS, 'conn.log');
  const fold = new Fold().conns(conns).operations(read(MODBUS, 'modbus.log'));

  it('makes the client of the real Modbus/TCP connection a master and its server a slave, not the other way round', () => {
    const client = inferRoles(fold.facts('192.168.1.6'));
    const server = inferRoles(fold.facts('3.15.227.20'));
    expect(roleNames(client)).toContain('modbus_master');
    expect(roleNames(client)).not.toContain('modbus_slave');
    expect(roleNames(server)).toContain('modbus_slave');
    expect(roleNames(server)).not.toContain('modbus_master');
    // A Modbus server with no identity and no commands is an industrial device, not a PLC.
    expect(roleNames(server)).toContain('ot_device');
    expect(roleNames(server)).not.toContain('plc');
    const n = conns.filter((r) => r.fields['id.resp_h'] === '3.15.227.20').length;
    expect(roleOf(server, 'modbus_slave').evidence).toContain(`answers Modbus on port 502 to 1 client (${fmt(n)} event${n === 1 ? '' : 's'})`);
    expectSortedAndBounded(client);
    expectSortedAndBounded(server);
  });

  it('gives the loopback test client, which is its own server, both sides and reports the writes it sent', () => {
    const roles = inferRoles(fold.facts('127.0.0.1'));
    expect(roleNames(roles)).toEqual(expect.arrayContaining(['modbus_master', 'modbus_slave']));
    const writes = requestsOf(read(MODBUS, 'modbus.log'), '127.0.0.1', 'write');
    expect(writes.events).toBeGreaterThan(0);
    expect(roleOf(roles, 'modbus_master').evidence).toContain(`sent Modbus write operations to 1 device (${fmt(writes.events)} requests)`);
  });

  it("takes Zeek's known_modbus statement as strong evidence, and raises it with the traffic of the same hosts", () => {
    const known = readZeekFile(KNOWN_MODBUS);
    const declared = new Fold().knownModbus(known);
    const master = inferRoles(declared.facts('10.0.0.57'));
    const slave = inferRoles(declared.facts('10.0.0.3'));
    // Nothing but the statement: exactly the role it states, at the documented 0.95.
    expect(master).toEqual([{ role: 'modbus_master', confidence: 0.95, evidence: ["Zeek's known_modbus lists it as a Modbus master"] }]);
    expect(slave).toEqual([{ role: 'modbus_slave', confidence: 0.95, evidence: ["Zeek's known_modbus lists it as a Modbus slave"] }]);

    const traffic = new Fold().conns(readZeekFile(MODBUS_CONNS));
    const both = new Fold().knownModbus(known).conns(readZeekFile(MODBUS_CONNS));
    const byTraffic = roleOf(inferRoles(traffic.facts('10.0.0.57')), 'modbus_master').confidence;
    const combined = roleOf(inferRoles(both.facts('10.0.0.57')), 'modbus_master').confidence;
    expect(byTraffic).toBeLessThan(0.95);
    expect(combined).toBeGreaterThan(0.95);
    expect(combined).toBeLessThanOrEqual(0.99);
    // Every host known_modbus names gets the side it states, and never the other side by statement alone.
    for (const r of known) {
      const roles = roleNames(inferRoles(both.facts(String(r.fields.host))));
      expect(roles).toContain(String(r.fields.device_type).endsWith('MASTER') ? 'modbus_master' : 'modbus_slave');
    }
  });

  it('keeps the WRCCDC Modbus poller a master of 8 devices, but no HMI: its function codes are not reads', () => {
    const records = readZeekFile(join(WRCCDC, 'modbus.log.gz'));
    const fold = new Fold().protocolLog(records, 'modbus').operations(records);
    const poller = '10.128.0.248';
    const servers = new Set(records.filter((r) => r.fields['id.orig_h'] === poller).map((r) => r.fields['id.resp_h']));
    expect(servers.size).toBe(8);
    const roles = inferRoles(fold.facts(poller), { hmiMinControllers: 1 });
    expect(roleOf(roles, 'modbus_master').evidence[0]).toMatch(new RegExp(`^speaks Modbus to ${servers.size} servers \\(`));
    expect(roleNames(roles)).not.toContain('hmi');
    expect(roleNames(roles)).not.toContain('it_host');
  });
});

describe('inferRoles on DNP3', () => {
  const dnp3 = read(DNP3, 'dnp3.log');
  const fold = new Fold().conns(read(DNP3, 'conn.log')).operations(dnp3);
  const master = '10.10.20.5';
  const outstation = '10.10.20.8';

  it('tells the master from the outstation, and calls the commanded outstation a PLC', () => {
    const m = inferRoles(fold.facts(master));
    const o = inferRoles(fold.facts(outstation));
    expect(roleNames(m)).toContain('dnp3_master');
    expect(roleNames(m)).not.toContain('dnp3_outstation');
    expect(roleNames(o)).toEqual(expect.arrayContaining(['dnp3_outstation', 'plc']));
    expect(roleNames(o)).not.toContain('dnp3_master');
    const controls = requestsOf(dnp3, master, 'control');
    expect(controls.events).toBeGreaterThan(100);
    expect(roleOf(o, 'plc').evidence).toContain(`received DNP3 control operations from 1 device (${fmt(controls.events)} requests)`);
    expect(primaryRole(o)?.role).toBe('plc');
  });

  it('does not call the master an HMI even for one controller, because it mostly commands', () => {
    const reads = requestsOf(dnp3, master, 'read').events;
    const controls = requestsOf(dnp3, master, 'control').events;
    expect(reads / (reads + controls)).toBeLessThan(DEFAULT_ROLE_OPTIONS.hmiMinReadShare);
    expect(roleNames(inferRoles(fold.facts(master), { hmiMinControllers: 1 }))).not.toContain('hmi');
  });
});

describe('inferRoles on S7comm', () => {
  it('makes the snap7 client that uploads and downloads blocks an engineering workstation, its server a PLC', () => {
    const s7 = read(SNAP7, 's7comm.log');
    const fold = new Fold().conns(read(SNAP7, 'conn.log')).operations(s7);
    const program = requestsOf(read(SNAP7, 's7comm_upload_download.log'), '134.217.61.131', 'program');
    expect(program.events).toBeGreaterThan(0);
    const client = inferRoles(fold.facts('134.217.61.131'));
    const ews = roleOf(client, 'engineering_workstation');
    expect(ews.evidence[0]).toMatch(/^sent S7comm program operations to 1 device \(\d+ requests\)$/);
    expect(ews.confidence).toBeGreaterThanOrEqual(0.65);
    expect(primaryRole(client)?.role).toBe('engineering_workstation');
    const server = inferRoles(fold.facts('134.217.61.211'));
    expect(roleNames(server)).toContain('plc');
    expect(roleNames(server)).not.toContain('ot_device');
    expect(roleNames(server)).not.toContain('engineering_workstation');
  });

  it('does not make an S7comm-plus client that only writes an engineering workstation until it also speaks IT', () => {
    const fold = new Fold().conns(read(S7PLUS, 'conn.log')).operations(read(S7PLUS, 's7comm_plus.log'));
    const station = '192.168.0.3';
    expect(roleNames(inferRoles(fold.facts(station)))).not.toContain('engineering_workstation');
    expect(roleNames(inferRoles(fold.facts('192.168.0.1')))).toContain('plc');

    // The same host replayed with a WRCCDC client's real SSL sessions (address rewritten): a laptop that writes to
    // the PLC and browses.
    fold.protocolLog(sslMovedTo(station, 'id.orig_h'), 'ssl');
    const ews = roleOf(inferRoles(fold.facts(station)), 'engineering_workstation');
    expect(ews.evidence).toContain('also speaks IT protocols (ssl)');
    expect(ews.evidence.some((e) => /^sent S7comm-plus write operations to 1 device/.test(e))).toBe(true);
    expect(ews.confidence).toBeLessThan(0.75);
  });

  it("calls the device whose S7 identity names a CPU a PLC at the identity's 0.9", () => {
    const [known] = read(S7IDENT, 's7comm_known_devices.log');
    const ip = String(known.fields['id.resp_h']);
    const identity: OtIdentity = {
      protocol: 's7comm',
      product: String(known.fields.module_name),
      name: String(known.fields.automation_system_name),
      serial: String(known.fields.module_serial),
      source: known.path,
      first: 0,
      last: 0,
    };
    const alone = inferRoles(new Fold().identity(ip, identity).facts(ip));
    const said = `S7comm identity: ${known.fields.module_name} (${known.fields.automation_system_name})`;
    expect(alone).toEqual([{ role: 'plc', confidence: 0.9, evidence: [said] }]);
    // With its traffic (snap7 talking to itself) the statement and the commands it received add up.
    const withTraffic = inferRoles(new Fold().identity(ip, identity).operations(read(S7IDENT, 's7comm.log')).facts(ip));
    expect(roleOf(withTraffic, 'plc').confidence).toBeGreaterThan(0.9);
  });
});

describe('inferRoles on EtherNet/IP', () => {
  it('reports the 1756-ENBT identity as an industrial device with its words, not as a PLC', () => {
    const [id] = read(ENIP, 'cip_identity.log');
    const ip = String(id.fields.socket_address);
    // As the asset pass reads cip_identity: the product code is the model.
    const identity: OtIdentity = {
      protocol: 'cip',
      vendor: String(id.fields.vendor_name),
      product: String(id.fields.product_name),
      model: String(id.fields.product_code),
      deviceType: String(id.fields.device_type_name),
      firmware: String(id.fields.revision),
      serial: String(id.fields.serial_number),
      source: id.path,
      first: 0,
      last: 0,
    };
    const roles = inferRoles(new Fold().conns(read(ENIP, 'conn.log')).identity(ip, identity).facts(ip));
    expect(roleNames(roles)).not.toContain('plc');
    const device = roleOf(roles, 'ot_device');
    expect(device.evidence).toContain(
      `EtherNet/IP identity: ${id.fields.vendor_name} ${id.fields.product_name} (${id.fields.device_type_name}), firmware ${id.fields.revision}`,
    );
    expect(device.confidence).toBeGreaterThan(0.85);
  });

  it('knows an ENIP server from the port alone when Zeek named no service on the connection', () => {
    const unnamed = read(ENIP, 'conn.log').filter((r) => r.fields.service === undefined && r.fields['id.resp_p'] === 44818);
    expect(unnamed.length).toBeGreaterThan(0);
    const ip = String(unnamed[0].fields['id.resp_h']);
    const device = roleOf(inferRoles(new Fold().conns(unnamed).facts(ip)), 'ot_device');
    expect(device.evidence[0]).toMatch(/^answers EtherNet\/IP on port 44818 to 1 client/);
  });

  it('calls an IT host that speaks EtherNet/IP a possible engineering workstation, unless it reads as an HMI', () => {
    // The same session's reads without its one write (the analyzer's multiple-service test), and a WRCCDC client's
    // real TLS sessions replayed from the ENIP client's address.
    const fold = new Fold()
      .conns(read(ENIP, 'conn.log'))
      .operations(readZeekFile(join(ICSNPP, 'icsnpp-enip/tests/baseline/analyzer.multiple_service_request/cip.log')))
      .protocolLog(sslMovedTo('192.168.10.105', 'id.orig_h'), 'ssl');
    const roles = inferRoles(fold.facts('192.168.10.105'));
    const ews = roleOf(roles, 'engineering_workstation');
    expect(ews.evidence).toEqual([expect.stringMatching(/^speaks EtherNet\/IP to 1 server \(\d+ events?\)$/), 'also speaks IT protocols (ssl)']);
    expect(ews.confidence).toBeGreaterThanOrEqual(0.3);
    expect(ews.confidence).toBeLessThanOrEqual(0.5);
    expect(roleNames(roles)).not.toContain('it_host');
    const asHmi = inferRoles(fold.facts('192.168.10.105'), { hmiMinControllers: 1 });
    expect(roleNames(asHmi)).toContain('hmi');
    expect(roleNames(asHmi)).not.toContain('engineering_workstation');
  });

  it('makes the CIP client reading one controller an HMI only when one controller is enough', () => {
    const cip = read(ENIP, 'cip.log');
    const fold = new Fold().conns(read(ENIP, 'conn.log')).operations(cip);
    const reads = requestsOf(cip, '192.168.10.105', 'read');
    expect(reads.devices.size).toBe(1);
    expect(roleNames(inferRoles(fold.facts('192.168.10.105')))).not.toContain('hmi');
    const hmi = roleOf(inferRoles(fold.facts('192.168.10.105'), { hmiMinControllers: 1 }), 'hmi');
    expect(hmi.evidence).toContain(`sent CIP read operations to 1 device (${fmt(reads.events)} requests)`);
  });
});

describe('inferRoles on BACnet', () => {
  const bacnet = read(BACNET, 'bacnet.log');
  const fold = new Fold().conns(read(BACNET, 'conn.log')).operations(bacnet);
  const workstation = '172.20.32.200';
  const polled = requestsOf(bacnet, workstation, 'read').devices;

  it('makes the workstation that reads from every controller an HMI, and no more when the threshold is above its count', () => {
    expect(polled.size).toBeGreaterThanOrEqual(DEFAULT_ROLE_OPTIONS.hmiMinControllers);
    const roles = inferRoles(fold.facts(workstation));
    const hmi = roleOf(roles, 'hmi');
    expect(hmi.evidence[0]).toMatch(new RegExp(`^reads from ${polled.size} controllers \\(\\d+% of its read, write and command requests are reads\\)$`));
    expect(primaryRole(roles)?.role).toBe('hmi');
    expect(roleNames(inferRoles(fold.facts(workstation), { hmiMinControllers: polled.size }))).toContain('hmi');
    expect(roleNames(inferRoles(fold.facts(workstation), { hmiMinControllers: polled.size + 1 }))).not.toContain('hmi');
    // It serves nothing: no historian, however few devices a historian needs.
    expect(roleNames(inferRoles(fold.facts(workstation), { historianMinDevices: 1 }))).not.toContain('historian');
  });

  it('calls a device that is only read an industrial device, and one told to reinitialize a PLC', () => {
    const readOnly = [...polled].find((ip) => requestsOf(bacnet, '172.20.32.250', 'control').devices.has(ip) === false)!;
    const commanded = [...requestsOf(bacnet, '172.20.32.250', 'control').devices][0];
    expect(readOnly).toBeDefined();
    expect(commanded).toBeDefined();
    const plain = inferRoles(fold.facts(readOnly));
    expect(roleNames(plain)).toContain('ot_device');
    expect(roleNames(plain)).not.toContain('plc');
    expect(roleOf(plain, 'ot_device').evidence.some((e) => /^received BACnet read operations from 1 device/.test(e))).toBe(true);
    const plc = roleOf(inferRoles(fold.facts(commanded)), 'plc');
    expect(plc.evidence.some((e) => /^received BACnet control operations from 1 device/.test(e))).toBe(true);
    // The sender of those commands speaks no IT protocol: not an engineering workstation.
    expect(roleNames(inferRoles(fold.facts('172.20.32.250')))).not.toContain('engineering_workstation');
  });

  it('makes the poller a historian once it also answers IT clients (a WRCCDC TLS server replayed under its address)', () => {
    const moved = sslMovedTo(workstation, 'id.resp_h');
    const clients = new Set(moved.map((r) => r.fields['id.orig_h']));
    const both = new Fold().conns(read(BACNET, 'conn.log')).operations(bacnet).protocolLog(moved, 'ssl');
    const historian = roleOf(inferRoles(both.facts(workstation)), 'historian');
    expect(historian.evidence[0]).toBe(`collects from ${polled.size} industrial devices`);
    expect(historian.evidence[1]).toMatch(new RegExp(`^answers ssl on port 443 to ${clients.size} clients`));
  });
});

describe('inferRoles on OPC UA', () => {
  it('makes an OPC UA client a historian only when it speaks to as many servers as a historian needs', () => {
    const fold = new Fold().conns(read(OPCUA, 'conn.log'));
    expect(roleNames(inferRoles(fold.facts('::1')))).not.toContain('historian');
    expect(roleNames(inferRoles(fold.facts('::1'), { historianMinDevices: 1 }))).toContain('historian');
  });
});

describe('inferRoles on the IT traffic of the WRCCDC capture', () => {
  const fold = new Fold();
  for (const [log, protocol] of Object.entries(WRCCDC_LOGS)) fold.protocolLog(readZeekFile(join(WRCCDC, `${log}.log.gz`)), protocol);
  const dns = readZeekFile(join(WRCCDC, 'dns.log.gz'));
  /** Clients of each address per protocol log, counted from the records. */
  const clients = new Map<string, number>();
  for (const [log] of Object.entries(WRCCDC_LOGS)) {
    const per = new Map<string, Set<string>>();
    for (const r of log === 'dns' ? dns : readZeekFile(join(WRCCDC, `${log}.log.gz`))) {
      const key = String(r.fields['id.resp_h']);
      if (!per.has(key)) per.set(key, new Set());
      per.get(key)!.add(String(r.fields['id.orig_h']));
    }
    for (const [ip, set] of per) if (log !== 'modbus') clients.set(ip, Math.max(clients.get(ip) ?? 0, set.size));
  }

  it('makes the busiest DNS resolver a server, with its clients counted', () => {
    const per = new Map<string, Set<string>>();
    for (const r of dns) {
      const key = String(r.fields['id.resp_h']);
      if (!per.has(key)) per.set(key, new Set());
      per.get(key)!.add(String(r.fields['id.orig_h']));
    }
    const [resolver, its] = [...per].sort((a, b) => b[1].size - a[1].size)[0];
    expect(its.size).toBeGreaterThanOrEqual(DEFAULT_ROLE_OPTIONS.serverMinClients);
    const server = roleOf(inferRoles(fold.facts(resolver)), 'server');
    expect(server.evidence.some((e) => e.startsWith(`answers dns on port 53 to ${its.size} clients (`))).toBe(true);
  });

  it('makes a host with fewer clients than the threshold a server only when the threshold is lowered to its count', () => {
    const few = [...clients].filter(([, n]) => n >= 2 && n < DEFAULT_ROLE_OPTIONS.serverMinClients).sort((a, b) => b[1] - a[1]);
    expect(few.length).toBeGreaterThan(0);
    const [ip, n] = few[0];
    expect(roleNames(inferRoles(fold.facts(ip)))).not.toContain('server');
    expect(roleNames(inferRoles(fold.facts(ip), { serverMinClients: n + 1 }))).not.toContain('server');
    expect(roleNames(inferRoles(fold.facts(ip), { serverMinClients: n }))).toContain('server');
  });

  it('calls a host that is only ever a client of IT protocols an IT host, and nothing else', () => {
    const pure = fold.addresses().filter((ip) => {
      const f = fold.facts(ip);
      return f.served.length === 0 && f.spoken.length > 0 && f.spoken.every((u) => u.protocol !== 'modbus');
    });
    expect(pure.length).toBeGreaterThan(10);
    for (const ip of pure) {
      const roles = inferRoles(fold.facts(ip));
      expect(roleNames(roles)).toEqual(['it_host']);
      expect(roles[0].evidence[0]).toMatch(/^speaks only IT protocols as a client: /);
      expect(roles[0].confidence).toBeGreaterThanOrEqual(0.3);
      expect(roles[0].confidence).toBeLessThanOrEqual(0.6);
    }
  });

  it('orders every inferred list by confidence and keeps every confidence within 0..1', () => {
    for (const ip of fold.addresses()) expectSortedAndBounded(inferRoles(fold.facts(ip)));
  });
});

describe('inferRoles without evidence, and primaryRole', () => {
  it('gives no role to an address with no facts, nor to one that only reached an unnamed, non-industrial port', () => {
    const empty: AssetFacts = {
      ...{ ip: '10.0.88.85', macs: [], hostnames: [], spoken: [], served: [], software: [] },
      ...{ ot: [], operations: [], commanded: [], declared: [] },
    };
    expect(inferRoles(empty)).toEqual([]);
    const conns = read(BTEST, 'core.tcp.rxmit-history/conn-1.log');
    expect(conns[0].fields.service).toBeUndefined();
    const fold = new Fold().conns(conns);
    expect(inferRoles(fold.facts(String(conns[0].fields['id.orig_h'])))).toEqual([]);
    expect(inferRoles(fold.facts(String(conns[0].fields['id.resp_h'])))).toEqual([]);
    expect(primaryRole([])).toBeUndefined();
  });

  it('prefers the role that says what the device is for over a more confident protocol side', () => {
    const roles: RoleAssessment[] = [
      { role: 'modbus_slave', confidence: 0.95, evidence: ['a'] },
      { role: 'plc', confidence: 0.9, evidence: ['b'] },
      { role: 'ot_device', confidence: 0.5, evidence: ['c'] },
    ];
    expect(primaryRole(roles)?.role).toBe('plc');
    expect(primaryRole(roles.slice(0, 1))?.role).toBe('modbus_slave');
  });
});
