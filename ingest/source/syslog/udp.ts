import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { SourceError } from '../../../common/errors';
import type { Logger } from '../../../common/log';
import { type FramingCounters, frameDatagram } from './framing';
import { formatListenAddress, type ListenAddress } from './listen';
import { peerAddress } from './record';
import type { IpFamily } from './udp-drops';

export interface UdpSyslogOptions {
  maxMessageBytes: number;
  receiveBufferBytes: number;
  counters: FramingCounters;
  logger: Logger;
  /** Whether a datagram can be taken now; when not, it is dropped and `dropped` is called. */
  accepting(): boolean;
  dropped(): void;
  deliver(peer: string, messages: Buffer[]): void;
}

/** Syslog over UDP, a message per datagram. UDP cannot hold a sender back: what cannot be taken is dropped, and counted. */
export class UdpSyslogListener {
  private bound: ListenAddress;

  private constructor(
    private readonly socket: Socket,
    address: ListenAddress,
    readonly family: IpFamily,
  ) {
    this.bound = address;
  }

  static async listen(address: ListenAddress, options: UdpSyslogOptions): Promise<UdpSyslogListener> {
    const family: IpFamily = isIP(address.host) === 6 ? 6 : 4;
    const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', recvBufferSize: options.receiveBufferBytes });
    const listener = new UdpSyslogListener(socket, address, family);
    socket.on('message', (datagram, rinfo) => {
      if (!options.accepting()) {
        options.dropped();
        return;
      }
      const message = frameDatagram(datagram, options.maxMessageBytes, options.counters);
      if (message.length > 0) options.deliver(peerAddress(rinfo.address), [message]);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: address.host, port: address.port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      socket.close();
      throw new SourceError(`The syslog receiver cannot listen on ${formatListenAddress(address)} (${err.code ?? err.message}).`, err, { address: formatListenAddress(address) });
    });
    listener.bound = { ...address, port: socket.address().port };
    socket.on('error', (err) => options.logger.error({ err, address: formatListenAddress(listener.bound) }, 'The syslog UDP listener failed.'));
    return listener;
  }

  get address(): ListenAddress {
    return this.bound;
  }

  /** The receive buffer the kernel granted: Linux reports twice what it allows for data, capped by net.core.rmem_max. */
  get receiveBufferBytes(): number {
    return this.socket.getRecvBufferSize();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
