/** Application protocols whose logs need little beyond the common fields: the protocol, what was done, outcome. */
import type { EcsDocument } from '../context';
import { part, setOutcome, type LogMapper } from '../mapper';
import { relateHost, relateUser } from '../related';
import { bool, str, type ZeekFields } from '../values';
import { CONNECTION, INFO, NETWORK, PROTOCOL } from './categories';

function mapSyslog(f: ZeekFields, doc: EcsDocument): void {
  const facility = str(f.facility);
  const severity = str(f.severity);
  if (facility !== undefined || severity !== undefined) {
    const syslog = part(part(doc, 'log'), 'syslog');
    if (facility !== undefined) syslog.facility = { name: facility };
    if (severity !== undefined) syslog.severity = { name: severity };
  }
  const message = str(f.message);
  if (message !== undefined) doc.message = message;
}

function mapSuccess(f: ZeekFields, doc: EcsDocument): void {
  setOutcome(doc, bool(f.success));
}

function mapLdap(f: ZeekFields, doc: EcsDocument): void {
  const result = str(f.result);
  if (result !== undefined) setOutcome(doc, result === 'success');
}

function mapRfb(f: ZeekFields, doc: EcsDocument): void {
  setOutcome(doc, bool(f.auth));
}

function mapIrc(f: ZeekFields, doc: EcsDocument): void {
  const user = str(f.user);
  if (user !== undefined) doc.user = { name: user };
  relateUser(doc, user);
  relateUser(doc, str(f.nick));
}

function mapSip(f: ZeekFields, doc: EcsDocument): void {
  const agent = str(f.user_agent);
  if (agent !== undefined) doc.user_agent = { original: agent };
}

function mapQuic(f: ZeekFields, doc: EcsDocument): void {
  const sni = str(f.server_name);
  if (sni === undefined) return;
  doc.tls = { client: { server_name: sni } };
  relateHost(doc, sni);
}

const protocol = { category: NETWORK, type: PROTOCOL };

export const protocolMappers: Record<string, LogMapper> = {
  syslog: { ...protocol, protocol: 'syslog', map: mapSyslog },
  snmp: { ...protocol, protocol: 'snmp', transport: 'udp' },
  ntp: { ...protocol, protocol: 'ntp', transport: 'udp' },
  ntp_control: { ...protocol, protocol: 'ntp', transport: 'udp' },
  ntp_private: { ...protocol, protocol: 'ntp', transport: 'udp' },
  // LDAP also runs over UDP (CLDAP): no transport is assumed.
  ldap: { ...protocol, protocol: 'ldap', action: 'opcode', map: mapLdap },
  ldap_search: { ...protocol, protocol: 'ldap', map: mapLdap },
  mysql: { ...protocol, protocol: 'mysql', transport: 'tcp', action: 'cmd', map: mapSuccess },
  redis: { ...protocol, protocol: 'redis', transport: 'tcp', action: 'cmd.name', map: mapSuccess },
  irc: { ...protocol, protocol: 'irc', transport: 'tcp', action: 'command', map: mapIrc },
  sip: { ...protocol, protocol: 'sip', action: 'method', map: mapSip },
  rfb: { ...protocol, protocol: 'rfb', transport: 'tcp', map: mapRfb },
  mqtt_connect: { ...protocol, protocol: 'mqtt', transport: 'tcp' },
  mqtt_publish: { ...protocol, protocol: 'mqtt', transport: 'tcp' },
  mqtt_subscribe: { ...protocol, protocol: 'mqtt', transport: 'tcp', action: 'action' },
  quic: { ...protocol, protocol: 'quic', transport: 'udp', map: mapQuic },
  tunnel: { category: NETWORK, type: CONNECTION, action: 'action' },
  netcontrol: { category: NETWORK, type: INFO, action: 'cmd' },
  netcontrol_catch_release: { category: NETWORK, type: INFO, action: 'action' },
  netcontrol_drop: { category: NETWORK, type: INFO },
  netcontrol_shunt: { category: NETWORK, type: INFO },
  openflow: { category: NETWORK, type: INFO },
  multicast_participants: { category: NETWORK, type: INFO },
};
