/**
 * What a device is for, inferred from what one asset document says about it: the protocols it speaks and answers,
 * the industrial operations it sends and receives, the identity it reports and the roles Zeek states outright.
 * Each role comes with a confidence and the facts behind it, in sentences a person can check against the logs.
 *
 * Confidence scale (0 to 1):
 * - 0.95: Zeek states the role (`known_modbus`: master or slave).
 * - 0.9: the device's own identity says it (an ENIP/S7/BACnet identity whose device type, product or model names
 *   a PLC, CPU or controller); 0.85 that it is some industrial device at all.
 * - Behaviour alone: a range per kind of evidence (below), placed within the range by volume: half by the events
 *   seen (saturating at 1,000) and half by the peers (saturating at 10), each on a log scale, since the tenth
 *   peer adds less certainty than the second. Protocol sides (master, slave, outstation) 0.55 to 0.9; program
 *   operations sent 0.65 to 0.95; control or program operations received 0.55 to 0.85, writes only 0.45 to 0.75;
 *   polling controllers 0.5 to 0.85; collecting and serving 0.5 to 0.85; answering an industrial protocol 0.5 to
 *   0.8; serving IT clients 0.5 to 0.9; writes or commands to controllers from an IT host 0.45 to 0.75; an IT
 *   host merely speaking an engineering protocol 0.3 to 0.5; an OPC UA client of many servers 0.35 to 0.6; a
 *   client of IT protocols only 0.3 to 0.6 (absence of OT traffic is weak evidence).
 * - A statement (declared, identity) and behaviour are independent sources: they combine as 1 - (1-a)(1-b),
 *   capped at 0.99. Several behavioural facts for one role come from the same traffic, so only the strongest counts.
 */
import { formatCount, listing, round } from '../models/format';
import { PROTOCOL_NAMES } from '../models/ot/flows';
import { INDUSTRIAL_PORTS, isIndustrialService, type OperationClass } from '../features/ot';
import { ASSET_ROLES, type AssetFacts, type AssetRole, type OtIdentity, type OtOperations, type ProtocolUse, type RoleAssessment } from './types';

export interface RoleOptions {
  /** Controllers a host must read from to be an HMI. */
  hmiMinControllers: number;
  /** Share of reads among the read, write, control and program operations it sends, for "mostly reads". */
  hmiMinReadShare: number;
  /** Clients a host must serve an IT protocol to, to be a server. */
  serverMinClients: number;
  /** Industrial devices a host must collect from (or OPC UA servers it must speak to) to be a historian. */
  historianMinDevices: number;
}

export const DEFAULT_ROLE_OPTIONS: Readonly<RoleOptions> = {
  hmiMinControllers: 3,
  hmiMinReadShare: 0.6,
  serverMinClients: 5,
  historianMinDevices: 3,
};

const DECLARED = 0.95;
const IDENTITY_CONTROLLER = 0.9;
const IDENTITY_DEVICE = 0.85;
const CAP = 0.99;

/** Events and peers at which behaviour counts in full. */
const FULL_EVENTS = 1000;
const FULL_PEERS = 10;

/** Engineering software talks these to controllers; an IT host speaking them is likely an engineering station. */
const ENGINEERING_PROTOCOLS = new Set([
  ...['s7comm', 's7comm_plus', 'iso_tsap', 'cotp', 'enip', 'cip', 'codesys', 'omron_fins', 'melsec', 'ge_srtp'],
  ...['pcworx', 'proconos', 'tristation', 'ads', 'crimson'],
]);

/** IT services a historian typically offers its clients (web, SQL, OPC UA). */
const HISTORIAN_SERVICES = new Set(['http', 'ssl', 'mysql', 'postgresql', 'tds', 'mssql', 'opcua']);
/** Default ports of historian products: OSIsoft PI Data Archive (5450), PI AF (5457), GE Proficy Historian (14000). */
const HISTORIAN_PORTS = new Set([5450, 5457, 14000]);

/** Device types, products or models that name a controller. */
const CONTROLLER = /\b(plc|cpu|controller|programmable logic)\b|logix/i;

const MORE_NAMES: Readonly<Record<string, string>> = {
  iso_tsap: 'ISO-TSAP',
  cotp: 'COTP',
  modbus_tls: 'Modbus/TLS',
  iec104: 'IEC 104',
  omron_fins: 'OMRON FINS',
  ge_srtp: 'GE SRTP',
  melsec: 'MELSEC',
  codesys: 'CODESYS',
  ads: 'ADS',
};

/** One spelling per protocol family: `dnp3_tcp` -> `dnp3`, `opcua-binary` -> `opcua`, `spicy_hart_ip_udp` -> `hart_ip`. */
export function protocolFamily(protocol: string): string {
  const name = protocol
    .trim()
    .toLowerCase()
    .replace(/^spicy_/, '')
    .replace(/-/g, '_')
    .replace(/_(tcp|udp)$/, '');
  if (name.startsWith('opcua')) return 'opcua';
  if (name === 's7comm_plus' || name === 'modbus_tls' || name === 'dnp3_secure') return name;
  if (name.startsWith('profinet')) return 'profinet';
  if (name.startsWith('synchrophasor')) return 'synchrophasor';
  return name;
}

function display(family: string): string {
  return PROTOCOL_NAMES[family] ?? MORE_NAMES[family] ?? family;
}

/**
 * The industrial family of a protocol use: by Zeek's service name, else (when Zeek named none) by a port that IT
 * software does not share. Undefined for IT protocols.
 */
function industrialFamily(use: ProtocolUse): string | undefined {
  if (isIndustrialService(use.protocol)) return protocolFamily(use.protocol);
  if (use.protocol !== 'unknown') return undefined;
  for (const port of use.ports) {
    const entry = INDUSTRIAL_PORTS.find(
      (p) => p.port === port && !p.shared && (use.transport === undefined || p.transport === use.transport.toLowerCase()),
    );
    if (entry !== undefined) return entry.protocol;
  }
  return undefined;
}

/** An IT protocol Zeek named (not industrial, not `unknown`). */
function isIt(use: ProtocolUse): boolean {
  return use.protocol !== 'unknown' && industrialFamily(use) === undefined;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

function saturation(amount: number, full: number): number {
  return Math.min(1, Math.log1p(Math.max(0, amount)) / Math.log1p(full));
}

/** A confidence within [low, high], placed by the events and peers seen (see the module comment). */
function behaviour(low: number, high: number, events: number, peers: number): number {
  const volume = 0.5 * saturation(events, FULL_EVENTS) + 0.5 * saturation(peers, FULL_PEERS);
  return low + (high - low) * volume;
}

function portsText(ports: readonly number[]): string {
  if (ports.length === 0) return '';
  return ports.length === 1 ? ` on port ${ports[0]}` : ` on ports ${listing(ports.map(String))}`;
}

function servedText(use: ProtocolUse, name: string): string {
  return `answers ${name}${portsText(use.ports)} to ${plural(use.peers, 'client')} (${plural(use.events, 'event')})`;
}

function spokenText(use: ProtocolUse, name: string): string {
  return `speaks ${name} to ${plural(use.peers, 'server')} (${plural(use.events, 'event')})`;
}

/** `Modbus write operations`; `Modbus operations of other kinds` for those no class fits. */
function operationsText(op: OtOperations): string {
  const name = display(protocolFamily(op.protocol));
  return op.class === 'other' ? `${name} operations of other kinds` : `${name} ${op.class} operations`;
}

function sentText(op: OtOperations): string {
  return `sent ${operationsText(op)} to ${plural(op.peers, 'device')} (${plural(op.events, 'request')})`;
}

function receivedText(op: OtOperations): string {
  return `received ${operationsText(op)} from ${plural(op.peers, 'device')} (${plural(op.events, 'request')})`;
}

function identityText(identity: OtIdentity): string {
  const present = (s: string | undefined): s is string => s !== undefined && s.trim() !== '';
  // A model is often a bare number (CIP's product code): it names the device only when there is no product.
  const names = [identity.vendor, present(identity.product) ? identity.product : identity.model].filter(present);
  const label = names.length > 0 ? names.join(' ') : (identity.name ?? 'unnamed device');
  // The device type says what it is; a self-given name (BACnet object, S7 system name) tells which one it is.
  const kind = present(identity.deviceType) ? identity.deviceType : names.length > 0 && present(identity.name) ? identity.name : undefined;
  // The CIP identity object reaches the network in EtherNet/IP's List Identity answer.
  const family = protocolFamily(identity.protocol);
  let text = `${display(family === 'cip' ? 'enip' : family)} identity: ${label}`;
  if (kind !== undefined) text += ` (${kind})`;
  if (present(identity.firmware)) text += `, firmware ${identity.firmware}`;
  return text;
}

/** Evidence for one role: statements and behaviour kept apart, since they combine differently (module comment). */
class Finding {
  private statement = 0;
  private behaviour = 0;
  readonly evidence: string[] = [];

  state(confidence: number, text: string): this {
    this.statement = Math.max(this.statement, confidence);
    this.evidence.push(text);
    return this;
  }

  observe(confidence: number, ...texts: string[]): this {
    this.behaviour = Math.max(this.behaviour, confidence);
    this.evidence.push(...texts);
    return this;
  }

  get supported(): boolean {
    return this.evidence.length > 0;
  }

  confidence(): number {
    return round(Math.min(CAP, 1 - (1 - this.statement) * (1 - this.behaviour)), 2);
  }
}

class Findings {
  private readonly byRole = new Map<AssetRole, Finding>();

  /** Records a role when something supports it. */
  add(role: AssetRole, finding: Finding): void {
    if (finding.supported) this.byRole.set(role, finding);
  }

  has(role: AssetRole): boolean {
    return this.byRole.has(role);
  }

  assessments(): RoleAssessment[] {
    const out = [...this.byRole].map(([role, f]): RoleAssessment => ({ role, confidence: f.confidence(), evidence: f.evidence }));
    return out.sort((a, b) => b.confidence - a.confidence || ASSET_ROLES.indexOf(a.role) - ASSET_ROLES.indexOf(b.role));
  }
}

const sum = (xs: readonly { events: number }[]): number => xs.reduce((n, x) => n + x.events, 0);
/** Peers of different entries may be the same devices, so the largest count is the one that is sure. */
const maxPeers = (xs: readonly { peers: number }[]): number => xs.reduce((n, x) => Math.max(n, x.peers), 0);
const byEvents = <T extends { events: number }>(xs: readonly T[]): T[] => [...xs].sort((a, b) => b.events - a.events);

type Side = 'master' | 'outstation';

/** The side of a protocol a `declared` role names (`Known::MODBUS_MASTER`, `slave`, `outstation`...). */
function declaredSide(role: string): Side | undefined {
  const r = role.toLowerCase();
  if (/master|client/.test(r)) return 'master';
  if (/slave|server|outstation/.test(r)) return 'outstation';
  return undefined;
}

/** The protocol-side roles: Modbus master/slave and DNP3 master/outstation. */
function protocolSides(facts: AssetFacts, findings: Findings): void {
  const roles: Record<string, Record<Side, AssetRole>> = {
    modbus: { master: 'modbus_master', outstation: 'modbus_slave' },
    dnp3: { master: 'dnp3_master', outstation: 'dnp3_outstation' },
  };
  const familyOf = (protocol: string | undefined): string | undefined => {
    if (protocol === undefined) return undefined;
    const family = protocolFamily(protocol);
    return Object.keys(roles).find((k) => family.startsWith(k));
  };
  const ofFamily = (family: string) => (u: ProtocolUse) => familyOf(industrialFamily(u)) === family;

  for (const [family, role] of Object.entries(roles)) {
    const master = new Finding();
    const outstation = new Finding();
    for (const d of facts.declared) {
      // known_modbus names the protocol in the role itself (`Known::MODBUS_MASTER`).
      if ((familyOf(d.protocol) ?? familyOf(d.role.toLowerCase().replace(/^known::/, ''))) !== family) continue;
      const side = declaredSide(d.role.toLowerCase().replace(family, ''));
      if (side === undefined) continue;
      const sideName = family === 'modbus' && side === 'outstation' ? 'slave' : side;
      (side === 'master' ? master : outstation).state(DECLARED, `Zeek's ${d.source} lists it as a ${display(family)} ${sideName}`);
    }

    const spoken = facts.spoken.filter(ofFamily(family));
    const sent = byEvents(facts.operations.filter((o) => familyOf(o.protocol) === family));
    if (spoken.length > 0 || sent.length > 0) {
      const events = Math.max(sum(spoken), sum(sent));
      const peers = Math.max(maxPeers(spoken), maxPeers(sent));
      master.observe(behaviour(0.55, 0.9, events, peers), ...spoken.map((u) => spokenText(u, display(family))), ...sent.map(sentText));
    }
    const served = facts.served.filter(ofFamily(family));
    const received = byEvents(facts.commanded.filter((o) => familyOf(o.protocol) === family));
    if (served.length > 0 || received.length > 0) {
      const events = Math.max(sum(served), sum(received));
      const peers = Math.max(maxPeers(served), maxPeers(received));
      outstation.observe(behaviour(0.55, 0.9, events, peers), ...served.map((u) => servedText(u, display(family))), ...received.map(receivedText));
    }
    findings.add(role.master, master);
    findings.add(role.outstation, outstation);
  }
}

const COMMANDS: ReadonlySet<OperationClass> = new Set(['write', 'control', 'program']);

/** A PLC by its identity or by being commanded; otherwise an industrial device by identity or protocol. */
function devices(facts: AssetFacts, findings: Findings): void {
  const plc = new Finding();
  for (const identity of facts.ot) {
    if ([identity.deviceType, identity.product, identity.model].some((s) => s !== undefined && CONTROLLER.test(s))) {
      plc.state(IDENTITY_CONTROLLER, identityText(identity));
    }
  }
  const commanded = byEvents(facts.commanded.filter((o) => COMMANDS.has(o.class)));
  if (commanded.length > 0) {
    // Control and program operations are what controllers take; writes also go to drives and meters.
    const [low, high] = commanded.some((o) => o.class !== 'write') ? [0.55, 0.85] : [0.45, 0.75];
    plc.observe(behaviour(low, high, sum(commanded), maxPeers(commanded)), ...commanded.map(receivedText));
  }
  findings.add('plc', plc);
  if (plc.supported) return;

  const device = new Finding();
  for (const identity of facts.ot) device.state(IDENTITY_DEVICE, identityText(identity));
  const served = facts.served.filter((u) => industrialFamily(u) !== undefined);
  if (served.length > 0) {
    const received = byEvents(facts.commanded);
    device.observe(
      behaviour(0.5, 0.8, sum(served), maxPeers(served)),
      ...served.map((u) => servedText(u, display(industrialFamily(u)!))),
      ...received.map(receivedText),
    );
  }
  findings.add('ot_device', device);
}

interface Polling {
  reads: OtOperations[];
  /** Controllers read from: the largest count of one protocol (peers of different protocols may overlap). */
  controllers: number;
  /** Reads among the read, write, control and program requests sent; diagnostics and unknowns do not tell. */
  readShare: number;
}

function polling(facts: AssetFacts): Polling {
  const reads = byEvents(facts.operations.filter((o) => o.class === 'read'));
  const decisive = sum(facts.operations.filter((o) => o.class === 'read' || COMMANDS.has(o.class)));
  return { reads, controllers: maxPeers(reads), readShare: decisive === 0 ? 0 : sum(reads) / decisive };
}

function hmi(facts: AssetFacts, o: RoleOptions, findings: Findings): void {
  const p = polling(facts);
  if (p.controllers < o.hmiMinControllers || p.readShare < o.hmiMinReadShare) return;
  const finding = new Finding().observe(
    behaviour(0.5, 0.85, sum(p.reads), p.controllers),
    `reads from ${plural(p.controllers, 'controller')} (${Math.round(p.readShare * 100)}% of its read, write and command requests are reads)`,
    ...p.reads.map(sentText),
  );
  findings.add('hmi', finding);
}

function engineeringWorkstation(facts: AssetFacts, findings: Findings): void {
  const finding = new Finding();
  const program = byEvents(facts.operations.filter((o) => o.class === 'program'));
  if (program.length > 0) finding.observe(behaviour(0.65, 0.95, sum(program), maxPeers(program)), ...program.map(sentText));

  const it = byEvents(facts.spoken.filter(isIt));
  const itText = `also speaks IT protocols (${listing(it.slice(0, 4).map((u) => u.protocol))})`;
  const commands = byEvents(facts.operations.filter((o) => o.class === 'write' || o.class === 'control'));
  if (commands.length > 0 && it.length > 0) {
    finding.observe(behaviour(0.45, 0.75, sum(commands), maxPeers(commands)), ...commands.map(sentText), itText);
  }

  // An HMI reads from controllers over the same protocols: only a host that is not one counts here.
  const engineering = facts.spoken.filter((u) => ENGINEERING_PROTOCOLS.has(industrialFamily(u) ?? ''));
  if (!finding.supported && engineering.length > 0 && it.length > 0 && !findings.has('hmi')) {
    finding.observe(
      behaviour(0.3, 0.5, sum(engineering), maxPeers(engineering)),
      ...engineering.map((u) => spokenText(u, display(industrialFamily(u)!))),
      itText,
    );
  }
  findings.add('engineering_workstation', finding);
}

function historian(facts: AssetFacts, o: RoleOptions, findings: Findings): void {
  const finding = new Finding();
  const p = polling(facts);
  const industrialSpoken = facts.spoken.filter((u) => industrialFamily(u) !== undefined);
  // What it reads, where operations tell; else whom it speaks industrial protocols to.
  const collectedFrom = p.reads.length > 0 ? p.controllers : maxPeers(industrialSpoken);
  const serves = facts.served.filter((u) => u.ports.some((port) => HISTORIAN_PORTS.has(port)) || HISTORIAN_SERVICES.has(protocolFamily(u.protocol)));
  const opcua = facts.spoken.filter((u) => protocolFamily(u.protocol) === 'opcua');
  if (collectedFrom >= o.historianMinDevices && serves.length > 0) {
    const collected = p.reads.length > 0 ? p.reads : industrialSpoken;
    finding.observe(
      behaviour(0.5, 0.85, sum(collected), collectedFrom),
      `collects from ${plural(collectedFrom, 'industrial device')}`,
      ...serves.map((u) => servedText(u, protocolFamily(u.protocol) === 'opcua' ? display('opcua') : u.protocol)),
    );
  } else if (maxPeers(opcua) >= o.historianMinDevices) {
    finding.observe(behaviour(0.35, 0.6, sum(opcua), maxPeers(opcua)), ...opcua.map((u) => spokenText(u, display('opcua'))));
  }
  findings.add('historian', finding);
}

function server(facts: AssetFacts, o: RoleOptions, findings: Findings): void {
  const served = byEvents(facts.served.filter((u) => isIt(u) && u.peers >= o.serverMinClients));
  if (served.length === 0) return;
  findings.add('server', new Finding().observe(behaviour(0.5, 0.9, sum(served), maxPeers(served)), ...served.map((u) => servedText(u, u.protocol))));
}

function itHost(facts: AssetFacts, findings: Findings): void {
  const it = byEvents(facts.spoken.filter(isIt));
  const industrial =
    facts.spoken.some((u) => industrialFamily(u) !== undefined) ||
    facts.served.some((u) => industrialFamily(u) !== undefined) ||
    facts.operations.length > 0 ||
    facts.commanded.length > 0 ||
    facts.ot.length > 0 ||
    facts.declared.length > 0;
  if (it.length === 0 || industrial) return;
  const shown = it.slice(0, 5).map((u) => `${u.protocol} (${plural(u.peers, 'server')})`);
  if (it.length > shown.length) shown.push(`${it.length - shown.length} more`);
  const text = `speaks only IT protocols as a client: ${listing(shown)} (${plural(sum(it), 'event')})`;
  findings.add('it_host', new Finding().observe(behaviour(0.3, 0.6, sum(it), maxPeers(it)), text));
}

/** The roles the facts support, most confident first; empty when nothing supports any. */
export function inferRoles(facts: AssetFacts, options: Partial<RoleOptions> = {}): RoleAssessment[] {
  const o: RoleOptions = { ...DEFAULT_ROLE_OPTIONS, ...options };
  const findings = new Findings();
  protocolSides(facts, findings);
  devices(facts, findings);
  hmi(facts, o, findings);
  engineeringWorkstation(facts, findings);
  historian(facts, o, findings);
  server(facts, o, findings);
  itHost(facts, findings);
  return findings.assessments();
}

/** Roles that say what a device is for; the protocol sides only say which end of one protocol it is on. */
const PROTOCOL_SIDES: ReadonlySet<AssetRole> = new Set(['modbus_master', 'modbus_slave', 'dnp3_master', 'dnp3_outstation']);

/**
 * The role to show first: the most confident role that says what the device is for (a PLC that is also a Modbus
 * slave is a PLC), else the most confident protocol side. Ties go to the earlier role of `ASSET_ROLES`.
 */
export function primaryRole(roles: readonly RoleAssessment[]): RoleAssessment | undefined {
  const best = (xs: readonly RoleAssessment[]): RoleAssessment | undefined =>
    xs.reduce<RoleAssessment | undefined>((b, r) => {
      if (b === undefined || r.confidence > b.confidence) return r;
      if (r.confidence === b.confidence && ASSET_ROLES.indexOf(r.role) < ASSET_ROLES.indexOf(b.role)) return r;
      return b;
    }, undefined);
  return best(roles.filter((r) => !PROTOCOL_SIDES.has(r.role))) ?? best(roles);
}
