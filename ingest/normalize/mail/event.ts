import { isIP } from 'node:net';
import type { LineHeader, MailEvent, Peer } from '../../parse/mail/types';

/**
 * One mail log line as an ECS event document. The raw line is kept in `event.original` (stored, not indexed: the
 * evidence), the message part in `message` (searchable text), and what the parser understood in ECS fields
 * (`source` is the SMTP client, `destination` the next hop of a delivery, `email.*`, `user.name`) and under
 * `vigil.mail` for what ECS has no field for. A line no parser knows is an event too (`event.dataset: mail.raw`).
 */

export interface MailEventContext {
  ingested: string;
  sensor?: string;
  /** Where the line came from: a file and the line's byte offset, or the syslog sender's address. */
  filePath?: string;
  offset?: number;
  syslogPeer?: string;
}

export function mailEventDocument(raw: string, header: LineHeader, event: MailEvent | undefined, ctx: MailEventContext): Record<string, unknown> {
  const doc: Record<string, unknown> = { '@timestamp': new Date(header.timestamp).toISOString() };
  const mail: Record<string, unknown> = {};
  if (event) {
    doc.event = {
      kind: 'event',
      module: event.mta,
      dataset: `mail.${event.mta}`,
      action: event.action,
      category: event.category,
      type: eventTypes(event),
      ...(event.outcome ? { outcome: event.outcome } : {}),
      ingested: ctx.ingested,
      original: raw,
    };
  } else {
    doc.event = { kind: 'event', module: 'mail', dataset: 'mail.raw', action: 'other', category: ['email'], type: ['info'], ingested: ctx.ingested, original: raw };
  }
  doc.message = header.message;
  if (header.host) doc.host = { name: header.host };
  if (header.program) doc.process = { name: header.program, ...(header.pid !== undefined ? { pid: header.pid } : {}) };
  else if (header.pid !== undefined) doc.process = { pid: header.pid };
  const log: Record<string, unknown> = {};
  if (ctx.filePath !== undefined) log.file = { path: ctx.filePath };
  if (ctx.offset !== undefined) log.offset = ctx.offset;
  if (header.facility !== undefined || header.severity !== undefined) {
    log.syslog = {
      ...(header.facility !== undefined ? { facility: { code: header.facility } } : {}),
      ...(header.severity !== undefined ? { severity: { code: header.severity } } : {}),
    };
  }
  if (Object.keys(log).length > 0) doc.log = log;
  if (ctx.sensor) doc.observer = { name: ctx.sensor };
  mail.time_format = header.timeFormat;
  if (ctx.syslogPeer) mail.syslog_peer = ctx.syslogPeer;
  if (event) addEventFields(doc, mail, event);
  doc.vigil = { mail };
  return doc;
}

function addEventFields(doc: Record<string, unknown>, mail: Record<string, unknown>, e: MailEvent): void {
  const related = new Related();
  mail.mta = e.mta;
  if (e.daemon) mail.daemon = e.daemon;
  if (e.instance) mail.instance = e.instance;
  const source = endpoint(e.client);
  if (source) {
    doc.source = source;
    related.peer(e.client);
  }
  const destination = e.relay && isNetworkPeer(e.relay) ? endpoint(e.relay) : undefined;
  if (destination) {
    doc.destination = destination;
    related.peer(e.relay);
  }
  const email: Record<string, unknown> = {};
  if (e.queueId && e.queueId !== 'NOQUEUE') email.local_id = e.queueId;
  if (e.messageId) email.message_id = e.messageId;
  if (e.from !== undefined) email.from = { address: [e.from] };
  if (e.to !== undefined) email.to = { address: [e.to] };
  if (e.subject !== undefined) email.subject = e.subject;
  if (Object.keys(email).length > 0) doc.email = email;
  if (e.auth?.user) {
    doc.user = { name: e.auth.user };
    related.user(e.auth.user);
  }
  if (e.tls?.version || e.tls?.cipher) doc.tls = { ...(e.tls.version ? { version: e.tls.version } : {}), ...(e.tls.cipher ? { cipher: e.tls.cipher } : {}) };
  if (e.helo) {
    mail.helo = e.helo;
    related.host(e.helo);
  }
  if (e.protocol) mail.protocol = e.protocol;
  if (e.origTo !== undefined) mail.orig_to = e.origTo;
  if (e.relay?.host) mail.relay = { host: e.relay.host };
  if (e.delay !== undefined) mail.delay = e.delay;
  if (e.delays) mail.delays = delaysDocument(e.delays);
  if (e.dsn) mail.dsn = e.dsn;
  if (e.status) mail.status = e.status;
  if (e.statusText) mail.status_text = e.statusText;
  if (e.size !== undefined) mail.size = e.size;
  if (e.recipientCount !== undefined) mail.recipient_count = e.recipientCount;
  if (e.reject) mail.reject = rejectDocument(e.reject);
  if (e.auth?.method) mail.auth = { method: e.auth.method };
  if (e.tls && (e.tls.bits !== undefined || e.tls.trust || e.tls.peer)) {
    mail.tls = { ...(e.tls.bits !== undefined ? { bits: e.tls.bits } : {}), ...(e.tls.trust ? { trust: e.tls.trust } : {}), ...(e.tls.peer ? { peer: e.tls.peer } : {}) };
  }
  if (e.milter) mail.milter = { name: e.milter.name, ...(e.milter.result ? { result: e.milter.result } : {}), ...(e.milter.domain ? { domain: e.milter.domain } : {}) };
  if (e.commands) mail.commands = e.commands;
  if (e.nextQueueId) mail.next_queue_id = e.nextQueueId;
  if (e.extra) mail.extra = e.extra;
  const rel = related.document();
  if (rel) doc.related = rel;
}

export function delaysDocument(d: NonNullable<MailEvent['delays']>): Record<string, number> {
  return {
    before_queue_manager: d.beforeQueueManager,
    in_queue_manager: d.inQueueManager,
    connection_setup: d.connectionSetup,
    transmission: d.transmission,
  };
}

export function rejectDocument(r: NonNullable<MailEvent['reject']>): Record<string, unknown> {
  return {
    ...(r.code !== undefined ? { code: r.code } : {}),
    ...(r.dsn ? { dsn: r.dsn } : {}),
    text: r.text,
    ...(r.stage ? { stage: r.stage } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
  };
}

/** ECS `event.type` from what happened. */
function eventTypes(e: MailEvent): string[] {
  switch (e.action) {
    case 'connect':
      return ['connection', 'start'];
    case 'disconnect':
      return ['connection', 'end'];
    case 'reject':
      return ['denied'];
    case 'auth-failure':
    case 'auth-success':
      return ['start'];
    default:
      return ['info'];
  }
}

/** `relay=none`, `local`, `virtual`, `private/dovecot-lmtp`: named transports, not hosts on the network. */
export function isNetworkPeer(p: Peer): boolean {
  return (p.ip !== undefined && isIP(p.ip) !== 0) || (p.host !== undefined && p.host.includes('.') && !p.host.includes('/'));
}

/** An ECS endpoint (`source`, `destination`) from a peer: the IP when it is one, the name as `domain`. */
export function endpoint(p: Peer | undefined): Record<string, unknown> | undefined {
  if (!p) return undefined;
  const out: Record<string, unknown> = {};
  // A parser's guess that is not an address would cost the whole document at indexing; it stays in the message.
  if (p.ip && isIP(p.ip)) out.ip = p.ip;
  if (p.host && p.host !== 'unknown' && p.host !== p.ip) out.domain = p.host;
  if (p.port !== undefined) out.port = p.port;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `related.*`: each value once. */
export class Related {
  private readonly ips = new Set<string>();
  private readonly hosts = new Set<string>();
  private readonly users = new Set<string>();

  peer(p: Peer | undefined): void {
    if (!p) return;
    if (p.ip && isIP(p.ip)) this.ips.add(p.ip);
    if (p.host && p.host !== 'unknown' && p.host !== p.ip && isNetworkPeer({ host: p.host })) this.hosts.add(p.host);
  }

  host(name: string): void {
    // A HELO of `[192.0.2.1]` or a bare address names no host.
    if (name && !name.startsWith('[') && !isIP(name)) this.hosts.add(name);
  }

  user(name: string): void {
    if (name) this.users.add(name);
  }

  document(): Record<string, string[]> | undefined {
    const out: Record<string, string[]> = {};
    if (this.ips.size) out.ip = [...this.ips];
    if (this.hosts.size) out.hosts = [...this.hosts];
    if (this.users.size) out.user = [...this.users];
    return Object.keys(out).length > 0 ? out : undefined;
  }
}
