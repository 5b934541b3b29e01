/**
 * `files`: one record per file Zeek saw in transit (HTTP, SMTP, SMB, FTP, ...), with its hashes. Newer Zeek
 * versions name the connection (`uid`, `id.*`, `is_orig` for the sending side); older ones list the hosts that
 * sent and received it (`tx_hosts`, `rx_hosts`), which then give the source and destination.
 */
import type { EcsDocument } from '../context';
import { hasAny, part, type LogMapper } from '../mapper';
import { relateIp } from '../related';
import { firstString, ip, num, str, type ZeekFields } from '../values';
import { FILE, INFO } from './categories';

function mapFiles(f: ZeekFields, doc: EcsDocument): void {
  const file: Record<string, unknown> = {};
  const name = str(f.filename);
  if (name !== undefined) file.name = name;
  const mime = str(f.mime_type);
  if (mime !== undefined) file.mime_type = mime;
  const size = num(f.total_bytes) ?? num(f.seen_bytes);
  if (size !== undefined) file.size = size;
  const md5 = str(f.md5);
  const sha1 = str(f.sha1);
  const sha256 = str(f.sha256);
  if (md5 !== undefined || sha1 !== undefined || sha256 !== undefined) {
    const hash: Record<string, unknown> = {};
    if (md5 !== undefined) hash.md5 = md5;
    if (sha1 !== undefined) hash.sha1 = sha1;
    if (sha256 !== undefined) hash.sha256 = sha256;
    file.hash = hash;
  }
  if (hasAny(file)) doc.file = file;

  const source = str(f.source);
  if (source !== undefined) part(doc, 'network').protocol = source.toLowerCase();

  if (doc.source === undefined && doc.destination === undefined) {
    const tx = ip(firstString(f.tx_hosts));
    const rx = ip(firstString(f.rx_hosts));
    if (tx !== undefined) doc.source = { ip: tx };
    if (rx !== undefined) doc.destination = { ip: rx };
  }
  for (const list of [f.tx_hosts, f.rx_hosts]) {
    if (!Array.isArray(list)) continue;
    for (const host of list) if (typeof host === 'string') relateIp(doc, host);
  }
}

export const filesMappers: Record<string, LogMapper> = {
  files: { category: FILE, type: INFO, map: mapFiles },
  pe: { category: FILE, type: INFO },
};
