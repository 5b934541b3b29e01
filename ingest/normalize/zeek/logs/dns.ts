/** `dns`: one record per query and its answer, mapped to ECS `dns.*`. */
import type { EcsDocument } from '../context';
import { values, type LogMapper } from '../mapper';
import { relateHost, relateValidIp } from '../related';
import { isIp, num, str, type ZeekFields } from '../values';
import { NETWORK, PROTOCOL } from './categories';

const FLAG_NAMES = ['AA', 'TC', 'RD', 'RA'] as const;
/** The 16 possible `dns.header_flags` arrays, built once: index bit i set when FLAG_NAMES[i] is. */
const FLAG_SETS: readonly (readonly string[])[] = Array.from({ length: 16 }, (_, mask) =>
  values(...FLAG_NAMES.filter((_, i) => (mask & (1 << i)) !== 0)),
);

function mapDns(f: ZeekFields, doc: EcsDocument): void {
  const dns: Record<string, unknown> = {};
  const rcodeName = str(f.rcode_name);
  const answers = f.answers;
  const hasAnswer = rcodeName !== undefined || (Array.isArray(answers) && answers.length > 0);
  dns.type = hasAnswer ? 'answer' : 'query';
  const id = num(f.trans_id);
  if (id !== undefined) dns.id = String(id);
  const opcode = str(f.opcode_name);
  if (opcode !== undefined) dns.op_code = opcode;

  const name = str(f.query);
  const type = str(f.qtype_name);
  const qclass = str(f.qclass_name);
  if (name !== undefined || type !== undefined || qclass !== undefined) {
    const question: Record<string, unknown> = {};
    if (name !== undefined) question.name = name;
    if (type !== undefined) question.type = type;
    if (qclass !== undefined) question.class = qclass;
    dns.question = question;
    relateHost(doc, name);
  }
  if (rcodeName !== undefined) dns.response_code = rcodeName;

  let mask = 0;
  if (f.AA === true) mask |= 1;
  if (f.TC === true) mask |= 2;
  if (f.RD === true) mask |= 4;
  if (f.RA === true) mask |= 8;
  if (mask !== 0) dns.header_flags = FLAG_SETS[mask];

  if (Array.isArray(answers) && answers.length > 0) {
    const ttls = Array.isArray(f.TTLs) ? f.TTLs : undefined;
    const out: Record<string, unknown>[] = [];
    let resolved: string[] | undefined;
    for (let i = 0; i < answers.length; i++) {
      const data = answers[i];
      if (typeof data !== 'string') continue;
      const ttl = ttls?.[i];
      out.push(typeof ttl === 'number' ? { data, ttl: Math.round(ttl) } : { data });
      if (isIp(data)) {
        (resolved ??= []).push(data);
        relateValidIp(doc, data);
      }
    }
    dns.answers = out;
    if (resolved !== undefined) dns.resolved_ip = resolved;
  }
  doc.dns = dns;
}

export const dnsMappers: Record<string, LogMapper> = {
  dns: { category: NETWORK, type: PROTOCOL, protocol: 'dns', map: mapDns },
};
