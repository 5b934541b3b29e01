import { replayMessages } from '../../../bench/mail-replay';
import { fail2banCases } from '../../../test/support/fail2ban';
import { parseMailLine } from '../../parse/mail';
import type { LineHeader, MailEvent } from '../../parse/mail/types';
import { MessageAssembler } from './assembler';
import { compactMessage, expandMessage, fromDocument, type Message, toDocument } from './message';

const TIME = { reference: Date.UTC(2026, 11, 31), timeZone: 'UTC' };
const OPTIONS = { messageTimeoutMs: 3600_000, deferredTimeoutMs: 5 * 86400_000, maxOpenMessages: 100_000 };

function parsed(lines: string[]): Array<{ header: LineHeader; event: MailEvent; id: string }> {
  return lines.map((line, i) => {
    const outcome = parseMailLine(line, TIME);
    if (outcome.kind !== 'event') throw new Error(`not an event: ${line}`);
    return { header: outcome.header, event: outcome.event, id: `line-${i}` };
  });
}

/** Everything the assembler wrote, the last version of each message. */
function run(assembler: MessageAssembler, events: ReturnType<typeof parsed>): Map<string, Message> {
  const written = new Map<string, Message>();
  for (const { header, event, id } of events) {
    assembler.add(header, event, id);
    for (const m of assembler.takeDirty()) written.set(m.id, structuredClone(m));
  }
  return written;
}

describe('MessageAssembler on replayed real Postfix lines', () => {
  const replay = replayMessages(200, 50);
  const events = parsed(replay.lines);

  it('makes one closed message per queue id, with its sender, Message-ID, client and delivered recipient', () => {
    const assembler = new MessageAssembler(OPTIONS);
    const written = run(assembler, events);
    expect(written.size).toBe(200);
    expect(assembler.openCount).toBe(0);
    for (const m of written.values()) {
      expect(m.state).toBe('closed');
      expect(m.fragment).toBe(false);
      expect(m.messageId).toBe(`${m.queueId}.${parseInt(m.queueId, 16) - 0x10000000}@replay.invalid`);
      expect(m.from).toEqual(expect.any(String));
      expect(m.client?.ip).toMatch(/^10\./);
      expect(m.recipients).toHaveLength(1);
      expect(m.recipients[0].status).toBe('sent');
      expect(m.eventsTotal).toBe(5);
    }
  });

  it('keeps a message waiting for its next line as a compact string that expands to the same message', () => {
    const assembler = new MessageAssembler(OPTIONS);
    // Real Postfix lines with refusals, TLS, SASL and milters too, beside the replayed messages.
    const more = parsed(fail2banCases('postfix').map((c) => c.line).filter((l) => parseMailLine(l, TIME).kind === 'event'));
    const written = run(assembler, [...events.slice(0, 400), ...more]);
    const ingested = '2026-11-24T00:00:00.000Z';
    for (const m of written.values()) {
      const back = expandMessage(compactMessage(m), m.key);
      expect(toDocument(back, { ingested })).toEqual(toDocument(m, { ingested }));
      expect(compactMessage(back)).toBe(compactMessage(m));
      // What the key gives is not written again.
      expect(compactMessage(m)).not.toContain(m.id);
      expect(compactMessage(m)).not.toContain(`"${m.queueId}"`);
      // A message read back from a document keeps the id it was written under, even one its key does not give.
      const foreign: Message = { ...structuredClone(m), id: 'written-under-another-id', state: 'expired', fragment: true };
      expect(toDocument(expandMessage(compactMessage(foreign), m.key), { ingested })).toEqual(toDocument(foreign, { ingested }));
    }
    expect([...written.values()].some((m) => m.rejects?.length)).toBe(true);
  });

  it('keeps as many messages open as the log has in flight', () => {
    const assembler = new MessageAssembler(OPTIONS);
    let peak = 0;
    for (const { header, event, id } of events) {
      assembler.add(header, event, id);
      peak = Math.max(peak, assembler.openCount);
    }
    expect(peak).toBe(50);
  });

  it('folds a line in once, however often it is read', () => {
    const once = run(new MessageAssembler(OPTIONS), events);
    const twice = run(new MessageAssembler(OPTIONS), [...events.slice(0, 300), ...events.slice(0, 300), ...events.slice(300)]);
    expect(twice).toEqual(once);
  });

  it('goes on from documents read back after a restart (the open ones, and those closed lately) as if it had never stopped', () => {
    const reference = run(new MessageAssembler(OPTIONS), events);
    const cut = Math.floor(events.length / 2);
    const first = new MessageAssembler(OPTIONS);
    const before = run(first, events.slice(0, cut));
    const restarted = new MessageAssembler(OPTIONS);
    const ingested = '2026-11-24T00:00:00.000Z';
    for (const m of before.values()) {
      const doc = JSON.parse(JSON.stringify(toDocument(m, { ingested }))) as Record<string, unknown>;
      const back = fromDocument(m.id, doc)!;
      expect(toDocument(back, { ingested })).toEqual(toDocument(m, { ingested }));
      restarted.restore(back);
    }
    // The restarted worker reads a little of what it had read before (lines after its last checkpoint).
    const after = run(restarted, events.slice(cut - 20));
    const merged = new Map([...before, ...after]);
    const docs = (ms: Map<string, Message>) => new Map([...ms].map(([id, m]) => [id, toDocument(m, { ingested })]));
    expect(docs(merged)).toEqual(docs(reference));
  });

  it('closes a message the log never finishes once it has been silent for the timeout, in log time', () => {
    // The replay writes 50 lines a second: a message lives about 7 s of log time, the whole log about 28 s.
    const assembler = new MessageAssembler({ ...OPTIONS, messageTimeoutMs: 20_000 });
    // Only the opening lines of the first message, then the rest of the log much later.
    const opening = events.slice(0, 4);
    run(assembler, opening);
    expect(assembler.openCount).toBe(1);
    const later = events.slice(4).filter((e) => e.event.queueId !== opening[1].event.queueId);
    for (const { header, event, id } of later) {
      assembler.add(header, event, id);
      assembler.expire();
    }
    const written = assembler.takeDirty();
    expect(written.find((m) => m.queueId === opening[1].event.queueId)?.state).toBe('timeout');
    // The others lived their whole life within the timeout.
    expect(written.filter((m) => m.state === 'timeout')).toHaveLength(1);
  });

  it('closes the least recently active message when more are open than allowed, and reopens it when it speaks again', () => {
    const assembler = new MessageAssembler({ ...OPTIONS, maxOpenMessages: 10 });
    let evictions = 0;
    let peak = 0;
    const final = new Map<string, Message>();
    for (const { header, event, id } of events) {
      assembler.add(header, event, id);
      peak = Math.max(peak, assembler.openCount);
      for (const m of assembler.takeDirty()) {
        if (m.state === 'timeout') evictions++;
        final.set(m.id, structuredClone(m));
      }
    }
    expect(peak).toBe(10);
    expect(evictions).toBeGreaterThan(0);
    // Nothing is lost: an evicted message's later lines reopen it, and every message ends closed and whole.
    expect(final.size).toBe(200);
    expect([...final.values()].every((m) => m.state === 'closed' && m.recipients[0]?.status === 'sent')).toBe(true);
  });
});
