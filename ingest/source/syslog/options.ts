import { UsageError } from '../../../common/errors';
import type { Logger } from '../../../common/log';
import { checkDistinct, checkListenAddress, formatListenAddress, type ListenAddress } from './listen';

export interface SyslogReceiverOptions {
  /** The sockets to listen on (`parseListenList` reads them from `udp://host:port,tcp://host:port`). */
  listen: readonly ListenAddress[];
  /** Where the spool segments are written; segments found there at start are kept (they are still to be read). */
  spoolDir: string;
  /**
   * The spool's size on disk at most (default 512 MiB). At it, TCP connections are paused (the kernel's TCP window
   * then holds the senders back) and UDP datagrams are dropped and counted, until the consumer's progress frees
   * space below 90% of it. A TCP read already under way when the spool fills is still written, so the spool can go
   * over by one read (64 KiB of messages, a little more as records) per connection.
   */
  maxBytes?: number;
  /** A segment is closed and the next one started at this size (default 16 MiB); at most half of `maxBytes`. */
  segmentBytes?: number;
  /** The open segment is fsync'ed this often (default 1000), and when it is closed. */
  fsyncIntervalMs?: number;
  /** How often consumed segments are looked for and the kernel's UDP drop counts read (default 500). */
  gcIntervalMs?: number;
  /** Longer messages keep their first this many bytes and the rest is discarded and counted (default 64 KiB). */
  maxMessageBytes?: number;
  /**
   * Received bytes waiting for the disk at most (default 4 MiB): above it TCP connections are paused and UDP
   * datagrams dropped (counted as udpDroppedFull) until the disk catches up, so memory stays bounded.
   */
  writeBufferBytes?: number;
  /**
   * Receive buffer asked for each UDP socket (default 8 MiB), to ride out bursts while the process is busy. Linux
   * grants at most net.core.rmem_max; the receiver logs what it got.
   */
  udpReceiveBufferBytes?: number;
  /** How long `close()` waits for TCP senders to finish after it half-closes their connections (default 2000). */
  closeGraceMs?: number;
  /**
   * The committed offset of what the consumer reads at `path` (undefined when it does not know the file): a closed
   * segment is deleted once this reaches its size. Without it nothing is deleted, and the spool fills up.
   */
  committedBytes?: (path: string) => number | undefined;
  logger?: Logger;
}

const DEFAULTS = {
  maxBytes: 512 * 1024 * 1024,
  segmentBytes: 16 * 1024 * 1024,
  fsyncIntervalMs: 1000,
  gcIntervalMs: 500,
  maxMessageBytes: 64 * 1024,
  writeBufferBytes: 4 * 1024 * 1024,
  udpReceiveBufferBytes: 8 * 1024 * 1024,
  closeGraceMs: 2000,
};

export type ReceiverLimits = typeof DEFAULTS;

const MINIMUM: Record<keyof ReceiverLimits, number> = {
  maxBytes: 2,
  segmentBytes: 1,
  fsyncIntervalMs: 1,
  gcIntervalMs: 1,
  maxMessageBytes: 1,
  writeBufferBytes: 1,
  udpReceiveBufferBytes: 1,
  closeGraceMs: 0,
};

/** The limits in effect, or a UsageError naming the option that is wrong. */
export function resolveReceiverOptions(options: SyslogReceiverOptions): ReceiverLimits {
  if (!Array.isArray(options.listen) || options.listen.length === 0) throw new UsageError('The syslog receiver option listen needs at least one address.');
  for (const address of options.listen) {
    const problem = checkListenAddress(address);
    if (problem) throw new UsageError(`The syslog receiver option listen: ${formatListenAddress(address)} ${problem}.`);
  }
  checkDistinct(options.listen);
  if (typeof options.spoolDir !== 'string' || options.spoolDir === '') throw new UsageError('The syslog receiver option spoolDir must name a directory.');
  const limits = { ...DEFAULTS };
  for (const name of Object.keys(DEFAULTS) as Array<keyof ReceiverLimits>) {
    const value = options[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < MINIMUM[name]) {
      throw new UsageError(`The syslog receiver option ${name} must be an integer of at least ${MINIMUM[name]}, not ${String(value)}.`);
    }
    limits[name] = value;
  }
  if (limits.segmentBytes * 2 > limits.maxBytes) {
    // The open segment cannot be deleted: were it most of the spool, a full spool could not get below its low-water mark.
    throw new UsageError(`The syslog receiver option segmentBytes (${limits.segmentBytes}) must be at most half of maxBytes (${limits.maxBytes}).`);
  }
  if (options.committedBytes !== undefined && typeof options.committedBytes !== 'function') throw new UsageError('The syslog receiver option committedBytes must be a function.');
  return limits;
}
