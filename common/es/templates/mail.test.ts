import { corpusMailLines, replayMessages } from '../../../bench/mail-replay';
import { parseMailLine } from '../../../ingest/parse/mail';
import { mailEventDocument } from '../../../ingest/normalize/mail/event';
import { MessageAssembler } from '../../../ingest/reconstruct/mail/assembler';
import { toDocument } from '../../../ingest/reconstruct/mail/message';
import { MAIL_EVENT_FIELDS, MAIL_MESSAGE_FIELDS, mailEventsTemplate, mailMessagesTemplate } from './mail';

const TIME = { reference: Date.UTC(2026, 11, 31), timeZone: 'UTC' };

/** Dotted paths of the leaves of a document; arrays of objects contribute their elements' paths. */
function leafPaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) leafPaths(v, prefix, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) leafPaths(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined) {
    out.add(prefix);
  }
  return out;
}

/** Paths not mapped: neither a field of the table nor inside a `flattened` one. */
function unmapped(paths: Iterable<string>, fields: Readonly<Record<string, Readonly<Record<string, unknown>>>>): string[] {
  const flattened = Object.entries(fields)
    .filter(([, m]) => m.type === 'flattened')
    .map(([name]) => `${name}.`);
  return [...paths].filter((p) => !(p in fields) && !flattened.some((f) => p.startsWith(f))).sort();
}

describe('mail index templates', () => {
  const lines = corpusMailLines();

  it('map every field the normalizer writes for any line of the corpus', () => {
    const paths = new Set<string>();
    let events = 0;
    for (const line of lines) {
      const outcome = parseMailLine(line, TIME);
      if (outcome.kind === 'error') continue;
      const event = outcome.kind === 'event' ? outcome.event : undefined;
      if (event) events++;
      leafPaths(mailEventDocument(line, outcome.header, event, { ingested: '2026-11-24T00:00:00Z', sensor: 's', filePath: 'f', offset: 0, syslogPeer: '127.0.0.1' }), '', paths);
    }
    expect(events).toBeGreaterThan(500);
    expect(unmapped(paths, MAIL_EVENT_FIELDS)).toEqual([]);
  });

  it('map every field of the message documents', () => {
    const assembler = new MessageAssembler({ messageTimeoutMs: 3600_000, deferredTimeoutMs: 86400_000, maxOpenMessages: 1000 });
    const all = [...replayMessages(20, 5).lines, ...lines];
    all.forEach((line, i) => {
      const outcome = parseMailLine(line, TIME);
      if (outcome.kind === 'event') assembler.add(outcome.header, outcome.event, `e${i}`);
    });
    const paths = new Set<string>();
    const written = assembler.takeDirty();
    for (const m of written) leafPaths(toDocument(m, { ingested: '2026-11-24T00:00:00Z', sensor: 's' }), '', paths);
    expect(written.length).toBeGreaterThan(20);
    // The corpus exercises recipients, rejects and milters: their fields are among those checked.
    expect([...paths].filter((p) => p.startsWith('vigil.mail.recipients.')).length).toBeGreaterThan(5);
    expect([...paths].some((p) => p.startsWith('vigil.mail.rejects.'))).toBe(true);
    expect(unmapped(paths, MAIL_MESSAGE_FIELDS)).toEqual([]);
  });

  it('read through their aliases, one pattern each, with no dynamic fields', () => {
    const events = mailEventsTemplate();
    const messages = mailMessagesTemplate();
    expect(events.body.index_patterns).toEqual(['vigil-mail-events-*']);
    expect(messages.body.index_patterns).toEqual(['vigil-mail-messages-*']);
    expect(Object.keys(events.body.template.aliases)).toEqual(['vigil-mail-events']);
    expect(Object.keys(messages.body.template.aliases)).toEqual(['vigil-mail-messages']);
    expect(events.body.template.mappings.dynamic).toBe(false);
    expect(messages.body.template.mappings.dynamic).toBe(false);
  });
});
