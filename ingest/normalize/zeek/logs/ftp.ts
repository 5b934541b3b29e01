/** `ftp`: one record per command and its reply; the data channel's addresses are related to it. */
import type { EcsDocument } from '../context';
import { part, setOutcome, type LogMapper } from '../mapper';
import { relateIp, relateUser } from '../related';
import { num, str, type ZeekFields } from '../values';
import { NETWORK, PROTOCOL } from './categories';

function mapFtp(f: ZeekFields, doc: EcsDocument): void {
  const user = str(f.user);
  if (user !== undefined) {
    doc.user = { name: user };
    relateUser(doc, user);
  }
  // Reply codes 1xx-3xx accept the command, 4xx and 5xx refuse it.
  const reply = num(f.reply_code);
  if (reply !== undefined && reply >= 100 && reply < 600) setOutcome(doc, reply < 400);
  const mime = str(f.mime_type);
  const size = num(f.file_size);
  if (mime !== undefined || size !== undefined) {
    const file = part(doc, 'file');
    if (mime !== undefined) file.mime_type = mime;
    if (size !== undefined) file.size = size;
  }
  relateIp(doc, str(f['data_channel.orig_h']));
  relateIp(doc, str(f['data_channel.resp_h']));
}

export const ftpMappers: Record<string, LogMapper> = {
  ftp: { category: NETWORK, type: PROTOCOL, protocol: 'ftp', transport: 'tcp', action: 'command', map: mapFtp },
};
