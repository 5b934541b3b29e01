/** Logs of protocols that authenticate someone: who (ECS `user.*`) and whether it worked (`event.outcome`). */
import type { EcsDocument } from '../context';
import { part, setOutcome, type LogMapper } from '../mapper';
import { relateHost, relateIp, relateUser } from '../related';
import { bool, str, type ZeekFields } from '../values';
import { NETWORK_AUTHENTICATION, PROTOCOL_INFO } from './categories';

function setUser(doc: EcsDocument, name: string | undefined, domain?: string): void {
  if (name === undefined) return;
  const user = part(doc, 'user');
  user.name = name;
  if (domain !== undefined) user.domain = domain;
  relateUser(doc, name);
}

function mapSsh(f: ZeekFields, doc: EcsDocument): void {
  setOutcome(doc, bool(f.auth_success));
}

function mapNtlm(f: ZeekFields, doc: EcsDocument): void {
  setUser(doc, str(f.username), str(f.domainname));
  setOutcome(doc, bool(f.success));
  const server = str(f.server_dns_computer_name);
  if (server !== undefined) part(doc, 'destination').domain = server;
  relateHost(doc, str(f.hostname));
  relateHost(doc, str(f.server_nb_computer_name));
  relateHost(doc, server);
}

/** Zeek writes a Kerberos principal as `name/realm` (the name may itself hold `/`, as in `host/fqdn`). */
function mapKerberos(f: ZeekFields, doc: EcsDocument): void {
  const client = str(f.client);
  if (client !== undefined) {
    const slash = client.lastIndexOf('/');
    const name = slash < 0 ? client : client.slice(0, slash);
    const realm = slash < 0 ? undefined : client.slice(slash + 1);
    setUser(doc, name.length > 0 ? name : undefined, realm !== undefined && realm.length > 0 ? realm : undefined);
  }
  setOutcome(doc, bool(f.success));
  const error = str(f.error_msg);
  if (error !== undefined) doc.error = { message: error };
}

function mapRadius(f: ZeekFields, doc: EcsDocument): void {
  setUser(doc, str(f.username));
  const result = str(f.result);
  if (result === 'success') setOutcome(doc, true);
  else if (result === 'failed') setOutcome(doc, false);
}

/** The RDP cookie (`mstshash`) carries the user name the client offers. */
function mapRdp(f: ZeekFields, doc: EcsDocument): void {
  setUser(doc, str(f.cookie));
  relateHost(doc, str(f.client_name));
}

function mapSocks(f: ZeekFields, doc: EcsDocument): void {
  setUser(doc, str(f.user));
  relateHost(doc, str(f['request.name']));
  relateIp(doc, str(f['request.host']));
  relateIp(doc, str(f['bound.host']));
}

const auth = { category: NETWORK_AUTHENTICATION, type: PROTOCOL_INFO };

export const authenticationMappers: Record<string, LogMapper> = {
  ssh: { ...auth, protocol: 'ssh', transport: 'tcp', map: mapSsh },
  // NTLM is carried by TCP protocols only (SMB, HTTP, DCE/RPC, ...).
  ntlm: { ...auth, transport: 'tcp', map: mapNtlm },
  kerberos: { ...auth, protocol: 'kerberos', map: mapKerberos },
  radius: { ...auth, protocol: 'radius', transport: 'udp', map: mapRadius },
  rdp: { ...auth, protocol: 'rdp', transport: 'tcp', map: mapRdp },
  socks: { ...auth, protocol: 'socks', transport: 'tcp', map: mapSocks },
};
