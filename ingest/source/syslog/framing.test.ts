import fc from 'fast-check';
import { frameDatagram, type FramingCounters, newFramingCounters, SyslogFramer } from './framing';
import { EXIM_LINES, lineFramed, octetCounted, POSTFIX_LINES, realMessages } from './messages.fixture';

const MAX = 64 * 1024;

/** Frames `chunks` as one connection; returns the messages as text and the counters. */
function frame(chunks: readonly Buffer[], maxMessageBytes = MAX): { messages: string[]; counters: FramingCounters } {
  const messages: string[] = [];
  const framer = new SyslogFramer(maxMessageBytes, (m) => messages.push(m.toString('utf8')));
  for (const chunk of chunks) framer.push(chunk);
  framer.end();
  return { messages, counters: framer.counters };
}

/** A real multi-line message as a sender would put it in one octet-counted frame. */
const TWO_LINES = `<22>${POSTFIX_LINES[0]}\n${POSTFIX_LINES[1]}`;

/** Both framings mixed in one stream: bare Exim lines start with digits (their date) yet are not octet counts. */
function mixedStream(): { stream: Buffer; messages: string[] } {
  const messages = [...realMessages(0, 6), TWO_LINES, EXIM_LINES[0], ...realMessages(6, 3), EXIM_LINES[1]];
  const parts = messages.map((m, i) => (i % 2 === 0 && !m.includes('\n') ? lineFramed([m]) : octetCounted(m)));
  return { stream: Buffer.concat(parts), messages };
}

describe('SyslogFramer', () => {
  it('splits a non-transparent stream at its LFs and trims CR line endings', () => {
    const messages = realMessages(0, 30);
    expect(frame([lineFramed(messages)]).messages).toEqual(messages);
    const crlf = Buffer.from(messages.map((m) => `${m}\r\n`).join(''));
    expect(frame([crlf])).toEqual({ messages, counters: { oversized: 0, oversizedBytesDiscarded: 0, framingErrors: 0 } });
  });

  it('reads octet-counted frames, keeps the LFs inside a message and trims trailing NULs and LFs', () => {
    const messages = [...realMessages(0, 5), TWO_LINES];
    expect(frame([Buffer.concat(messages.map(octetCounted))]).messages).toEqual(messages);
    // Some senders count a terminator in: it is not part of the message.
    const terminated = Buffer.concat(messages.map((m) => octetCounted(`${m}\0`)));
    expect(frame([terminated]).messages).toEqual(messages);
    const withLf = Buffer.concat(messages.map((m) => octetCounted(`${m}\n`)));
    expect(frame([withLf]).messages).toEqual(messages);
  });

  it('decides the framing per frame in a stream that mixes both', () => {
    const { stream, messages } = mixedStream();
    const got = frame([stream]);
    expect(got.messages).toEqual(messages);
    expect(got.counters.framingErrors).toBe(0);
  });

  it('gives the same messages however the stream is cut in two, at every byte boundary', () => {
    const { stream, messages } = mixedStream();
    for (let cut = 0; cut <= stream.length; cut++) {
      const got = frame([stream.subarray(0, cut), stream.subarray(cut)]).messages;
      if (got.length !== messages.length || got.some((m, i) => m !== messages[i])) {
        throw new Error(`cut at byte ${cut} of ${stream.length} framed ${JSON.stringify(got)}`);
      }
    }
  });

  it('gives the same messages for any mix of framings cut into any chunks', () => {
    const pool = [...realMessages(0, 40), TWO_LINES, ...EXIM_LINES.slice(0, 10)];
    const frames = fc.array(fc.record({ index: fc.nat(pool.length - 1), counted: fc.boolean(), crlf: fc.boolean() }), { minLength: 1, maxLength: 25 });
    fc.assert(
      fc.property(frames, fc.array(fc.nat(), { maxLength: 40 }), (spec, cutSeeds) => {
        const messages = spec.map((s) => pool[s.index]);
        const stream = Buffer.concat(
          spec.map((s, i) => (s.counted || messages[i].includes('\n') ? octetCounted(messages[i]) : Buffer.from(`${messages[i]}${s.crlf ? '\r\n' : '\n'}`))),
        );
        const cuts = [...new Set(cutSeeds.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...cuts].map((from, i) => stream.subarray(from, i < cuts.length ? cuts[i] : stream.length));
        expect(frame(chunks).messages).toEqual(messages);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the first maxMessageBytes of a longer message, discards and counts the rest, and goes on', () => {
    const long = realMessages(0, 30)
      .filter((m) => Buffer.byteLength(m) > 100)
      .slice(0, 3);
    expect(long).toHaveLength(3);
    // Exactly maxMessageBytes long: not oversized.
    const next = realMessages(30, 1)[0].slice(0, 100);
    expect(next).toHaveLength(100);
    for (const encode of [(m: string) => lineFramed([m]), octetCounted]) {
      const stream = Buffer.concat([...long.map(encode), octetCounted(next)]);
      for (const chunks of [[stream], [...stream].map((b) => Buffer.from([b]))]) {
        const got = frame(chunks, 100);
        expect(got.messages).toEqual([...long.map((m) => m.slice(0, 100)), next]);
        expect(got.counters).toEqual({
          oversized: 3,
          oversizedBytesDiscarded: long.reduce((sum, m) => sum + Buffer.byteLength(m) - 100, 0),
          framingErrors: 0,
        });
      }
    }
  });

  it('counts a zero-length frame and a frame cut short by the end of the connection, keeping what arrived', () => {
    const [a, b] = realMessages(0, 2);
    const cut = octetCounted(b).subarray(0, 50);
    const got = frame([Buffer.concat([Buffer.from('0 '), octetCounted(a), cut])]);
    expect(got.messages).toEqual([a, b.slice(0, 50 - `${Buffer.byteLength(b)} `.length)]);
    expect(got.counters.framingErrors).toBe(2);
  });

  it('hands out a last line without its LF when the connection ends, as a complete message', () => {
    const [a, b] = realMessages(0, 2);
    const got = frame([Buffer.from(`${a}\n${b}`)]);
    expect(got.messages).toEqual([a, b]);
    expect(got.counters.framingErrors).toBe(0);
  });

  it('takes a digit run too long to be a length as the start of a line', () => {
    const line = `1234567890 ${POSTFIX_LINES[2]}`;
    expect(frame([Buffer.from(`${line}\n`)]).messages).toEqual([line]);
  });
});

describe('frameDatagram', () => {
  it('trims line endings and cuts a datagram at maxMessageBytes, counting what it discards', () => {
    const counters = newFramingCounters();
    const [a, b] = realMessages(0, 2);
    expect(frameDatagram(Buffer.from(`${a}\n`), 1000, counters).toString()).toBe(a);
    expect(frameDatagram(Buffer.from(`${TWO_LINES}\r\n\0`), 1000, counters).toString()).toBe(TWO_LINES);
    expect(counters).toEqual({ oversized: 0, oversizedBytesDiscarded: 0, framingErrors: 0 });
    expect(frameDatagram(Buffer.from(b), 40, counters).toString()).toBe(b.slice(0, 40));
    expect(counters).toEqual({ oversized: 1, oversizedBytesDiscarded: Buffer.byteLength(b) - 40, framingErrors: 0 });
  });
});
