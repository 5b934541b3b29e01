/**
 * Test support: the corpus's real DNS and connection logs, parsed with the real Zeek parser and grouped the way the
 * DNS model's composite sweeps deliver them (per client and window, rows in key order), so the model's pure parts
 * can be run on real traffic without Elasticsearch.
 */
import { join } from 'node:path';
import { readZeekFile } from '../../../ingest/parse/zeek/read-file';
import { LABELED_CORPUS, ZEEK_CORPUS } from '../../../test/support/corpus';
import type { LookupRow } from './failures';
import { ClientLookups, type ClientWindow } from './lookups';

const STRATOSPHERE = join(LABELED_CORPUS, 'stratosphere-security-datasets');
/** Simda botnet, six minutes: one Windows host asking over IPv6 (fd77:…:e8be) and IPv4 (192.168.1.116). */
export const SIMDA = join(STRATOSPHERE, '005-zeek-scenario-malicious');
export const SIMDA_DNS = join(SIMDA, 'dns.log');
export const SIMDA_CONN = join(SIMDA, 'conn.log');
export const SIMDA_V6 = 'fd77:48a1:c0bb:0:b96c:506d:6c7f:e8be';
export const SIMDA_V4 = '192.168.1.116';
/** Kovter, one day of a small LAN (no conn.log); the infected host is 192.168.1.113 (labels.config). */
export const KOVTER_DNS = join(STRATOSPHERE, '009-zeek-malicious/data/dns.log.labeled');
export const KOVTER_HOST = '192.168.1.113';
/** WRCCDC 2018: 21 minutes of ordinary lookups of 77 hosts (no conn.log in this copy). */
export const ZED_DNS = join(ZEEK_CORPUS, 'zed-sample-data/zeek-default/dns.log.gz');

export const WINDOW_MS = 15 * 60_000;
const NAME_SERVICE_PORTS = new Set([137, 5353, 5355]);

/** A dns.log record in the ECS terms the model reads. */
export interface DnsEvent {
  time: number;
  client: string;
  port: number;
  name?: string;
  qtype?: string;
  rcode?: string;
  answers: string[];
}

export function dnsEvents(file: string): DnsEvent[] {
  return readZeekFile(file).map((r) => {
    const f = r.fields;
    return {
      time: (f.ts as number) * 1000,
      client: f['id.orig_h'] as string,
      port: f['id.resp_p'] as number,
      name: typeof f.query === 'string' ? f.query : undefined,
      qtype: typeof f.qtype_name === 'string' ? f.qtype_name : undefined,
      rcode: typeof f.rcode_name === 'string' ? f.rcode_name : undefined,
      answers: Array.isArray(f.answers) ? f.answers.filter((a): a is string => typeof a === 'string') : [],
    };
  });
}

/** Lookups the model reads: resolver lookups with a name (the multicast name services are left out). */
export function resolverLookups(events: DnsEvent[]): DnsEvent[] {
  return events.filter((e) => e.name !== undefined && !NAME_SERVICE_PORTS.has(e.port));
}

function compareKey(a: string | undefined, b: string | undefined): number {
  // Composite order: missing values first, then by value.
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

/** The lookup sweep's rows of one client's events: one per (name, type, code), in key order. */
export function lookupRows(events: DnsEvent[]): LookupRow[] {
  const rows = new Map<string, LookupRow>();
  for (const e of events) {
    const key = JSON.stringify([e.name, e.qtype ?? null, e.rcode ?? null]);
    const row = rows.get(key);
    if (row) {
      row.docs++;
      row.first = Math.min(row.first, e.time);
    } else rows.set(key, { name: e.name!, qtype: e.qtype, rcode: e.rcode, docs: 1, first: e.time });
  }
  return [...rows.values()].sort((a, b) => compareKey(a.name, b.name) || compareKey(a.qtype, b.qtype) || compareKey(a.rcode, b.rcode));
}

/** Every client's window of a DNS log, through `ClientLookups`, keyed `window start|client`. */
export function clientWindows(file: string): Map<string, ClientWindow> {
  const groups = new Map<string, DnsEvent[]>();
  for (const e of resolverLookups(dnsEvents(file))) {
    const key = `${Math.floor(e.time / WINDOW_MS) * WINDOW_MS}|${e.client}`;
    const list = groups.get(key);
    if (list) list.push(e);
    else groups.set(key, [e]);
  }
  const out = new Map<string, ClientWindow>();
  for (const [key, events] of [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const lookups = new ClientLookups(events[0].client);
    for (const row of lookupRows(events)) lookups.add(row);
    out.set(key, lookups.finish());
  }
  return out;
}

/** conn.log as (originator, responder) pairs. */
export function connPairs(file: string): Array<{ client: string; peer: string; port: number }> {
  return readZeekFile(file).map((r) => ({ client: r.fields['id.orig_h'] as string, peer: r.fields['id.resp_h'] as string, port: r.fields['id.resp_p'] as number }));
}
