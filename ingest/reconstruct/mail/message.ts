import { createHash } from 'node:crypto';
import type { DeliveryStatus, LineHeader, MailEvent, Mta, Peer, SmtpReply } from '../../parse/mail/types';
import { delaysDocument, endpoint, Related, rejectDocument } from '../../normalize/mail/event';
import { intern, own, ownOptional, ownPeer } from './own';

/**
 * One message as its lines tell it: the state the reconstruction keeps in memory, and the document written for it.
 * The document holds the whole state (`fromDocument` is the inverse of `toDocument`), so a restarted worker picks
 * up the messages still open from Elasticsearch and goes on where it was.
 */

export type MessageState = 'open' | 'closed' | 'expired' | 'timeout';

export interface Recipient {
  address: string;
  origTo?: string;
  status: DeliveryStatus;
  dsn?: string;
  statusText?: string;
  relay?: Peer;
  delay?: number;
  delays?: MailEvent['delays'];
  attempts: number;
  firstAttempt: number;
  lastAttempt: number;
}

export interface RejectRecord extends SmtpReply {
  at: number;
  stage?: string;
  reason?: string;
  to?: string;
}

export interface Message {
  /** host, MTA and queue id: the lines of one message share it. */
  key: string;
  /** Document id: the key and the time of the first line, so a queue id used again later is another message. */
  id: string;
  host?: string;
  mta: Mta;
  instance?: string;
  queueId: string;
  firstSeen: number;
  lastSeen: number;
  state: MessageState;
  /** Built from lines that came after the message's state was lost (evicted, or closed long before). */
  fragment: boolean;
  messageId?: string;
  from?: string;
  subject?: string;
  size?: number;
  recipientCount?: number;
  client?: Peer;
  helo?: string;
  protocol?: string;
  authMethod?: string;
  authUser?: string;
  tls?: MailEvent['tls'];
  recipients: Recipient[];
  /** Absent until there is one: most messages have none, and 100k open messages each with empty arrays add up. */
  rejects?: RejectRecord[];
  milters?: Array<{ name: string; result?: string; domain?: string }>;
  bounceNotices?: string[];
  /** Ids of the event documents of this message's lines (the first `MAX_EVENT_LINKS`), and how many there were. */
  /** One string, each id followed by a space: far smaller than an array of strings, for 100k open messages. */
  events: string;
  eventsTotal: number;
}

/** Links kept per message: enough for any ordinary message; a mass mailing keeps its first lines and the count. */
export const MAX_EVENT_LINKS = 256;
const MAX_REJECTS = 64;
const MAX_MILTERS = 32;

export function messageKey(host: string | undefined, mta: Mta, queueId: string): string {
  return own(keyText(host, mta, queueId));
}

/** The key's text: `expandMessage` splits it back into host, MTA and queue id. */
function keyText(host: string | undefined, mta: Mta, queueId: string): string {
  return `${host ?? ''}\u0000${mta}\u0000${queueId}`;
}

export function newMessage(key: string, header: LineHeader, event: MailEvent & { queueId: string }, fragment: boolean): Message {
  const id = messageDocumentId(key, header.timestamp);
  // Every field present from the start, in the order `fromDocument` writes them: all messages then share one
  // hidden class with the fields in the object itself, which for 100k open messages saves tens of megabytes.
  return {
    key,
    id,
    host: intern(header.host),
    mta: event.mta,
    instance: intern(event.instance),
    queueId: own(event.queueId),
    firstSeen: header.timestamp,
    lastSeen: header.timestamp,
    state: 'open',
    fragment,
    messageId: undefined,
    from: undefined,
    subject: undefined,
    size: undefined,
    recipientCount: undefined,
    client: undefined,
    helo: undefined,
    protocol: undefined,
    authMethod: undefined,
    authUser: undefined,
    tls: undefined,
    recipients: [],
    rejects: undefined,
    milters: undefined,
    bounceNotices: undefined,
    events: '',
    eventsTotal: 0,
  };
}

/**
 * Folds one line into its message. Returns false when the line was folded in before (its event id is among the
 * message's links: a replay after a restart), so applying a line twice changes nothing.
 */
export function applyEvent(m: Message, header: LineHeader, e: MailEvent, eventId: string): boolean {
  if (!linkEvent(m, eventId)) return false;
  const at = header.timestamp;
  if (at > m.lastSeen) m.lastSeen = at;
  if (at < m.firstSeen) m.firstSeen = at;
  // The queue manager owns the queue: its instance is the message's (`postfix/submission/smtpd` shares `postfix`'s).
  if (e.instance && (!m.instance || e.daemon === 'qmgr')) m.instance = intern(e.instance);
  if (e.messageId) m.messageId = own(e.messageId);
  if (e.subject !== undefined) m.subject = own(e.subject);
  if (e.size !== undefined) m.size = e.size;
  if (e.recipientCount !== undefined) m.recipientCount = e.recipientCount;
  if (e.client && (e.action === 'client' || e.action === 'queued')) m.client = ownPeer(e.client);
  if (e.helo) m.helo ??= intern(e.helo);
  if (e.protocol && (e.action === 'client' || e.action === 'queued')) m.protocol = intern(e.protocol);
  if (e.auth?.user && e.outcome !== 'failure') m.authUser = own(e.auth.user);
  if (e.auth?.method && e.outcome !== 'failure') m.authMethod = intern(e.auth.method);
  if (e.tls && (e.action === 'queued' || e.action === 'client')) m.tls = { ...e.tls, version: ownOptional(e.tls.version), cipher: ownOptional(e.tls.cipher), trust: ownOptional(e.tls.trust), peer: ownOptional(e.tls.peer) };
  switch (e.action) {
    case 'queued':
    case 'client':
      if (e.from !== undefined) m.from = own(e.from);
      break;
    case 'delivery':
      if (e.to !== undefined) deliver(m, at, e);
      break;
    case 'reject':
      if (e.reject) addReject(m, { ...e.reject, at, ...(e.to !== undefined ? { to: e.to } : {}) });
      if (e.to !== undefined) markRejected(m, e.to, at, e);
      if (e.from !== undefined && m.from === undefined) m.from = own(e.from);
      break;
    case 'expired':
      for (const r of m.recipients) if (r.status === 'deferred') r.status = 'expired';
      if (m.state === 'open') m.state = 'expired';
      break;
    case 'removed':
      m.state = 'closed';
      break;
    case 'bounce-notice':
      if (e.nextQueueId && !m.bounceNotices?.includes(e.nextQueueId)) (m.bounceNotices ??= []).push(own(e.nextQueueId));
      break;
    case 'milter':
      if (e.milter && (m.milters?.length ?? 0) < MAX_MILTERS) (m.milters ??= []).push({ name: own(e.milter.name), result: ownOptional(e.milter.result), domain: ownOptional(e.milter.domain) });
      break;
    default:
      if (e.from !== undefined && m.from === undefined) m.from = own(e.from);
  }
  if (m.mta === 'sendmail' && allDelivered(m)) m.state = 'closed';
  return true;
}

/** Links the line's event; false when it was linked before (the line is read again). */
function linkEvent(m: Message, eventId: string): boolean {
  const ids = eventIds(m);
  if (ids.includes(eventId)) return false;
  if (m.eventsTotal < MAX_EVENT_LINKS) {
    ids.push(eventId);
    // Copied into one flat string: appending alone would chain the pieces and keep each one alive.
    m.events = own(encodeEventIds(ids));
  }
  m.eventsTotal++;
  return true;
}

export function eventIds(m: Message): string[] {
  return decodeEventIds(m.events);
}

/**
 * The ids of a message's line events, kept while it is open as one string. An id is `<file key>.<offset>`, and the
 * lines of one message nearly always come from one file, so an id that shares the file key of the one before is
 * written as `.<offset>` alone: about a third of an open message's memory otherwise.
 */
export function encodeEventIds(ids: readonly string[]): string {
  let out = '';
  let prefix = '';
  for (const id of ids) {
    const dot = id.lastIndexOf('.');
    const head = dot > 0 ? id.slice(0, dot + 1) : '';
    out += head !== '' && head === prefix ? `${id.slice(dot)} ` : `${id} `;
    prefix = head;
  }
  return out;
}

export function decodeEventIds(encoded: string): string[] {
  if (encoded === '') return [];
  const out: string[] = [];
  let prefix = '';
  for (const token of encoded.slice(0, -1).split(' ')) {
    if (token.startsWith('.') && prefix !== '') {
      out.push(prefix + token.slice(1));
      continue;
    }
    out.push(token);
    const dot = token.lastIndexOf('.');
    prefix = dot > 0 ? token.slice(0, dot + 1) : '';
  }
  return out;
}

/** Rejections an SMTP session logged before the message had a queue id (Postfix `NOQUEUE: reject`). */
export function adoptRejects(m: Message, rejects: ReadonlyArray<{ at: number; event: MailEvent; eventId: string }>): void {
  for (const { at, event, eventId } of rejects) {
    if (m.from !== undefined && event.from !== undefined && event.from !== m.from) continue;
    if (!linkEvent(m, eventId)) continue;
    if (event.reject) addReject(m, { ...event.reject, at, ...(event.to !== undefined ? { to: event.to } : {}) });
    if (event.to !== undefined) markRejected(m, event.to, at, event);
  }
}

function addReject(m: Message, r: RejectRecord): void {
  if ((m.rejects?.length ?? 0) >= MAX_REJECTS) return;
  (m.rejects ??= []).push({
    at: r.at,
    ...(r.code !== undefined ? { code: r.code } : {}),
    ...(r.dsn !== undefined ? { dsn: own(r.dsn) } : {}),
    text: own(r.text),
    ...(r.stage !== undefined ? { stage: own(r.stage) } : {}),
    ...(r.reason !== undefined ? { reason: own(r.reason) } : {}),
    ...(r.to !== undefined ? { to: own(r.to) } : {}),
  });
}

function markRejected(m: Message, to: string, at: number, e: MailEvent): void {
  const existing = m.recipients.find((r) => r.address === to);
  // A recipient accepted once (it has a delivery) is not turned into a rejected one by a later duplicate RCPT.
  if (existing && existing.status !== 'rejected') return;
  if (existing) {
    existing.attempts++;
    existing.lastAttempt = at;
    return;
  }
  m.recipients.push({
    address: own(to),
    status: 'rejected',
    ...(e.reject?.dsn ? { dsn: e.reject.dsn } : {}),
    ...(e.reject ? { statusText: own(e.reject.text) } : {}),
    attempts: 1,
    firstAttempt: at,
    lastAttempt: at,
  });
}

function deliver(m: Message, at: number, e: MailEvent): void {
  const address = own(e.to!);
  let r = m.recipients.find((x) => x.address === address && (e.origTo === undefined || x.origTo === undefined || x.origTo === e.origTo));
  if (!r) {
    // All fields present from the start, as for messages: one hidden class for every recipient.
    r = { address, origTo: undefined, status: e.status ?? 'sent', dsn: undefined, statusText: undefined, relay: undefined, delay: undefined, delays: undefined, attempts: 0, firstAttempt: at, lastAttempt: at };
    m.recipients.push(r);
  }
  r.attempts++;
  if (at < r.firstAttempt) r.firstAttempt = at;
  // Lines may come out of order across rotated files: the latest attempt decides the outcome.
  if (at >= r.lastAttempt || r.attempts === 1) {
    r.lastAttempt = Math.max(r.lastAttempt, at);
    if (e.status) r.status = e.status;
    if (e.origTo !== undefined) r.origTo = own(e.origTo);
    if (e.dsn) r.dsn = own(e.dsn);
    if (e.statusText !== undefined) r.statusText = own(e.statusText);
    if (e.relay) r.relay = ownPeer(e.relay);
    if (e.delay !== undefined) r.delay = e.delay;
    if (e.delays) r.delays = e.delays;
  }
}

const FINAL: ReadonlySet<DeliveryStatus> = new Set(['sent', 'bounced', 'expired', 'discarded', 'failed', 'rejected']);

/** Sendmail writes no "removed": a message is done when every announced recipient has a final outcome. */
function allDelivered(m: Message): boolean {
  const delivered = m.recipients.filter((r) => r.status !== 'rejected');
  if (delivered.length === 0 || !delivered.every((r) => FINAL.has(r.status))) return false;
  return m.recipientCount === undefined || delivered.length >= m.recipientCount;
}

/** Whether the message waits for retries: it then stays open as long as the MTA keeps retrying. */
export function isDeferred(m: Message): boolean {
  return m.recipients.some((r) => r.status === 'deferred');
}

/** The message's outcome in one word, for dashboards: what happened to its recipients. */
export function messageStatus(m: Message): string {
  const rs = m.recipients;
  if (rs.length === 0) return m.rejects?.length ? 'rejected' : m.state === 'open' ? 'in_progress' : 'unknown';
  let sent = 0;
  let failed = 0;
  let deferred = 0;
  for (const r of rs) {
    if (r.status === 'sent' || r.status === 'deliverable') sent++;
    else if (r.status === 'deferred') deferred++;
    else failed++;
  }
  if (deferred > 0) return sent > 0 || failed > 0 ? 'partially_deferred' : 'deferred';
  if (failed === 0) return 'delivered';
  if (sent === 0) return rs.every((r) => r.status === 'rejected') ? 'rejected' : 'bounced';
  return 'partially_delivered';
}

export function toDocument(m: Message, ctx: { ingested: string; sensor?: string }): Record<string, unknown> {
  const related = new Related();
  related.peer(m.client);
  if (m.helo) related.host(m.helo);
  if (m.authUser) related.user(m.authUser);
  for (const r of m.recipients) related.peer(r.relay);
  const status = messageStatus(m);
  const doc: Record<string, unknown> = {
    '@timestamp': new Date(m.firstSeen).toISOString(),
    event: {
      kind: 'event',
      module: m.mta,
      dataset: 'mail.message',
      action: 'message',
      category: ['email'],
      type: ['info'],
      outcome: status === 'delivered' ? 'success' : status === 'in_progress' || status === 'unknown' || status.endsWith('deferred') ? 'unknown' : 'failure',
      start: new Date(m.firstSeen).toISOString(),
      ...(m.state !== 'open' ? { end: new Date(m.lastSeen).toISOString() } : {}),
      ingested: ctx.ingested,
    },
  };
  if (m.host) doc.host = { name: m.host };
  if (ctx.sensor) doc.observer = { name: ctx.sensor };
  const source = endpoint(m.client);
  if (source) doc.source = source;
  const email: Record<string, unknown> = { local_id: m.queueId };
  if (m.messageId) email.message_id = m.messageId;
  if (m.from !== undefined) email.from = { address: [m.from] };
  if (m.recipients.length > 0) email.to = { address: m.recipients.map((r) => r.address) };
  if (m.subject !== undefined) email.subject = m.subject;
  doc.email = email;
  if (m.authUser) doc.user = { name: m.authUser };
  if (m.tls?.version || m.tls?.cipher) doc.tls = { ...(m.tls.version ? { version: m.tls.version } : {}), ...(m.tls.cipher ? { cipher: m.tls.cipher } : {}) };
  const rel = related.document();
  if (rel) doc.related = rel;
  doc.vigil = {
    mail: {
      key: m.key,
      mta: m.mta,
      ...(m.instance ? { instance: m.instance } : {}),
      state: m.state,
      status,
      first_seen: new Date(m.firstSeen).toISOString(),
      last_seen: new Date(m.lastSeen).toISOString(),
      ...(m.fragment ? { fragment: true } : {}),
      ...(m.helo ? { helo: m.helo } : {}),
      ...(m.protocol ? { protocol: m.protocol } : {}),
      ...(m.size !== undefined ? { size: m.size } : {}),
      ...(m.recipientCount !== undefined ? { recipient_count: m.recipientCount } : {}),
      ...(m.authMethod ? { auth: { method: m.authMethod } } : {}),
      ...(m.tls && (m.tls.bits !== undefined || m.tls.trust || m.tls.peer) ? { tls: { bits: m.tls.bits, trust: m.tls.trust, peer: m.tls.peer } } : {}),
      recipients: m.recipients.map(recipientDocument),
      rejects: (m.rejects ?? []).map((r) => ({ ...rejectDocument(r), at: new Date(r.at).toISOString(), ...(r.to !== undefined ? { to: r.to } : {}) })),
      milters: m.milters ?? [],
      bounce_notices: m.bounceNotices ?? [],
      events: eventIds(m),
      events_total: m.eventsTotal,
    },
  };
  return doc;
}

function recipientDocument(r: Recipient): Record<string, unknown> {
  return {
    address: r.address,
    ...(r.origTo !== undefined ? { orig_to: r.origTo } : {}),
    status: r.status,
    ...(r.dsn ? { dsn: r.dsn } : {}),
    ...(r.statusText !== undefined ? { status_text: r.statusText } : {}),
    ...(r.relay ? { relay: relayDocument(r.relay) } : {}),
    ...(r.delay !== undefined ? { delay: r.delay } : {}),
    ...(r.delays ? { delays: delaysDocument(r.delays) } : {}),
    attempts: r.attempts,
    first_attempt: new Date(r.firstAttempt).toISOString(),
    last_attempt: new Date(r.lastAttempt).toISOString(),
  };
}

/** The relay as written (`domain` keeps `none`, `local`, `private/dovecot-lmtp`), its address and port. */
function relayDocument(p: Peer): Record<string, unknown> {
  return { ...(p.host !== undefined ? { domain: p.host } : {}), ...(p.ip !== undefined ? { ip: p.ip } : {}), ...(p.port !== undefined ? { port: p.port } : {}) };
}

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ms = (iso: unknown): number => (typeof iso === 'string' ? Date.parse(iso) : NaN);

/** The state a document was written from; undefined when it is not a message document this version can read. */
export function fromDocument(id: string, doc: Doc): Message | undefined {
  const mail = doc?.vigil?.mail as Doc | undefined;
  if (!mail || typeof mail.key !== 'string' || typeof doc.email?.local_id !== 'string') return undefined;
  const firstSeen = ms(mail.first_seen);
  const lastSeen = ms(mail.last_seen);
  if (Number.isNaN(firstSeen) || Number.isNaN(lastSeen)) return undefined;
  const peerOf = (e: Doc | undefined): Peer | undefined =>
    e ? { ...(e.domain !== undefined ? { host: e.domain } : {}), ...(e.ip !== undefined ? { ip: e.ip } : {}), ...(e.port !== undefined ? { port: e.port } : {}) } : undefined;
  const delaysOf = (d: Doc | undefined): MailEvent['delays'] =>
    d ? { beforeQueueManager: d.before_queue_manager, inQueueManager: d.in_queue_manager, connectionSetup: d.connection_setup, transmission: d.transmission } : undefined;
  return {
    key: mail.key,
    id,
    host: doc.host?.name,
    mta: mail.mta,
    instance: mail.instance,
    queueId: doc.email.local_id,
    firstSeen,
    lastSeen,
    state: mail.state,
    fragment: mail.fragment === true,
    messageId: doc.email.message_id,
    from: doc.email.from?.address?.[0],
    subject: doc.email.subject,
    size: mail.size,
    recipientCount: mail.recipient_count,
    client: peerOf(doc.source),
    helo: mail.helo,
    protocol: mail.protocol,
    authMethod: mail.auth?.method,
    authUser: doc.user?.name,
    tls: doc.tls || mail.tls ? { version: doc.tls?.version, cipher: doc.tls?.cipher, bits: mail.tls?.bits, trust: mail.tls?.trust, peer: mail.tls?.peer } : undefined,
    recipients: ((mail.recipients ?? []) as Doc[]).map((r) => ({
      address: r.address,
      origTo: r.orig_to,
      status: r.status,
      dsn: r.dsn,
      statusText: r.status_text,
      relay: r.relay ? peerOf(r.relay) : undefined,
      delay: r.delay,
      delays: delaysOf(r.delays),
      attempts: r.attempts,
      firstAttempt: ms(r.first_attempt),
      lastAttempt: ms(r.last_attempt),
    })),
    rejects: mail.rejects?.length ? (mail.rejects as Doc[]).map((r) => ({ code: r.code, dsn: r.dsn, text: r.text, stage: r.stage, reason: r.reason, to: r.to, at: ms(r.at) })) : undefined,
    milters: mail.milters?.length ? mail.milters : undefined,
    bounceNotices: mail.bounce_notices?.length ? mail.bounce_notices : undefined,
    events: encodeEventIds((mail.events ?? []) as string[]),
    eventsTotal: mail.events_total ?? 0,
  };
}

/** The document id of the message with this key whose first line is dated `firstSeen`. */
export function messageDocumentId(key: string, firstSeen: number): string {
  return own(createHash('sha256').update(`${key}\u0000${firstSeen}`).digest('base64url').slice(0, 27));
}

const STATES: readonly MessageState[] = ['open', 'closed', 'expired', 'timeout'];

/** The fields a compact message holds only when they are set, in this order, each with its bit (after the first two). */
const OPTIONAL = [
  'instance', 'messageId', 'from', 'subject', 'size', 'recipientCount', 'client', 'helo', 'protocol', 'authMethod',
  'authUser', 'tls', 'rejects', 'milters', 'bounceNotices',
] as const satisfies ReadonlyArray<keyof Message>;
/** Bit 0: the id, host, MTA and queue id are written out, because the key and first-seen time do not give them. */
const EXPLICIT_IDENTITY = 1;
/** Bit 1: the recipients are written (most open messages have none yet). */
const HAS_RECIPIENTS = 2;
const FIRST_OPTIONAL_BIT = 4;

/** Whether the key and the first-seen time give the message's id, host, MTA and queue id, as for every new message. */
function identityDerived(m: Message): boolean {
  return m.key === keyText(m.host, m.mta, m.queueId) && m.id === messageDocumentId(m.key, m.firstSeen);
}

/** A peer as `[host, ip, port]`, its field names not repeated in every compact message. */
function peerTuple(p: Peer | undefined): unknown {
  return p === undefined ? null : [p.host ?? null, p.ip ?? null, p.port ?? null];
}

function peerOfTuple(v: unknown): Peer | undefined {
  if (v === null || v === undefined) return undefined;
  const [host, ip, port] = v as [string | null, string | null, number | null];
  return { host: host ?? undefined, ip: ip ?? undefined, port: port ?? undefined };
}

/** A recipient as a tuple in the order of its fields: a deferred message may wait days with several of them. */
function recipientTuple(r: Recipient): unknown[] {
  const d = r.delays;
  return [
    r.address, r.origTo ?? null, r.status, r.dsn ?? null, r.statusText ?? null, peerTuple(r.relay), r.delay ?? null,
    d === undefined ? null : [d.beforeQueueManager, d.inQueueManager, d.connectionSetup, d.transmission],
    r.attempts, r.firstAttempt, r.lastAttempt,
  ];
}

function recipientOfTuple(v: unknown): Recipient {
  const t = v as unknown[];
  const d = t[7] as [number, number, number, number] | null;
  return {
    address: t[0] as string,
    origTo: (t[1] as string | null) ?? undefined,
    status: t[2] as DeliveryStatus,
    dsn: (t[3] as string | null) ?? undefined,
    statusText: (t[4] as string | null) ?? undefined,
    relay: peerOfTuple(t[5]),
    delay: (t[6] as number | null) ?? undefined,
    delays: d === null ? undefined : { beforeQueueManager: d[0], inQueueManager: d[1], connectionSetup: d[2], transmission: d[3] },
    attempts: t[8] as number,
    firstAttempt: t[9] as number,
    lastAttempt: t[10] as number,
  };
}

/**
 * A message waiting for its next line, as one flat string: a third of the memory of the object graph, which
 * matters with 100k messages open. `lastSeen` and whether recipients are deferred come first, so that the timeout
 * scan reads them without expanding the rest. What the key already says (host, MTA, queue id) and what follows from
 * it (the id) is not repeated, fields not set take no room (a bit each in a mask), peers and recipients are tuples
 * without their field names, and the first-seen time is written as its distance to the last: about 200 bytes for a
 * message of the benchmark's replay instead of 340.
 */
export function compactMessage(m: Message): string {
  const parts: unknown[] = [m.lastSeen, isDeferred(m) ? 1 : 0, 0, m.lastSeen - m.firstSeen, STATES.indexOf(m.state) * 2 + (m.fragment ? 1 : 0), m.events, m.eventsTotal];
  let mask = 0;
  if (!identityDerived(m)) {
    mask |= EXPLICIT_IDENTITY;
    parts.push(m.id, m.host ?? null, m.mta, m.queueId);
  }
  if (m.recipients.length > 0) {
    mask |= HAS_RECIPIENTS;
    parts.push(m.recipients.map(recipientTuple));
  }
  for (let i = 0; i < OPTIONAL.length; i++) {
    const value = m[OPTIONAL[i]];
    if (value === undefined) continue;
    mask |= FIRST_OPTIONAL_BIT << i;
    parts.push(OPTIONAL[i] === 'client' ? peerTuple(value as Peer) : value);
  }
  parts[2] = mask;
  // Copied once more: V8 may hand out JSON text as a chain of pieces, several objects per message instead of one.
  return own(JSON.stringify(parts));
}

/** When the compact message was last active (log time): `[<lastSeen>,<deferred>,...`. */
export function compactLastSeen(s: string): number {
  return Number(s.slice(1, s.indexOf(',')));
}

export function compactDeferred(s: string): boolean {
  return s.charCodeAt(s.indexOf(',') + 1) === 0x31;
}

/**
 * The message a `compactMessage` string holds, with the same hidden class as a new one. The key is not in the string:
 * the map holding it has it (for 100k open messages, a copy in each would be some megabytes).
 */
export function expandMessage(s: string, key: string): Message {
  const all = JSON.parse(s) as unknown[];
  const lastSeen = all[0] as number;
  const mask = all[2] as number;
  const firstSeen = lastSeen - (all[3] as number);
  const stateCode = all[4] as number;
  let next = 7;
  let id: string;
  let host: string | undefined;
  let mta: Mta;
  let queueId: string;
  if (mask & EXPLICIT_IDENTITY) {
    id = all[next++] as string;
    host = (all[next++] as string | null) ?? undefined;
    mta = all[next++] as Mta;
    queueId = all[next++] as string;
  } else {
    const first = key.indexOf('\u0000');
    const second = key.indexOf('\u0000', first + 1);
    id = messageDocumentId(key, firstSeen);
    host = first === 0 ? undefined : intern(key.slice(0, first));
    mta = key.slice(first + 1, second) as Mta;
    queueId = key.slice(second + 1);
  }
  const recipients = mask & HAS_RECIPIENTS ? (all[next++] as unknown[]).map(recipientOfTuple) : [];
  const optional: unknown[] = [];
  for (let i = 0; i < OPTIONAL.length; i++) optional.push(mask & (FIRST_OPTIONAL_BIT << i) ? all[next++] : undefined);

  return {
    key,
    id,
    host,
    mta,
    instance: optional[0] as string | undefined,
    queueId,
    firstSeen,
    lastSeen,
    state: STATES[stateCode >> 1],
    fragment: (stateCode & 1) === 1,
    messageId: optional[1] as string | undefined,
    from: optional[2] as string | undefined,
    subject: optional[3] as string | undefined,
    size: optional[4] as number | undefined,
    recipientCount: optional[5] as number | undefined,
    client: peerOfTuple(optional[6]),
    helo: optional[7] as string | undefined,
    protocol: optional[8] as string | undefined,
    authMethod: optional[9] as string | undefined,
    authUser: optional[10] as string | undefined,
    tls: optional[11] as Message['tls'],
    recipients,
    rejects: optional[12] as RejectRecord[] | undefined,
    milters: optional[13] as Message['milters'],
    bounceNotices: optional[14] as string[] | undefined,
    events: all[5] as string,
    eventsTotal: all[6] as number,
  };
}
