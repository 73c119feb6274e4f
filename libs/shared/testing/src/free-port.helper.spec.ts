import { createServer } from 'node:net';
import { freePort } from './free-port.helper';

describe('freePort', () => {
  it('returns a port that can be bound on 127.0.0.1', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, resolve);
    });
    expect(server.address()).toMatchObject({ port });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('does not return a port that is in use', async () => {
    const held = createServer();
    await new Promise<void>((resolve) => held.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const heldPort = (held.address() as { port: number }).port;
    const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    expect(ports).not.toContain(heldPort);
    await new Promise<void>((resolve) => held.close(() => resolve()));
  });
});
