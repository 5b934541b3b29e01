import type { LineHeader, MailEvent } from '../../parse/mail/types';
import { adoptRejects, applyEvent, compactDeferred, compactLastSeen, compactMessage, expandMessage, isDeferred, type Message, messageKey, newMessage } from './message';

/**
 * Rebuilds messages from the lines of a mail log: every line with a queue id is folded into the message of that
 * id, which is written again (`dirty`) whenever it changed. A message ends when the MTA says it is gone (Postfix
 * `removed`, Exim `Completed`, Sendmail's last recipient delivered); one the MTA never closes times out after a
 * while of log time without a line, longer when its recipients are deferred (the MTA keeps retrying).
 *
 * Time is the log's own, not the clock's: replaying last month's logs closes messages as they closed then.
 *
 * Postfix logs recipients refused before a queue file exists as `NOQUEUE: reject`; the queue id appears with the
 * first accepted recipient. Those refusals are kept per SMTP session (host, program, pid) and attached to the
 * message the session goes on to create, when its sender matches.
 */

export interface AssemblerOptions {
  /** Log-time milliseconds without a line after which a message is closed as `timeout`. */
  messageTimeoutMs: number;
  /** The same for messages with deferred recipients. */
  deferredTimeoutMs: number;
  /** Open messages kept at most; beyond, the least recently active is closed as `timeout`. */
  maxOpenMessages: number;
}

interface Session {
  rejects: Array<{ at: number; event: MailEvent; eventId: string }>;
}

/** Closed messages remembered for lines that come late (a milter result after `removed`, rotated files). */
const RECENTLY_CLOSED = 10_000;
const MAX_SESSIONS = 10_000;
const MAX_SESSION_REJECTS = 100;
/** A line this much older than an open message's first line belongs to an earlier message with the same id. */
const EARLIER_MESSAGE_MS = 60_000;
/** Actions that can be the first line of a message: its arrival (Postfix smtpd, pickup, qmgr; Exim `<=`; Sendmail `from=`). */
const STARTS_MESSAGE: ReadonlySet<string> = new Set(['client', 'pickup', 'queued', 'message-id']);
/** Log time runs ahead of the clock by at most this much: a line dated further ahead does not move it. */
const FUTURE_SLACK_MS = 24 * 3600 * 1000;

export class MessageAssembler {
  /**
   * Open messages by key, least recently active first (a touched message is moved to the end). A message changed
   * since it was last written is an object; once written it waits for its next line as a compact string.
   */
  private readonly open = new Map<string, Message | string>();
  /** Messages closed lately, compact: a late line or a restart may still need them. */
  private readonly closed = new Map<string, string>();
  private readonly dirty = new Map<string, Message>();
  private readonly sessions = new Map<string, Session>();
  /** The latest log time seen. */
  private now = 0;

  constructor(private readonly options: AssemblerOptions) {}

  get openCount(): number {
    return this.open.size;
  }

  get dirtyCount(): number {
    return this.dirty.size;
  }

  /**
   * A message read back from Elasticsearch after a restart: an open one to go on with, or one closed shortly before
   * the last checkpoint, whose lines read again must fold into it rather than start a fragment.
   */
  restore(m: Message): void {
    if (m.state === 'open' || m.state === 'expired') this.open.set(m.key, compactMessage(m));
    else this.close(m);
    if (m.lastSeen > this.now) this.now = m.lastSeen;
  }

  /** Folds a parsed line in. `eventId` is the id of the line's event document, linked from the message. */
  add(header: LineHeader, event: MailEvent, eventId: string): void {
    const at = header.timestamp;
    if (at > this.now && at <= Date.now() + FUTURE_SLACK_MS) this.now = at;
    const queueId = event.queueId;
    const sessionKey = event.daemon === 'smtpd' || event.daemon === 'postscreen' ? `${header.host ?? ''}\u0000${header.program ?? ''}\u0000${header.pid ?? ''}` : undefined;
    if (!queueId || queueId === 'NOQUEUE') {
      if (sessionKey) this.trackSession(sessionKey, at, event, eventId);
      return;
    }
    const key = messageKey(header.host, event.mta, queueId);
    const m = this.messageFor(key, header, event as MailEvent & { queueId: string });
    if (!applyEvent(m, header, event, eventId)) {
      // A line read again changes nothing: the message goes back to its compact form.
      if (this.open.get(key) === m && !this.dirty.has(m.id)) this.open.set(key, compactMessage(m));
      return;
    }
    if (event.action === 'client' && sessionKey) {
      const session = this.sessions.get(sessionKey);
      if (session && session.rejects.length > 0) {
        adoptRejects(m, session.rejects);
        session.rejects = [];
      }
    }
    this.dirty.set(m.id, m);
    if (m.state === 'closed') this.close(m);
    else this.evictBeyondLimit();
  }

  /** Messages changed since the last call, to be written now. */
  takeDirty(): Message[] {
    const out = [...this.dirty.values()];
    this.dirty.clear();
    // Written now, so kept compact until their next line; setting an existing key keeps its place in the order.
    for (const m of out) if (this.open.get(m.key) === m) this.open.set(m.key, compactMessage(m));
    return out;
  }

  /**
   * Closes messages silent for longer than their timeout, in log time, at most `limit` of them (the rest at the next
   * call, so that one call never makes a batch of every open message). Cheap when nothing is due.
   */
  expire(limit = Infinity): void {
    const { messageTimeoutMs, deferredTimeoutMs } = this.options;
    let closed = 0;
    for (const [key, entry] of this.open) {
      if (closed >= limit) break;
      const compact = typeof entry === 'string';
      const silent = this.now - (compact ? compactLastSeen(entry) : entry.lastSeen);
      if (silent <= messageTimeoutMs) break;
      if ((compact ? compactDeferred(entry) : isDeferred(entry)) && silent <= deferredTimeoutMs) continue;
      const m = compact ? expandMessage(entry, key) : entry;
      m.state = 'timeout';
      this.dirty.set(m.id, m);
      this.open.delete(key);
      this.close(m);
      closed++;
    }
  }

  private messageFor(key: string, header: LineHeader, event: MailEvent & { queueId: string }): Message {
    const entry = this.open.get(key);
    const open = typeof entry === 'string' ? expandMessage(entry, key) : entry;
    if (open && header.timestamp >= open.firstSeen - EARLIER_MESSAGE_MS) {
      // Least recently active first: re-inserting keeps the timeout scan at the front of the map.
      this.open.delete(key);
      this.open.set(key, open);
      return open;
    }
    const closedEntry = this.closed.get(key);
    const recent = closedEntry === undefined ? undefined : expandMessage(closedEntry, key);
    if (recent && header.timestamp >= recent.firstSeen - EARLIER_MESSAGE_MS) {
      const silent = header.timestamp - recent.lastSeen;
      if (recent.state === 'timeout' && silent <= this.options.deferredTimeoutMs) {
        // The MTA speaks of a message that was given up on (a long retry, an eviction): it is open again.
        recent.state = 'open';
        this.closed.delete(key);
        this.open.set(key, recent);
        return recent;
      }
      // A late line of a message closed moments ago (a milter result after `removed`): folded in, still closed.
      if (recent.state !== 'timeout' && silent <= this.options.messageTimeoutMs) return recent;
    }
    // A line of a message whose beginning was not seen (the log starts mid-message) starts a fragment: the
    // document says so rather than pretending to be the whole message.
    const fragment = !STARTS_MESSAGE.has(event.action);
    const m = newMessage(key, header, event, fragment);
    this.open.set(key, m);
    return m;
  }

  private close(m: Message): void {
    if (this.open.get(m.key) === m) this.open.delete(m.key);
    this.closed.delete(m.key);
    this.closed.set(m.key, compactMessage(m));
    if (this.closed.size > RECENTLY_CLOSED) this.closed.delete(this.closed.keys().next().value!);
  }

  private evictBeyondLimit(): void {
    while (this.open.size > this.options.maxOpenMessages) {
      const [key, entry] = this.open.entries().next().value!;
      const oldest = typeof entry === 'string' ? expandMessage(entry, key) : entry;
      oldest.state = 'timeout';
      this.dirty.set(oldest.id, oldest);
      this.open.delete(key);
      this.close(oldest);
    }
  }

  private trackSession(key: string, at: number, event: MailEvent, eventId: string): void {
    if (event.action === 'connect') {
      this.sessions.delete(key);
      this.sessions.set(key, { rejects: [] });
      if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    } else if (event.action === 'disconnect') {
      this.sessions.delete(key);
    } else if (event.action === 'reject' && event.to !== undefined) {
      const session = this.sessions.get(key);
      if (session && session.rejects.length < MAX_SESSION_REJECTS) session.rejects.push({ at, event, eventId });
    }
  }
}
