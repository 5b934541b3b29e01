import { waitFor } from '../../../test/support/wait';
import { type Scratch, scratchDir } from '../file/files.fixture';
import { lineFramed, octetCounted, readSpool, realMessage, realMessages } from './messages.fixture';
import { startSyslogReceiver, type SyslogReceiver, type SyslogReceiverOptions } from './receiver';
import { capturingLogger, closeUdp, connectTcp, LOOPBACK, portOf, sendAndClose, sendDatagrams, udpSender } from './receiver.fixture';

const MESSAGES = 100_000;

describe('syslog receiver under volume', () => {
  let scratch: Scratch;
  let receiver: SyslogReceiver | undefined;

  async function start(options: Partial<SyslogReceiverOptions> = {}): Promise<SyslogReceiver> {
    receiver = await startSyslogReceiver({ listen: LOOPBACK, spoolDir: scratch.path('syslog-spool'), gcIntervalMs: 50, ...options });
    return receiver;
  }

  beforeEach(() => {
    scratch = scratchDir();
  });
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
    scratch.remove();
  });

  it('spools 100,000 TCP messages from two connections exactly once, in order per connection', async () => {
    const r = await start({ segmentBytes: 4 * 1024 * 1024 });
    const port = portOf(r, 'tcp');
    // One sender frames with LFs, the other counts octets; each gets every other message.
    const byConnection = [0, 1].map((parity) => Array.from({ length: MESSAGES / 2 }, (_, i) => realMessage(2 * i + parity)));
    const chunks = (messages: string[], encode: (batch: string[]) => Buffer) => {
      const out: Buffer[] = [];
      for (let i = 0; i < messages.length; i += 1000) out.push(encode(messages.slice(i, i + 1000)));
      return out;
    };
    const [a, b] = await Promise.all([connectTcp(port), connectTcp(port)]);
    await Promise.all([
      sendAndClose(a, chunks(byConnection[0], lineFramed)),
      sendAndClose(b, chunks(byConnection[1], (batch) => Buffer.concat(batch.map(octetCounted)))),
    ]);
    await waitFor(async () => r.stats().tcpConnections === 0, 'both connections to close');
    await r.close();

    const spooled = readSpool(scratch.path('syslog-spool'));
    const stats = r.stats();
    expect(stats.received).toEqual({ tcp: MESSAGES, udp: 0 });
    expect(stats).toMatchObject({ oversized: 0, framingErrors: 0, messagesLost: 0, paused: false });
    expect(stats.spoolSegments).toBeGreaterThan(1);
    expect(spooled).toHaveLength(MESSAGES);
    const fromA = new Set(byConnection[0]);
    expect(spooled.filter((rec) => fromA.has(rec.msg)).map((rec) => rec.msg)).toEqual(byConnection[0]);
    expect(spooled.filter((rec) => !fromA.has(rec.msg)).map((rec) => rec.msg)).toEqual(byConnection[1]);
    expect(spooled.every((rec) => rec.peer === '127.0.0.1')).toBe(true);
  });

  it('accounts for each of 100,000 UDP datagrams: spooled once, or counted as dropped', async () => {
    const r = await start();
    const port = portOf(r, 'udp');
    const sender = await udpSender();
    let sent = 0;
    // In bursts, as a busy mail server logs; each burst is taken by the sending kernel before the next.
    for (let i = 0; i < MESSAGES; i += 500) sent += await sendDatagrams(sender, port, realMessages(i, 500));
    await closeUdp(sender);
    expect(sent).toBe(MESSAGES);
    const accounted = () => {
      const s = r.stats();
      return s.received.udp + s.udpDroppedFull + s.udpDroppedKernel;
    };
    await waitFor(async () => accounted() >= sent, 'every datagram to be spooled or counted as dropped');
    await r.close();

    const stats = r.stats();
    expect(accounted()).toBe(sent);
    expect(stats.udpDroppedFull).toBe(0);
    const spooled = readSpool(scratch.path('syslog-spool')).map((rec) => rec.msg);
    expect(spooled).toHaveLength(stats.received.udp);
    expect(new Set(spooled).size).toBe(spooled.length);
    const sentSet = new Set(realMessages(0, MESSAGES));
    expect(spooled.every((m) => sentSet.has(m))).toBe(true);
  });

  it('counts and logs the datagrams the kernel drops when its receive buffer overflows', async () => {
    const { logger, entries } = capturingLogger();
    const r = await start({ udpReceiveBufferBytes: 4096, logger });
    const port = portOf(r, 'udp');
    const sender = await udpSender();
    // One burst much larger than the buffer, sent before the receiver gets to read any of it.
    const sent = await sendDatagrams(sender, port, realMessages(0, 2000));
    await closeUdp(sender);
    await waitFor(async () => {
      const s = r.stats();
      return s.received.udp + s.udpDroppedKernel >= sent;
    }, 'every datagram to be spooled or counted as dropped by the kernel');
    await r.close();

    const stats = r.stats();
    expect(stats.udpDroppedKernel).toBeGreaterThan(0);
    expect(stats.received.udp + stats.udpDroppedKernel + stats.udpDroppedFull).toBe(sent);
    expect(readSpool(scratch.path('syslog-spool'))).toHaveLength(stats.received.udp);
    const logged = entries.filter((e) => e.msg === 'The syslog receiver dropped or cut messages.');
    const total = logged.reduce((sum, e) => sum + (e.since as { udpDroppedKernel: number }).udpDroppedKernel, 0);
    expect(total).toBe(stats.udpDroppedKernel);
  });
});
