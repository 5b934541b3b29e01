import type { SourceError } from '../../../common/errors';
import { type Logger, silentLogger } from '../../../common/log';
import { newFramingCounters } from './framing';
import { formatListenAddress, type ListenAddress } from './listen';
import { type ReceiverLimits, resolveReceiverOptions, type SyslogReceiverOptions } from './options';
import { encodeSpoolRecord } from './record';
import { Spool } from './spool';
import { TcpSyslogListener } from './tcp';
import { KernelUdpDrops } from './udp-drops';
import { UdpSyslogListener } from './udp';

export type { SyslogReceiverOptions } from './options';

export interface SyslogReceiverStats {
  /** Messages written to the spool, by transport. */
  received: { tcp: number; udp: number };
  /** Bytes appended to the spool in this run. */
  bytesSpooled: number;
  /** The spool's size on disk now (segments of earlier runs included), with what is on its way there. */
  spoolBytes: number;
  spoolSegments: number;
  tcpConnections: number;
  /** TCP is not being read and UDP is being dropped: the spool is full, its disk is behind, or it cannot be written. */
  paused: boolean;
  /** Datagrams dropped because the receiver was paused. */
  udpDroppedFull: number;
  /** Datagrams the kernel dropped before they could be read (its receive buffer was full); 0 where it cannot be known. */
  udpDroppedKernel: number;
  /** Messages cut at maxMessageBytes, and the bytes discarded from them. */
  oversized: number;
  oversizedBytesDiscarded: number;
  /** TCP frames with a zero length or cut short by the end of their connection. */
  framingErrors: number;
  /** Times the spool became unwritable: a segment could not be created or written (until a retry works, it is one). */
  spoolWriteErrors: number;
  /** Messages received but not written to the spool because of those errors. */
  messagesLost: number;
  /** Segments deleted after the consumer committed them to their end. */
  segmentsDeleted: number;
}

export interface SyslogReceiver {
  /** Where it listens, in the order given, with the ports the system chose for port 0. */
  readonly addresses: readonly ListenAddress[];
  stats(): SyslogReceiverStats;
  /** Stops listening, lets TCP senders finish (closeGraceMs), writes and fsyncs the spool. */
  close(): Promise<void>;
}

/** The spool may take data again once it is below this share of maxBytes, so that pausing does not flap. */
const LOW_WATER = 0.9;
/** Drops are logged at most this often, with the counts since the last time. */
const DROP_LOG_INTERVAL_MS = 10_000;

type DropCounts = Pick<SyslogReceiverStats, 'udpDroppedFull' | 'udpDroppedKernel' | 'oversized' | 'framingErrors' | 'messagesLost'>;

/**
 * Receives syslog messages from mail servers that log remotely (RFC 3164 and RFC 5424, over UDP and TCP) and appends
 * each to an on-disk spool, which the mail worker reads with the file source as it reads log files. Received lines
 * survive an Elasticsearch that is slow or down, and a restart of the worker.
 *
 * The spool is bounded by maxBytes: when it is full, TCP senders are held back (paused connections) and UDP datagrams
 * are dropped; everything dropped or cut is counted in `stats()` and logged. Space is freed as the consumer commits
 * closed segments to their end (`committedBytes`).
 */
export async function startSyslogReceiver(options: SyslogReceiverOptions): Promise<SyslogReceiver> {
  const limits = resolveReceiverOptions(options);
  const receiver = new Receiver(options, limits);
  await receiver.start();
  return receiver;
}

class Receiver implements SyslogReceiver {
  private readonly logger: Logger;
  private readonly framing = newFramingCounters();
  private readonly received = { tcp: 0, udp: 0 };
  private udpDroppedFull = 0;
  private udpDroppedKernel = 0;
  private spool!: Spool;
  private tcp: TcpSyslogListener[] = [];
  private udp: UdpSyslogListener[] = [];
  private kernelDrops: KernelUdpDrops | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private full = false;
  private paused = false;
  private announcedPause = false;
  private closing: Promise<void> | undefined;
  private loggedDrops: DropCounts = { udpDroppedFull: 0, udpDroppedKernel: 0, oversized: 0, framingErrors: 0, messagesLost: 0 };
  private dropsLoggedAt = 0;
  addresses: ListenAddress[] = [];

  constructor(
    private readonly options: SyslogReceiverOptions,
    private readonly limits: ReceiverLimits,
  ) {
    this.logger = options.logger ?? silentLogger;
  }

  async start(): Promise<void> {
    this.spool = await Spool.open({
      dir: this.options.spoolDir,
      segmentBytes: this.limits.segmentBytes,
      fsyncIntervalMs: this.limits.fsyncIntervalMs,
      writeBufferBytes: this.limits.writeBufferBytes,
      onError: (error) => this.spoolError(error),
      onChange: () => this.spoolChanged(),
    });
    const keptSegments = this.spool.segments - 1;
    // Segments kept from an earlier run count: the spool may be full before anything is received.
    this.updatePressure();
    try {
      for (const address of this.options.listen) {
        if (address.transport === 'tcp') {
          const listener = await TcpSyslogListener.listen(address, {
            maxMessageBytes: this.limits.maxMessageBytes,
            counters: this.framing,
            logger: this.logger,
            deliver: (peer, messages) => this.deliver('tcp', peer, messages),
          });
          if (this.paused) listener.pause();
          this.tcp.push(listener);
          this.addresses.push(listener.address);
        } else {
          const listener = await UdpSyslogListener.listen(address, {
            maxMessageBytes: this.limits.maxMessageBytes,
            receiveBufferBytes: this.limits.udpReceiveBufferBytes,
            counters: this.framing,
            logger: this.logger,
            accepting: () => !this.paused,
            dropped: () => this.udpDroppedFull++,
            deliver: (peer, messages) => this.deliver('udp', peer, messages),
          });
          this.udp.push(listener);
          this.addresses.push(listener.address);
          this.checkReceiveBuffer(listener);
        }
      }
      this.kernelDrops = await KernelUdpDrops.start(this.udp.map((u) => ({ family: u.family, port: u.address.port })));
    } catch (err) {
      await this.close();
      throw err;
    }
    if (this.udp.length > 0 && !this.kernelDrops.available) {
      this.logger.warn('The kernel’s UDP drop counts cannot be read (no /proc/net/udp): datagrams it drops are not counted.');
    }
    this.timer = setInterval(() => void this.tick(), this.limits.gcIntervalMs);
    this.logger.info(
      { addresses: this.addresses.map(formatListenAddress), spoolDir: this.options.spoolDir, keptSegments, spoolBytes: this.spool.diskBytes, maxBytes: this.limits.maxBytes, paused: this.paused },
      'The syslog receiver is listening.',
    );
  }

  stats(): SyslogReceiverStats {
    const spool = this.spool.counters;
    return {
      received: { ...this.received },
      bytesSpooled: spool.bytesSpooled,
      spoolBytes: this.spool.diskBytes,
      spoolSegments: this.spool.segments,
      tcpConnections: this.tcp.reduce((n, l) => n + l.connections, 0),
      paused: this.paused,
      udpDroppedFull: this.udpDroppedFull,
      udpDroppedKernel: this.udpDroppedKernel,
      oversized: this.framing.oversized,
      oversizedBytesDiscarded: this.framing.oversizedBytesDiscarded,
      framingErrors: this.framing.framingErrors,
      spoolWriteErrors: spool.writeErrors,
      messagesLost: spool.messagesLost,
      segmentsDeleted: spool.segmentsDeleted,
    };
  }

  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.tcp.map((l) => l.close(this.limits.closeGraceMs)), ...this.udp.map((l) => l.close())]);
    await this.ticking;
    await this.spool.close();
    if (this.kernelDrops) this.udpDroppedKernel = await this.kernelDrops.poll();
    this.logDrops(true);
    this.logger.info({ ...this.stats() }, 'The syslog receiver has stopped.');
  }

  private deliver(transport: 'tcp' | 'udp', peer: string, messages: Buffer[]): void {
    const t = Date.now();
    let text = '';
    for (const message of messages) text += encodeSpoolRecord(t, peer, message);
    this.spool.append(text, messages.length);
    this.received[transport] += messages.length;
    if (!this.paused && (this.spool.diskBytes >= this.limits.maxBytes || this.spool.backedUp)) this.updatePressure();
  }

  /** Pauses when the spool is full (until it is below the low-water mark), behind, or failed; resumes otherwise. */
  private updatePressure(): void {
    const bytes = this.spool.diskBytes;
    if (!this.full && bytes >= this.limits.maxBytes) this.full = true;
    else if (this.full && bytes < this.limits.maxBytes * LOW_WATER) this.full = false;
    const failed = this.spool.failed !== undefined;
    const pause = this.full || this.spool.backedUp || failed;
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) {
      for (const l of this.tcp) l.pause();
      // A disk that is briefly behind is routine; a full or failed spool is news.
      if (this.full) {
        this.announcedPause = true;
        this.logger.warn(
          { spoolBytes: bytes, maxBytes: this.limits.maxBytes },
          'The syslog spool is full: TCP senders are held back and UDP messages dropped until the consumer has read more of it.',
        );
      } else if (failed) {
        this.announcedPause = true;
        this.logger.warn('The syslog spool cannot be written: TCP senders are held back and UDP messages dropped until it can.');
      }
    } else {
      for (const l of this.tcp) l.resume();
      if (this.announcedPause) this.logger.info({ spoolBytes: bytes, maxBytes: this.limits.maxBytes }, 'The syslog receiver takes messages again.');
      this.announcedPause = false;
    }
  }

  private spoolChanged(): void {
    if (!this.spool) return;
    this.updatePressure();
    // A closed segment may already be consumed: freeing it now rather than at the next tick shortens a pause.
    if (this.options.committedBytes && this.closing === undefined) void this.tick();
  }

  private spoolError(error: SourceError): void {
    this.logger.error({ err: error, ...error.meta }, error.message);
    // An error while the spool opens comes before it is assigned; Spool.open then rejects with it.
    if (this.spool) this.updatePressure();
  }

  private tick(): Promise<void> {
    this.ticking ??= this.tickNow().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async tickNow(): Promise<void> {
    if (this.spool.failed) this.spool.retry();
    if (this.options.committedBytes) await this.spool.collect(this.options.committedBytes);
    if (this.kernelDrops) this.udpDroppedKernel = await this.kernelDrops.poll();
    this.updatePressure();
    this.logDrops(false);
  }

  /** Nothing is dropped silently: every increase is logged, at most every DROP_LOG_INTERVAL_MS (and at close). */
  private logDrops(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.dropsLoggedAt < DROP_LOG_INTERVAL_MS) return;
    const s = this.stats();
    const current: DropCounts = {
      udpDroppedFull: s.udpDroppedFull,
      udpDroppedKernel: s.udpDroppedKernel,
      oversized: s.oversized,
      framingErrors: s.framingErrors,
      messagesLost: s.messagesLost,
    };
    const since = Object.fromEntries(Object.entries(current).map(([k, v]) => [k, v - this.loggedDrops[k as keyof DropCounts]])) as DropCounts;
    if (Object.values(since).every((v) => v === 0)) return;
    this.loggedDrops = current;
    this.dropsLoggedAt = now;
    this.logger.warn({ since, total: current }, 'The syslog receiver dropped or cut messages.');
  }

  private checkReceiveBuffer(listener: UdpSyslogListener): void {
    // Linux grants at most net.core.rmem_max and reports twice what it granted (the other half is for bookkeeping).
    const reported = listener.receiveBufferBytes;
    const granted = process.platform === 'linux' ? reported / 2 : reported;
    if (granted < this.limits.udpReceiveBufferBytes) {
      this.logger.warn(
        { address: formatListenAddress(listener.address), asked: this.limits.udpReceiveBufferBytes, granted },
        'The kernel granted a smaller UDP receive buffer than asked for; raise net.core.rmem_max to ride out longer bursts.',
      );
    }
  }
}
