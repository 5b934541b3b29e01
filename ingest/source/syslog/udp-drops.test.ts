import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { KernelUdpDrops, parseUdpTable } from './udp-drops';
import { realMessage } from './messages.fixture';

function bind(type: 'udp4' | 'udp6', host: string, recvBufferSize?: number): Promise<Socket> {
  const socket = createSocket({ type, recvBufferSize });
  return new Promise((resolve) => socket.bind(0, host, () => resolve(socket)));
}

describe('kernel UDP drops', () => {
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
  });

  it('finds a bound socket by its port in the kernel’s tables of both families', async () => {
    const v4 = await bind('udp4', '127.0.0.1');
    const v6 = await bind('udp6', '::1');
    sockets.push(v4, v6);
    expect(parseUdpTable(readFileSync('/proc/net/udp', 'utf8')).get(v4.address().port)).toBe(0);
    expect(parseUdpTable(readFileSync('/proc/net/udp6', 'utf8')).get(v6.address().port)).toBe(0);
    expect(parseUdpTable(readFileSync('/proc/net/udp', 'utf8')).has(v6.address().port)).toBe(false);
  });

  it('counts the datagrams dropped for a socket that is not read, from the moment it starts', async () => {
    // A small receive buffer, and sends that all happen before this process next reads a socket: the kernel drops
    // what does not fit.
    const receiver = await bind('udp4', '127.0.0.1', 4096);
    const sender = await bind('udp4', '127.0.0.1');
    sockets.push(receiver, sender);
    const port = receiver.address().port;
    const meter = await KernelUdpDrops.start([
      { family: 4, port },
      { family: 4, port },
    ]);
    expect(meter.available).toBe(true);
    expect(await meter.poll()).toBe(0);
    const sent = 500;
    await Promise.all(
      Array.from({ length: sent }, (_, i) => new Promise<void>((resolve, reject) => sender.send(realMessage(i), port, '127.0.0.1', (err) => (err ? reject(err) : resolve())))),
    );
    const dropped = await meter.poll();
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThanOrEqual(sent);
    expect(dropped).toBe(parseUdpTable(readFileSync('/proc/net/udp', 'utf8')).get(port));
  });
});
