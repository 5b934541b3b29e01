/**
 * Which Zeek logs say something durable about a device, and how to read it from Elasticsearch.
 *
 * Each fact source names the documents that carry a fact (`event.dataset` `zeek.<path>` plus optional filter
 * clauses), the field holding the address of the device the fact is about, and a few keyword, ip or numeric fields
 * to key a composite aggregation on. One bucket of that aggregation is one distinct fact about one address; `read`
 * turns the bucket's key into the fact. `compositeSources`, `keyValues`, `factQuery` and `deviceOf` are the
 * contract between the table and the pass that runs the aggregations: the device field is keyed without a missing
 * bucket (no address, no fact), every other field with one (a missing value is null).
 *
 * Field names are those of the index template: ECS fields as the normalizer writes them, and the original record
 * under `zeek.<path>.<field>` (Zeek's own names, dots kept: `zeek.software.version.major`).
 *
 * What the table does not judge: whether the address is one of the monitored networks (the pass knows them), and
 * whether a MAC seen beside an address belongs to it or to the router between them (see `conn`).
 */
import { isIP } from 'node:net';
import * as ipaddr from 'ipaddr.js';
import { isGroupMac, normalizeMac } from './oui';
import type { OtIdentity, Seen, Software } from './types';

export type FactKind = 'identity' | 'hostname' | 'mac' | 'software' | 'declared_role';

export type FactValue =
  | { kind: 'identity'; identity: Omit<OtIdentity, keyof Seen> }
  | { kind: 'hostname'; name: string }
  | { kind: 'mac'; mac: string }
  | { kind: 'software'; software: Omit<Software, keyof Seen> }
  | { kind: 'declared_role'; protocol: string; role: string };

/** A composite bucket's key by Elasticsearch field name; null when the document has no value there. */
export type FactValues = Readonly<Record<string, string | number | boolean | null>>;

export interface FactSource {
  /** Unique in the table: one log can feed several facts (dhcp: names and MACs; ssh: client and server). */
  id: string;
  /** Zeek log path; documents have event.dataset `zeek.<path>`. */
  path: string;
  kind: FactKind;
  /** ES field holding the IP of the device the fact is about (e.g. 'source.ip', 'destination.ip', 'host.ip', or a zeek.<path>.<field> of type addr). */
  deviceField: string;
  /** Extra ES query clauses (bool filter) selecting the records that carry the fact, e.g. BACnet `i-am` only. Optional. */
  filter?: Array<Record<string, unknown>>;
  /** ES fields (keyword/ip/numeric) to key the composite aggregation on, besides deviceField. Keep it small. */
  fields: string[];
  /** Turns one bucket's key values (by ES field name; null when missing) into the fact, or undefined when the values carry nothing usable. */
  read(values: FactValues): FactValue | undefined;
  /**
   * The device's address when it is not simply the value of `deviceField`: a reverse-DNS name to decode, or a log
   * without direction where the server is told by its port. Use `deviceOf`, which also rejects unusable addresses.
   */
  device?(values: FactValues): string | undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading values

/** A keyword value as text: trimmed, without Zeek's unset and empty markers; undefined when nothing is left. */
function text(values: FactValues, field: string): string | undefined {
  const v = values[field];
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t.length === 0 || t === '-' || t === '(empty)' ? undefined : t;
}

function count(values: FactValues, field: string): number | undefined {
  const v = values[field];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** Drops the keys whose value is undefined, so that facts compare equal however they were built. */
function defined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

function identity(protocol: string, fields: Omit<OtIdentity, keyof Seen | 'protocol'>): FactValue | undefined {
  const id = defined({ protocol, ...fields });
  return Object.keys(id).length > 1 ? { kind: 'identity', identity: id } : undefined;
}

/**
 * An address that can name a device: a plain IPv4 or IPv6 address that is not unspecified (`0.0.0.0`, a DNS
 * sinkhole answer), loopback (the sensor's own traffic), multicast or the limited broadcast.
 */
export function deviceAddress(value: unknown): string | undefined {
  if (typeof value !== 'string' || isIP(value) === 0) return undefined;
  let parsed = ipaddr.parse(value);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  return range === 'unspecified' || range === 'loopback' || range === 'multicast' || range === 'broadcast' ? undefined : value;
}

/** The address a bucket's fact is about, or undefined when it has none usable. */
export function deviceOf(source: FactSource, values: FactValues): string | undefined {
  return deviceAddress(source.device !== undefined ? source.device(values) : values[source.deviceField]);
}

/** Names that say nothing: placeholders tools send, and the machine's name for itself. */
const PLACEHOLDER_NAMES = new Set(['-', '(empty)', 'null', '(null)', 'none', 'unknown', 'localhost', 'localhost.localdomain', 'workstation']);

/**
 * A host name as the inventory keeps it: trimmed, without trailing dots, lower-case. Undefined for placeholders,
 * IP literals, reverse-DNS names, wildcards (`*SMBSERVER`) and text with control characters or escaped bytes.
 */
export function normalizeHostName(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  let name = raw.trim();
  while (name.endsWith('.')) name = name.slice(0, -1);
  name = name.toLowerCase();
  if (name.length === 0 || name.length > 253 || PLACEHOLDER_NAMES.has(name)) return undefined;
  if (/[\x00-\x1f\x7f*]|\\x[0-9a-f]{2}/.test(name)) return undefined;
  if (isIP(name) !== 0 || isIP(name.replace(/^\[|\]$/g, '')) !== 0) return undefined;
  if (name.endsWith('.arpa')) return undefined;
  return name;
}

function hostname(raw: unknown): FactValue | undefined {
  const name = normalizeHostName(raw);
  return name === undefined ? undefined : { kind: 'hostname', name };
}

function software(type: string, name: string | undefined, version?: string): FactValue | undefined {
  return name === undefined ? undefined : { kind: 'software', software: defined({ type, name, version }) };
}

/** A MAC that names one device, in ECS spelling; group (multicast, broadcast) and all-zero addresses do not. */
function mac(raw: unknown): FactValue | undefined {
  if (typeof raw !== 'string') return undefined;
  const ecs = normalizeMac(raw);
  if (ecs === undefined || isGroupMac(ecs) || ecs === '00-00-00-00-00-00') return undefined;
  return { kind: 'mac', mac: ecs };
}

/**
 * A version the way Zeek's software framework writes one (`software_fmt_version`): `major.minor.minor2.minor3`,
 * then `-addl`. With no number, the additional text alone (Zeek would print a `0` there).
 */
export function zeekVersion(numbers: Array<number | undefined>, addl: string | undefined): string | undefined {
  const parts: string[] = [];
  for (const n of numbers) {
    if (n === undefined) break;
    parts.push(String(n));
  }
  if (parts.length === 0) return addl;
  return addl === undefined ? parts.join('.') : `${parts.join('.')}-${addl}`;
}

/**
 * An SSH identification string (`SSH-2.0-OpenSSH_7.4p1 Raspbian-10+deb9u3`) as software: the name before the
 * version, and the version split as Zeek's software framework splits it (`7.4-p1`), so that the same server read
 * from `ssh` and from `software` gives the same fact. Comments after the space (distribution patch level) are
 * dropped, as Zeek drops them.
 */
export function sshSoftware(banner: string): { name: string; version?: string } | undefined {
  const m = /^SSH-\d+(?:\.\d+)?-(\S+)/.exec(banner.trim());
  if (m === null) return undefined;
  const product = m[1];
  const v = /^(.*?)[_/-]v?(\d+(?:\.\d+){0,3})(.*)$/.exec(product);
  if (v === null || v[1].length === 0) return { name: product };
  const numbers = v[2].split('.').map(Number);
  const addl = v[3].replace(/^[-._ ]+/, '');
  return { name: v[1], version: zeekVersion(numbers, addl.length > 0 ? addl : undefined) };
}

/** The address a reverse-DNS name stands for (`111.0.0.10.in-addr.arpa`, 32 nibbles under `ip6.arpa`). */
export function reverseDnsAddress(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const lower = name.trim().toLowerCase().replace(/\.$/, '');
  let m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(lower);
  if (m !== null) {
    const octets = [m[4], m[3], m[2], m[1]].map(Number);
    return octets.every((o) => o <= 255) ? octets.join('.') : undefined;
  }
  m = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(lower);
  if (m === null) return undefined;
  const nibbles = m[1].split('.').filter((n) => n.length > 0).reverse();
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(nibbles.slice(i, i + 4).join(''));
  return ipaddr.IPv6.parse(groups.join(':')).toRFC5952String();
}

/**
 * The server of a connection that logs no message direction: the endpoint on the lower port (the service's
 * well-known or configured port; the client's is ephemeral). Undefined when the ports tie or are unknown.
 */
function lowerPortEndpoint(values: FactValues, prefix: string): string | undefined {
  const origP = count(values, `${prefix}.id.orig_p`);
  const respP = count(values, `${prefix}.id.resp_p`);
  if (origP === undefined || respP === undefined || origP === respP) return undefined;
  const address = values[origP < respP ? `${prefix}.id.orig_h` : `${prefix}.id.resp_h`];
  return typeof address === 'string' ? address : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// OT identities

const CIP = 'zeek.cip_identity';
const S7 = 'zeek.s7comm_known_devices';
const BACNET = 'zeek.bacnet_discovery';
const MODBUS_ID = 'zeek.modbus_read_device_identification';
const HART = 'zeek.hart_ip_universal_commands';
const HART_ID = `${HART}.read_unique_identifier_response`;
const OPCUA = 'zeek.opcua_binary_get_endpoints_description';
const PMU = 'zeek.synchrophasor_cfg_detail';

/** OPC UA `ApplicationType`. */
const OPCUA_APPLICATION_TYPES = ['Server', 'Client', 'ClientAndServer', 'DiscoveryServer'];

/** Zeek writes HART text fields with their NUL padding escaped. */
function hartText(values: FactValues, field: string): string | undefined {
  const t = text(values, field);
  if (t === undefined) return undefined;
  const stripped = t.replace(/(?:\\x00|\x00)+$/, '').trim();
  return stripped.length === 0 ? undefined : stripped;
}

const identitySources: FactSource[] = [
  {
    // A List Identity response: the device answering is the message's source (icsnpp's source_h, which the
    // normalizer writes as source.ip). `socket_address` is the address the device reports for itself, which NAT
    // or a second interface can make differ from the one that answered; the one seen on the wire is kept.
    id: 'cip_identity',
    path: 'cip_identity',
    kind: 'identity',
    deviceField: 'source.ip',
    fields: [`${CIP}.vendor_name`, `${CIP}.product_name`, `${CIP}.device_type_name`, `${CIP}.revision`, `${CIP}.serial_number`, `${CIP}.product_code`],
    read: (v) => {
      const code = count(v, `${CIP}.product_code`);
      return identity('cip', {
        vendor: text(v, `${CIP}.vendor_name`),
        // CIP's product name is the catalogue number (`1756-ENBT/A`); the product code is the vendor's number for it.
        product: text(v, `${CIP}.product_name`),
        model: code === undefined ? undefined : String(code),
        firmware: text(v, `${CIP}.revision`),
        serial: text(v, `${CIP}.serial_number`),
        deviceType: text(v, `${CIP}.device_type_name`),
      });
    },
  },
  {
    // Built from the S7 server's SZL 0x001C answers. The connection's responder is the S7 server (ISO-TSAP port
    // 102) whatever the record's direction columns say; this log leaves them unset.
    id: 's7comm_known_devices',
    path: 's7comm_known_devices',
    kind: 'identity',
    deviceField: `${S7}.id.resp_h`,
    fields: [`${S7}.automation_system_name`, `${S7}.module_name`, `${S7}.plant_name`, `${S7}.module_serial`],
    read: (v) =>
      identity('s7comm', {
        // STEP 7 names a module after its type unless the engineer renamed it.
        product: text(v, `${S7}.module_name`),
        serial: text(v, `${S7}.module_serial`),
        name: text(v, `${S7}.automation_system_name`) ?? text(v, `${S7}.plant_name`),
      }),
  },
  {
    // An I-Am is sent by the device itself. A BACnet router answers for every device behind it, so one address
    // can carry many device instances.
    id: 'bacnet_discovery',
    path: 'bacnet_discovery',
    kind: 'identity',
    deviceField: 'source.ip',
    filter: [{ term: { [`${BACNET}.pdu_service`]: 'i-am' } }],
    fields: [`${BACNET}.vendor`, `${BACNET}.object_name`, `${BACNET}.instance_number`],
    read: (v) => {
      const instance = count(v, `${BACNET}.instance_number`);
      return identity('bacnet', {
        vendor: text(v, `${BACNET}.vendor`),
        name: text(v, `${BACNET}.object_name`) ?? (instance === undefined ? undefined : `device ${instance}`),
      });
    },
  },
  {
    // One record per object of a Read Device Identification response (MEI 0x0E), so one bucket gives one
    // attribute: the pass merges the partial identities of an address by protocol. Object names are those of
    // icsnpp-modbus (`MajorMinorVersion`; the Modbus specification says `MajorMinorRevision`).
    id: 'modbus_read_device_identification',
    path: 'modbus_read_device_identification',
    kind: 'identity',
    deviceField: 'source.ip',
    filter: [{ term: { [`${MODBUS_ID}.request_response`]: 'RESPONSE' } }],
    fields: [`${MODBUS_ID}.object_id`, `${MODBUS_ID}.object_value`],
    read: (v) => {
      const value = text(v, `${MODBUS_ID}.object_value`);
      if (value === undefined) return undefined;
      switch (text(v, `${MODBUS_ID}.object_id`)) {
        case 'VendorName':
          return identity('modbus', { vendor: value });
        case 'ProductCode':
        case 'ModelName':
          return identity('modbus', { model: value });
        case 'MajorMinorVersion':
        case 'MajorMinorRevision':
          return identity('modbus', { firmware: value });
        case 'ProductName':
          return identity('modbus', { product: value });
        case 'UserApplicationName':
          return identity('modbus', { name: value });
        default:
          return undefined;
      }
    },
  },
  {
    // Command 0 (Read Unique Identifier). The log has no direction columns and Zeek's originator is not always
    // the client (a gateway answering over UDP from another port opens a flow of its own): the device is the
    // endpoint on the lower port. A gateway answers for the field devices behind it too.
    id: 'hart_ip_universal_commands',
    path: 'hart_ip_universal_commands',
    kind: 'identity',
    deviceField: `${HART}.id.resp_h`,
    fields: [
      `${HART}.id.orig_h`,
      `${HART}.id.orig_p`,
      `${HART}.id.resp_p`,
      `${HART_ID}_manufacturer_identification_code`,
      `${HART_ID}_expanded_device_type`,
      `${HART_ID}_device_id`,
      `${HART_ID}_software_revision_level`,
      `${HART_ID}_device_profile`,
    ],
    device: (v) => lowerPortEndpoint(v, HART),
    read: (v) => {
      const deviceId = count(v, `${HART_ID}_device_id`);
      const revision = count(v, `${HART_ID}_software_revision_level`);
      return identity('hart_ip', {
        vendor: text(v, `${HART_ID}_manufacturer_identification_code`),
        model: text(v, `${HART_ID}_expanded_device_type`),
        firmware: revision === undefined ? undefined : String(revision),
        // The HART device ID is unique per manufacturer and device type: a serial number.
        serial: deviceId === undefined ? undefined : String(deviceId),
        deviceType: text(v, `${HART_ID}_device_profile`),
      });
    },
  },
  {
    // Command 20 (Read Long Tag): the name the plant gave the device.
    id: 'hart_ip_long_tag',
    path: 'hart_ip_universal_commands',
    kind: 'identity',
    deviceField: `${HART}.id.resp_h`,
    fields: [`${HART}.id.orig_h`, `${HART}.id.orig_p`, `${HART}.id.resp_p`, `${HART}.read_long_tag_response_long_tag`],
    device: (v) => lowerPortEndpoint(v, HART),
    read: (v) => identity('hart_ip', { name: hartText(v, `${HART}.read_long_tag_response_long_tag`) }),
  },
  {
    // A GetEndpoints response describes the server that sends it.
    id: 'opcua_binary_get_endpoints_description',
    path: 'opcua_binary_get_endpoints_description',
    kind: 'identity',
    deviceField: 'source.ip',
    filter: [{ term: { [`${OPCUA}.is_orig`]: false } }],
    fields: [`${OPCUA}.text`, `${OPCUA}.product_uri`, `${OPCUA}.application_uri`, `${OPCUA}.application_type`],
    read: (v) => {
      const type = count(v, `${OPCUA}.application_type`);
      return identity('opcua', {
        // ApplicationName, ProductUri (names the product for every installation), ApplicationUri (this instance).
        product: text(v, `${OPCUA}.text`),
        model: text(v, `${OPCUA}.product_uri`),
        name: text(v, `${OPCUA}.application_uri`),
        deviceType: type === undefined ? undefined : OPCUA_APPLICATION_TYPES[type],
      });
    },
  },
  {
    // A configuration frame comes from the PMU (or PDC) the client connected to: the connection's responder, also
    // over UDP where the PMU listens on a port of its own. A PDC relays several PMUs, each with a station name.
    id: 'synchrophasor_cfg_detail',
    path: 'synchrophasor_cfg_detail',
    kind: 'identity',
    deviceField: `${PMU}.id.resp_h`,
    fields: [`${PMU}.station_name`],
    read: (v) => identity('synchrophasor', { name: text(v, `${PMU}.station_name`) }),
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Host names

/** `\\SERVER\share` -> `SERVER`. */
function uncHost(path: string | undefined): string | undefined {
  const m = path === undefined ? null : /^\\\\([^\\]+)\\/.exec(path);
  return m === null ? undefined : m[1];
}

/** `HOST$/REALM` (Zeek's `name/realm`) or `HOST$@REALM`: a machine account, named after its computer. */
function machineAccount(client: string | undefined): string | undefined {
  if (client === undefined) return undefined;
  const cut = Math.max(client.lastIndexOf('/'), client.lastIndexOf('@'));
  const name = cut < 0 ? client : client.slice(0, cut);
  return name.length > 1 && name.endsWith('$') && !/[/@]/.test(name) ? name.slice(0, -1) : undefined;
}

const DHCP = 'zeek.dhcp';

const hostnameSources: FactSource[] = [
  {
    // The lease's client: a client reporting the address it holds (INFORM, renewal) writes it as client_addr,
    // which the normalizer makes source.ip. The FQDN option is preferred to the bare host name.
    id: 'dhcp.client_addr.hostname',
    path: 'dhcp',
    kind: 'hostname',
    deviceField: 'source.ip',
    fields: [`${DHCP}.host_name`, `${DHCP}.client_fqdn`],
    read: (v) => hostname(text(v, `${DHCP}.client_fqdn`)) ?? hostname(text(v, `${DHCP}.host_name`)),
  },
  {
    // The address the server assigned in its ACK.
    id: 'dhcp.assigned_addr.hostname',
    path: 'dhcp',
    kind: 'hostname',
    deviceField: `${DHCP}.assigned_addr`,
    fields: [`${DHCP}.host_name`, `${DHCP}.client_fqdn`],
    read: (v) => hostname(text(v, `${DHCP}.client_fqdn`)) ?? hostname(text(v, `${DHCP}.host_name`)),
  },
  {
    // The client's NetBIOS name from its NTLM AUTHENTICATE message. Attack tools send placeholders (`NULL`,
    // `WORKSTATION`), which the name check drops.
    id: 'ntlm.client.hostname',
    path: 'ntlm',
    kind: 'hostname',
    deviceField: 'source.ip',
    fields: ['zeek.ntlm.hostname'],
    read: (v) => hostname(text(v, 'zeek.ntlm.hostname')),
  },
  {
    // The server names itself in its CHALLENGE: the DNS name when it has one, else the NetBIOS name.
    id: 'ntlm.server.hostname',
    path: 'ntlm',
    kind: 'hostname',
    deviceField: 'destination.ip',
    fields: ['zeek.ntlm.server_dns_computer_name', 'zeek.ntlm.server_nb_computer_name'],
    read: (v) => hostname(text(v, 'zeek.ntlm.server_dns_computer_name')) ?? hostname(text(v, 'zeek.ntlm.server_nb_computer_name')),
  },
  {
    // A computer authenticates to the KDC with its machine account `NAME$`. (Group managed service accounts end in
    // `$` too; they are rare, and name the service rather than the host.) User principals are dropped by `read`
    // rather than by a wildcard query, which clusters that refuse expensive queries would not run.
    id: 'kerberos.client.hostname',
    path: 'kerberos',
    kind: 'hostname',
    deviceField: 'source.ip',
    fields: ['zeek.kerberos.client'],
    read: (v) => hostname(machineAccount(text(v, 'zeek.kerberos.client'))),
  },
  {
    // The client names itself in the RDP Client Core Data.
    id: 'rdp.client.hostname',
    path: 'rdp',
    kind: 'hostname',
    deviceField: 'source.ip',
    fields: ['zeek.rdp.client_name'],
    read: (v) => hostname(text(v, 'zeek.rdp.client_name')),
  },
  {
    // A tree connect to `\\NAME\share` that the server at the destination accepted: it answers to that name.
    // Paths naming the server by address carry no name.
    id: 'smb_mapping.server.hostname',
    path: 'smb_mapping',
    kind: 'hostname',
    deviceField: 'destination.ip',
    fields: ['zeek.smb_mapping.path'],
    read: (v) => hostname(uncHost(text(v, 'zeek.smb_mapping.path'))),
  },
  {
    // A forward lookup's name, keyed with each address it resolved to (through CNAMEs: the name asked for is
    // kept). Lookups of the internet give names to outside addresses too; the pass keeps the monitored ones.
    id: 'dns.a.hostname',
    path: 'dns',
    kind: 'hostname',
    deviceField: 'dns.resolved_ip',
    filter: [{ terms: { 'dns.question.type': ['A', 'AAAA'] } }, { term: { 'dns.response_code': 'NOERROR' } }],
    fields: ['dns.question.name'],
    read: (v) => hostname(text(v, 'dns.question.name')),
  },
  {
    // A reverse lookup: the device is the address the question encodes, its name each PTR answer.
    id: 'dns.ptr.hostname',
    path: 'dns',
    kind: 'hostname',
    deviceField: 'dns.question.name',
    filter: [{ term: { 'dns.question.type': 'PTR' } }, { term: { 'dns.response_code': 'NOERROR' } }],
    fields: ['dns.answers.data'],
    device: (v) => reverseDnsAddress(v['dns.question.name']),
    read: (v) => hostname(text(v, 'dns.answers.data')),
  },
];

// ---------------------------------------------------------------------------------------------------------------
// MAC addresses

const macSources: FactSource[] = [
  {
    // The lease's client hardware address (`chaddr`), beside the address the client holds.
    id: 'dhcp.client_addr.mac',
    path: 'dhcp',
    kind: 'mac',
    deviceField: 'source.ip',
    fields: ['source.mac'],
    read: (v) => mac(v['source.mac']),
  },
  {
    id: 'dhcp.assigned_addr.mac',
    path: 'dhcp',
    kind: 'mac',
    deviceField: `${DHCP}.assigned_addr`,
    fields: ['source.mac'],
    read: (v) => mac(v['source.mac']),
  },
  // `conn` has L2 addresses when Zeek loads policy/protocols/conn/mac-logging. They are those of the last hop: for
  // an address beyond a router, the router's MAC. A MAC the pass sees beside many addresses is a router's and
  // belongs to none of them.
  {
    id: 'conn.source.mac',
    path: 'conn',
    kind: 'mac',
    deviceField: 'source.ip',
    filter: [{ exists: { field: 'source.mac' } }],
    fields: ['source.mac'],
    read: (v) => mac(v['source.mac']),
  },
  {
    id: 'conn.destination.mac',
    path: 'conn',
    kind: 'mac',
    deviceField: 'destination.ip',
    filter: [{ exists: { field: 'destination.mac' } }],
    fields: ['destination.mac'],
    read: (v) => mac(v['destination.mac']),
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Software

const SW = 'zeek.software';

const softwareSources: FactSource[] = [
  {
    // Zeek's software framework: host is the one running it (the browser's client, the server's server).
    id: 'software',
    path: 'software',
    kind: 'software',
    deviceField: 'host.ip',
    fields: [
      `${SW}.software_type`,
      `${SW}.name`,
      `${SW}.version.major`,
      `${SW}.version.minor`,
      `${SW}.version.minor2`,
      `${SW}.version.minor3`,
      `${SW}.version.addl`,
    ],
    read: (v) => {
      const type = text(v, `${SW}.software_type`);
      const numbers = ['major', 'minor', 'minor2', 'minor3'].map((p) => count(v, `${SW}.version.${p}`));
      return type === undefined ? undefined : software(type, text(v, `${SW}.name`), zeekVersion(numbers, text(v, `${SW}.version.addl`)));
    },
  },
  {
    // A service the host offers: the protocol Zeek recognised, and where (`tcp/502`). A port with no recognised
    // service is no software; the pass has the ports a host serves from conn.
    id: 'known_services',
    path: 'known_services',
    kind: 'software',
    deviceField: 'destination.ip',
    fields: ['zeek.known_services.service', 'zeek.known_services.port_num', 'zeek.known_services.port_proto'],
    read: (v) => {
      const service = text(v, 'zeek.known_services.service');
      const port = count(v, 'zeek.known_services.port_num');
      const transport = text(v, 'zeek.known_services.port_proto');
      if (service === undefined || port === undefined) return undefined;
      return software(service.toLowerCase(), transport === undefined ? String(port) : `${transport}/${port}`);
    },
  },
  {
    id: 'ssh.server.software',
    path: 'ssh',
    kind: 'software',
    deviceField: 'destination.ip',
    fields: ['zeek.ssh.server'],
    read: (v) => {
      const sw = sshSoftware(text(v, 'zeek.ssh.server') ?? '');
      return sw === undefined ? undefined : software('SSH::SERVER', sw.name, sw.version);
    },
  },
  {
    id: 'ssh.client.software',
    path: 'ssh',
    kind: 'software',
    deviceField: 'source.ip',
    fields: ['zeek.ssh.client'],
    read: (v) => {
      const sw = sshSoftware(text(v, 'zeek.ssh.client') ?? '');
      return sw === undefined ? undefined : software('SSH::CLIENT', sw.name, sw.version);
    },
  },
  {
    // Zeek names the client's RDP version from its build number (`RDP 8.1`): a hint at its Windows release.
    id: 'rdp.client.software',
    path: 'rdp',
    kind: 'software',
    deviceField: 'source.ip',
    fields: ['zeek.rdp.client_build'],
    read: (v) => {
      const build = text(v, 'zeek.rdp.client_build');
      if (build === undefined) return undefined;
      const m = /^RDP\s+(\S+)$/.exec(build);
      return m === null ? software('RDP::CLIENT', build) : software('RDP::CLIENT', 'RDP', m[1]);
    },
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Declared roles

const declaredSources: FactSource[] = [
  {
    // Zeek's modbus policy script: `Known::MODBUS_MASTER` or `Known::MODBUS_SLAVE` (the enum's module prefix is
    // written too).
    id: 'known_modbus',
    path: 'known_modbus',
    kind: 'declared_role',
    deviceField: 'host.ip',
    fields: ['zeek.known_modbus.device_type'],
    read: (v) => {
      const m = /(?:^|::)MODBUS_(MASTER|SLAVE)$/.exec(text(v, 'zeek.known_modbus.device_type') ?? '');
      return m === null ? undefined : { kind: 'declared_role', protocol: 'modbus', role: m[1].toLowerCase() };
    },
  },
];

/**
 * Every fact source. Left out on purpose: `known_hosts` (an address and nothing else: conn already says a device
 * was seen), `profinet_io_cm` (DCE/RPC headers only), `ecat_dev_info` (EtherCAT has no IP address), `http`
 * (Zeek's http log has no Server header; the software log carries it as `HTTP::SERVER`), and SMB operating
 * systems, which no Zeek SMB log writes.
 */
export const FACT_SOURCES: readonly FactSource[] = Object.freeze([
  ...identitySources,
  ...hostnameSources,
  ...macSources,
  ...softwareSources,
  ...declaredSources,
]);

// ---------------------------------------------------------------------------------------------------------------
// The query side

/** The bool filter clauses selecting a source's documents. */
export function factQuery(source: FactSource): Array<Record<string, unknown>> {
  return [{ term: { 'event.dataset': `zeek.${source.path}` } }, ...(source.filter ?? [])];
}

/**
 * Composite aggregation sources: `device` on deviceField (a document without it has no fact), then `f0`, `f1`,
 * ... on `fields`, with missing buckets so that a document lacking one of them still counts.
 */
export function compositeSources(source: FactSource): Array<Record<string, unknown>> {
  return [
    { device: { terms: { field: source.deviceField } } },
    ...source.fields.map((field, i) => ({ [`f${i}`]: { terms: { field, missing_bucket: true } } })),
  ];
}

/** A bucket key of `compositeSources` back to values by field name, as `read` and `deviceOf` take them. */
export function keyValues(source: FactSource, key: Readonly<Record<string, unknown>>): FactValues {
  const out: Record<string, string | number | boolean | null> = {};
  const scalar = (v: unknown) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null);
  out[source.deviceField] = scalar(key.device);
  source.fields.forEach((field, i) => (out[field] = scalar(key[`f${i}`])));
  return out;
}
