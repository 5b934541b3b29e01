import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { SourceError } from '../../../common/errors';
import type { Logger } from '../../../common/log';
import { type FramingCounters, SyslogFramer } from './framing';
import { formatListenAddress, type ListenAddress } from './listen';
import { peerAddress } from './record';

export interface TcpSyslogOptions {
  maxMessageBytes: number;
  /** Shared by all connections. */
  counters: FramingCounters;
  logger: Logger;
  /** The messages framed from one read of one connection, in the order sent. */
  deliver(peer: string, messages: Buffer[]): void;
}

/** Dead senders (a host that lost power) are noticed by keep-alive probes after this long, so their connections go. */
const KEEPALIVE_MS = 60_000;

/**
 * Syslog over TCP: each connection is framed on its own and delivered read by read, so its messages reach the spool
 * in the order they were sent. `pause()` stops reading every connection: unread data then fills the kernel's socket
 * buffers and the TCP window closes, which holds the senders back without losing anything.
 */
export class TcpSyslogListener {
  private readonly sockets = new Set<Socket>();
  private paused = false;
  private closing = false;
  private drained: (() => void) | undefined;
  private bound: ListenAddress;

  private constructor(
    private readonly server: Server,
    address: ListenAddress,
    private readonly options: TcpSyslogOptions,
  ) {
    this.bound = address;
    server.on('connection', (socket) => this.accept(socket));
  }

  static async listen(address: ListenAddress, options: TcpSyslogOptions): Promise<TcpSyslogListener> {
    const server = createServer();
    const listener = new TcpSyslogListener(server, address, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      throw new SourceError(`The syslog receiver cannot listen on ${formatListenAddress(address)} (${err.code ?? err.message}).`, err, { address: formatListenAddress(address) });
    });
    listener.bound = { ...address, port: (server.address() as AddressInfo).port };
    server.on('error', (err) => options.logger.error({ err, address: formatListenAddress(listener.bound) }, 'The syslog TCP listener failed.'));
    return listener;
  }

  /** Where it listens, with the port the system chose for port 0. */
  get address(): ListenAddress {
    return this.bound;
  }

  get connections(): number {
    return this.sockets.size;
  }

  pause(): void {
    if (this.closing || this.paused) return;
    this.paused = true;
    for (const socket of this.sockets) socket.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const socket of this.sockets) socket.resume();
  }

  /**
   * Stops accepting, half-closes every connection and reads on until each sender closes its side (what the kernel
   * acknowledged to the senders is data they consider delivered), for at most `graceMs`; then drops the rest.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Each connection's last message is delivered in its close handler: the spool must not close before.
    const drained = new Promise<void>((resolve) => {
      this.drained = resolve;
      if (this.sockets.size === 0) resolve();
    });
    for (const socket of this.sockets) {
      socket.resume();
      socket.end();
    }
    const timer = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, graceMs);
    await Promise.all([stopped, drained]);
    clearTimeout(timer);
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const peer = peerAddress(socket.remoteAddress);
    let batch: Buffer[] = [];
    const framer = new SyslogFramer(this.options.maxMessageBytes, (message) => batch.push(message), this.options.counters);
    const flush = () => {
      if (batch.length === 0) return;
      const messages = batch;
      batch = [];
      this.options.deliver(peer, messages);
    };
    this.sockets.add(socket);
    socket.setKeepAlive(true, KEEPALIVE_MS);
    if (this.paused) socket.pause();
    socket.on('data', (chunk: Buffer) => {
      framer.push(chunk);
      flush();
    });
    socket.on('error', (err) => this.options.logger.debug({ err, peer }, 'A syslog TCP connection failed.'));
    socket.once('close', () => {
      this.sockets.delete(socket);
      framer.end();
      flush();
      if (this.sockets.size === 0) this.drained?.();
    });
  }
}
