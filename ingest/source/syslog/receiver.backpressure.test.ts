import type { Socket } from 'node:net';
import { waitFor } from '../../../test/support/wait';
import { type Scratch, scratchDir } from '../file/files.fixture';
import { lineFramed, realMessage, realMessages, SpoolConsumer } from './messages.fixture';
import { startSyslogReceiver, type SyslogReceiver } from './receiver';
import { capturingLogger, closeUdp, connectTcp, LOOPBACK, portOf, sendDatagrams, udpSender } from './receiver.fixture';

const MAX_BYTES = 2 * 1024 * 1024;
const SEGMENT_BYTES = 128 * 1024;
/** A TCP read is at most this long: the spool may go over maxBytes by one read per connection, as records. */
const READ_BYTES = 64 * 1024;
/** A record adds its receive time and peer to the message: well under the message's length for real mail logs. */
const RECORD_OVERHEAD = 2;

/**
 * Writes numbered real messages as fast as the connection takes them, a batch per 'drain', until told how many to
 * write in all.
 */
class Producer {
  written = 0;
  waitingForDrain = false;
  private total = Number.POSITIVE_INFINITY;
  readonly done: Promise<void>;
  private finish!: () => void;

  constructor(private readonly socket: Socket) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    socket.on('drain', () => this.fill());
    this.fill();
  }

  stopAt(total: number): void {
    this.total = total;
    this.fill();
  }

  private fill(): void {
    this.waitingForDrain = false;
    while (this.written < this.total) {
      const count = Math.min(500, this.total - this.written);
      const more = this.socket.write(lineFramed(realMessages(this.written, count)));
      this.written += count;
      if (!more) {
        this.waitingForDrain = true;
        return;
      }
    }
    this.socket.end();
    this.finish();
  }
}

describe('syslog receiver backpressure', () => {
  let scratch: Scratch;
  let receiver: SyslogReceiver | undefined;
  let consuming: NodeJS.Timeout | undefined;

  beforeEach(() => {
    scratch = scratchDir();
  });
  afterEach(async () => {
    clearInterval(consuming);
    await receiver?.close();
    receiver = undefined;
    scratch.remove();
  });

  it('holds a TCP sender back while the spool is full, drops and counts UDP, and takes the rest once segments are consumed', async () => {
    const dir = scratch.path('syslog-spool');
    const consumer = new SpoolConsumer(dir);
    const { logger, entries } = capturingLogger();
    const r = (receiver = await startSyslogReceiver({
      listen: LOOPBACK,
      spoolDir: dir,
      maxBytes: MAX_BYTES,
      segmentBytes: SEGMENT_BYTES,
      gcIntervalMs: 20,
      committedBytes: consumer.committedBytes,
      logger,
    }));
    const client = await connectTcp(portOf(r, 'tcp'));
    const producer = new Producer(client);

    // Nobody consumes: the spool fills, the receiver stops reading, the kernel's buffers fill, and the sender's
    // writes stop draining.
    await waitFor(async () => r.stats().paused, 'the receiver to pause');
    const stalled = async () => {
      const before = { buffered: client.writableLength, spooled: r.stats().bytesSpooled, written: producer.written };
      await new Promise((resolve) => setTimeout(resolve, 500));
      const after = { buffered: client.writableLength, spooled: r.stats().bytesSpooled, written: producer.written };
      return producer.waitingForDrain && after.buffered > 0 && JSON.stringify(before) === JSON.stringify(after);
    };
    await waitFor(stalled, 'the sender to be held back');
    const held = r.stats();
    expect(held.paused).toBe(true);
    expect(held.spoolBytes).toBeGreaterThanOrEqual(MAX_BYTES);
    expect(held.spoolBytes).toBeLessThanOrEqual(MAX_BYTES + READ_BYTES * RECORD_OVERHEAD);
    expect(held.received.tcp).toBeLessThan(producer.written);
    expect(entries.some((e) => e.msg.startsWith('The syslog spool is full'))).toBe(true);

    // UDP cannot be held back: what arrives now is dropped, and counted.
    const sender = await udpSender();
    const sent = await sendDatagrams(sender, portOf(r, 'udp'), realMessages(1_000_000, 50));
    await closeUdp(sender);
    await waitFor(async () => r.stats().udpDroppedFull + r.stats().udpDroppedKernel >= sent, 'the datagrams to be counted');
    expect(r.stats()).toMatchObject({ udpDroppedFull: 50, udpDroppedKernel: 0, received: { udp: 0 } });

    // The consumer reads and commits segments; the receiver deletes them, resumes, and the sender finishes.
    const total = producer.written + 2000;
    producer.stopAt(total);
    consuming = setInterval(() => consumer.poll(), 10);
    await producer.done;
    await waitFor(async () => consumer.count >= total, 'the consumer to read every message');
    clearInterval(consuming);

    const stats = r.stats();
    expect(stats.received.tcp).toBe(total);
    expect(stats.segmentsDeleted).toBeGreaterThan(MAX_BYTES / SEGMENT_BYTES);
    expect(stats.messagesLost).toBe(0);
    const records = consumer.records;
    expect(records).toHaveLength(total);
    const wrong = records.findIndex((rec, n) => rec.msg !== realMessage(n));
    expect(wrong).toBe(-1);
    expect(entries.some((e) => e.msg === 'The syslog receiver takes messages again.')).toBe(true);
  });
});
