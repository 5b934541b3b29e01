/** What Zeek itself flags: `notice` (alerts from its detection scripts), `weird` (protocol anomalies), `intel`. */
import type { EcsDocument } from '../context';
import type { LogMapper } from '../mapper';
import { relateIp } from '../related';
import { ip, num, str, type ZeekFields } from '../values';
import { INDICATOR, INFO, INTRUSION_DETECTION, NETWORK, THREAT } from './categories';

function mapNotice(f: ZeekFields, doc: EcsDocument): void {
  const note = str(f.note);
  if (note !== undefined) {
    // `SSL::Invalid_Server_Cert`: the module before `::` is the category of the detection.
    const sep = note.indexOf('::');
    doc.rule = sep > 0 ? { name: note, category: note.slice(0, sep) } : { name: note };
  }
  const msg = str(f.msg);
  if (msg !== undefined) doc.message = msg;
  const mime = str(f.file_mime_type);
  if (mime !== undefined) doc.file = { mime_type: mime };
  // Notices raised outside a connection name the parties in src/dst/p.
  const src = ip(f.src);
  const dst = ip(f.dst);
  if (doc.source === undefined && src !== undefined) doc.source = { ip: src };
  if (doc.destination === undefined && dst !== undefined) {
    const port = num(f.p);
    doc.destination = port === undefined ? { ip: dst } : { ip: dst, port };
  }
  relateIp(doc, src);
  relateIp(doc, dst);
}

function mapWeird(f: ZeekFields, doc: EcsDocument): void {
  const name = str(f.name);
  if (name === undefined) return;
  doc.rule = { name };
  const addl = str(f.addl);
  doc.message = addl === undefined ? name : `${name}: ${addl}`;
}

function mapIntel(f: ZeekFields, doc: EcsDocument): void {
  const indicator = str(f['seen.indicator']);
  if (indicator !== undefined) doc.message = `Intelligence match: ${indicator}`;
}

export const noticeMappers: Record<string, LogMapper> = {
  notice: { kind: 'alert', category: INTRUSION_DETECTION, type: INFO, map: mapNotice },
  weird: { category: NETWORK, type: INFO, map: mapWeird },
  intel: { kind: 'alert', category: THREAT, type: INDICATOR, map: mapIntel },
};
