/** Windows file sharing and RPC: `smb_files`, `smb_mapping`, `smb_cmd`, `dce_rpc`. All run over TCP. */
import type { EcsDocument } from '../context';
import { hasAny, type LogMapper } from '../mapper';
import { relateUser } from '../related';
import { isoTime, num, str, type ZeekFields } from '../values';
import { NETWORK, NETWORK_FILE, PROTOCOL, PROTOCOL_INFO } from './categories';

/** ECS file time fields from Zeek's SMB `times.*`. */
const FILE_TIMES: readonly (readonly [string, string])[] = [
  ['times.created', 'created'],
  ['times.modified', 'mtime'],
  ['times.accessed', 'accessed'],
  ['times.changed', 'ctime'],
];

function mapSmbFiles(f: ZeekFields, doc: EcsDocument): void {
  const file: Record<string, unknown> = {};
  const name = str(f.name);
  if (name !== undefined) file.name = name;
  // `path` is the share (`\\server\share`), `name` the file within it.
  const share = str(f.path);
  if (name !== undefined) file.path = share === undefined ? name : `${share}\\${name}`;
  const size = num(f.size);
  if (size !== undefined) file.size = size;
  for (const [zeek, ecs] of FILE_TIMES) {
    const iso = isoTime(f[zeek]);
    if (iso !== undefined) file[ecs] = iso;
  }
  if (hasAny(file)) doc.file = file;
}

function mapSmbCmd(f: ZeekFields, doc: EcsDocument): void {
  const user = str(f.username);
  if (user === undefined) return;
  doc.user = { name: user };
  relateUser(doc, user);
}

const smb = { protocol: 'smb', transport: 'tcp' as const };

export const smbMappers: Record<string, LogMapper> = {
  smb_files: { ...smb, category: NETWORK_FILE, type: PROTOCOL_INFO, action: 'action', map: mapSmbFiles },
  smb_mapping: { ...smb, category: NETWORK, type: PROTOCOL },
  smb_cmd: { ...smb, category: NETWORK, type: PROTOCOL, action: 'command', map: mapSmbCmd },
  dce_rpc: { category: NETWORK, type: PROTOCOL, protocol: 'dce_rpc', transport: 'tcp', action: 'operation' },
};
