import { createServer, type Server, type Socket } from 'node:net';
import { MllpClient, MllpExchangeError } from './mllp-client';
import { MllpDecoder, mllpFrame } from './mllp-framer';

const ACK = 'MSH|^~\\&|EHR|HOSP|MESH|TRIAGE|20261201120000||ACK^R01^ACK|A1|P|2.5.1\rMSA|AA|MSG-1\r';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A receiver whose answer to each message is decided by `reply` (it may write in pieces, or never). */
async function receiver(reply: (socket: Socket, message: string, n: number) => Promise<void> | void): Promise<{ server: Server; port: number; received: string[]; connections: () => number }> {
  const received: string[] = [];
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    const decoder = new MllpDecoder(1 << 20);
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) if (f.kind === 'message') {
        received.push(f.payload.toString());
        void reply(socket, f.payload.toString(), received.length);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, received, connections: () => connections };
}

describe('MllpClient', () => {
  const servers: Server[] = [];
  const clients: MllpClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });
  const client = (port: number) => {
    const c = new MllpClient({ host: '127.0.0.1', port, connectTimeoutMs: 2000, maxReplyBytes: 64 * 1024 });
    clients.push(c);
    return c;
  };

  it('reads an ACK split across TCP segments, <FS> and <CR> apart', async () => {
    const r = await receiver(async (socket) => {
      const frame = mllpFrame(Buffer.from(ACK));
      socket.write(frame.subarray(0, 10));
      await pause(30);
      socket.write(frame.subarray(10, frame.length - 1));
      await pause(30);
      socket.write(frame.subarray(frame.length - 1));
    });
    servers.push(r.server);
    const reply = await client(r.port).exchange(Buffer.from('MSH|^~\\&|MESH|TRIAGE|EHR|HOSP|20261201120000||ORU^R01|MSG-1|P|2.5.1\r'), 2000);
    expect(reply.toString()).toBe(ACK);
    expect(r.received).toHaveLength(1);
  });

  it('sends one message at a time on one connection, each with its own reply', async () => {
    const r = await receiver((socket, message, n) => void socket.write(mllpFrame(Buffer.from(`${ACK}NTE|${n}|${message.length}\r`))));
    servers.push(r.server);
    const c = client(r.port);
    const replies = await Promise.all([1, 2, 3].map((i) => c.exchange(Buffer.from(`MSH|${'x'.repeat(i)}\r`), 2000)));
    expect(replies.map((b) => b.toString().split('NTE|')[1])).toEqual(['1|6\r', '2|7\r', '3|8\r']);
    expect(r.connections()).toBe(1);
  });

  it('fails an exchange without a reply in time, and the next one starts on a fresh connection', async () => {
    const r = await receiver((socket, _m, n) => {
      if (n > 1) socket.write(mllpFrame(Buffer.from(ACK)));
    });
    servers.push(r.server);
    const c = client(r.port);
    await expect(c.exchange(Buffer.from('MSH|1\r'), 150)).rejects.toMatchObject({ code: 'timeout' });
    expect((await c.exchange(Buffer.from('MSH|2\r'), 2000)).toString()).toBe(ACK);
    expect(r.connections()).toBe(2);
  });

  it('fails when the receiver closes the connection or is not there', async () => {
    const r = await receiver((socket) => void socket.end());
    servers.push(r.server);
    await expect(client(r.port).exchange(Buffer.from('MSH|1\r'), 2000)).rejects.toBeInstanceOf(MllpExchangeError);
    const gone = await receiver(() => undefined);
    const port = gone.port;
    await new Promise((res) => gone.server.close(res));
    await expect(client(port).exchange(Buffer.from('MSH|1\r'), 2000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
