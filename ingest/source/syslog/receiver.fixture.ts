/** Test support for the syslog receiver: real sockets on loopback, and a logger whose lines a test can read. */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as tcpConnect, type Socket } from 'node:net';
import pino from 'pino';
import type { Logger } from '../../../common/log';
import type { ListenAddress } from './listen';
import type { SyslogReceiver } from './receiver';

export const LOOPBACK: ListenAddress[] = [
  { transport: 'udp', host: '127.0.0.1', port: 0 },
  { transport: 'tcp', host: '127.0.0.1', port: 0 },
];

export function portOf(receiver: SyslogReceiver, transport: 'udp' | 'tcp'): number {
  return receiver.addresses.find((a) => a.transport === transport)!.port;
}

export interface LogEntry {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export function capturingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => entries.push(JSON.parse(line) as LogEntry) });
  return { logger, entries };
}

export function connectTcp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes everything, then half-closes; resolves once the receiver has closed its side too. */
export function sendAndClose(socket: Socket, chunks: readonly Buffer[]): Promise<void> {
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  for (const chunk of chunks) socket.write(chunk);
  socket.end();
  return closed;
}

export async function udpSender(): Promise<UdpSocket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return socket;
}

/** Sends each message as a datagram; resolves with how many the sending kernel took. */
export async function sendDatagrams(socket: UdpSocket, port: number, messages: readonly string[]): Promise<number> {
  const results = await Promise.all(
    messages.map((m) => new Promise<boolean>((resolve) => socket.send(m, port, '127.0.0.1', (err) => resolve(!err)))),
  );
  return results.filter(Boolean).length;
}

export function closeUdp(socket: UdpSocket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}
