import { createServer, type Server } from 'node:net';
import { isPortFree } from './port';

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

describe('isPortFree', () => {
  it('sees a port another program listens on as taken, and as free once it is closed', async () => {
    const { server, port } = await listen();
    expect(await isPortFree(port)).toBe(false);
    await new Promise((resolve) => server.close(resolve));
    expect(await isPortFree(port)).toBe(true);
  });
});
