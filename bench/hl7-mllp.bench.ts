/**
 * HL7 v2 orders per second through the mesh's MLLP listener, against two ACK-only anchors, side by side in
 * one run, with the same client, messages and connection counts.
 *
 *   node -r @swc-node/register bench/hl7-mllp.bench.ts [--messages 2000] [--connections 1,4]
 *
 * The client sends ORM^O01 messages and waits for each ACK before the next one on its connection (as a
 * RIS interface engine does); several connections run at once. All servers listen on 127.0.0.1 with
 * TCP_NODELAY.
 * Ours: MllpDecoder framing → Hl7Message parse + header checks → order mapping → order and MSH-10 receipt
 * appended to the order journal and fdatasync'd (group commit; DATA_DIR on this disk) → context join → AA.
 * Durable: every AA is on disk.
 * Anchor 1: @medplum/hl7's Hl7Connection (its framing, Hl7Message parse) answering buildAck() AA, nothing
 * stored. Anchor 2: Debian python3-hl7's asyncio MLLP server (hl7.mllp) answering AA, nothing stored.
 * The anchors store nothing, so they are a ceiling for framing + parsing, not a like-for-like engine.
 */
import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Hl7Connection, type Hl7MessageEvent } from '@medplum/hl7';
import { loadConfig } from '@triage/config';
import { MllpDecoder, mllpFrame } from '@triage/mllp';
import { IngestFeatureModule, MllpServer } from '@triage/ingest-feature';
import { InProcessEventBus } from '@triage/messaging';
import { MeshPlatformModule, RuntimeInfo } from '@triage/nest-platform';
import { createLogger } from '@triage/observability';
import { freePort } from '@triage/testing';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('messages', '2000'));
const CONNECTIONS = arg('connections', '1,4').split(',').map(Number);
const runId = Date.now().toString(36).toUpperCase();

function orm(i: number): Buffer {
  return mllpFrame(
    Buffer.from(
      [
        `MSH|^~\\&|RIS|GENERAL|MESH|TELE|20261201100000||ORM^O01|B${runId}-${i}|P|2.5.1`,
        `PID|1||BENCH-${i % 500}^^^GENERAL^MR||BENCH^PATIENT||19500101|F`,
        'PV1|1|E|ED^^^GENERAL',
        `ORC|NW|PO-${i}|||||^^^^^S`,
        ['OBR', '1', `PO-${i}`, '', 'XRCHEST^XR Chest PA', ...Array(11).fill(''), '4711^HOUSE^GREGORY', '', `B${i}`, ...Array(12).fill(''), '^Cough'].join('|'),
      ].join('\r'),
    ),
  );
}

/** Sends `count` messages over `connections` connections (ACK before next); returns messages per second. */
async function drive(port: number, count: number, connections: number, offset: number): Promise<number> {
  const perConnection = Math.ceil(count / connections);
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: connections }, (_, c) =>
      new Promise<void>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, noDelay: true });
        const decoder = new MllpDecoder(1 << 20);
        let sent = 0;
        const next = () => (sent < perConnection ? socket.write(orm(offset + c * perConnection + sent++)) : socket.end());
        socket.on('connect', next);
        socket.on('data', (chunk: Buffer) => {
          for (const f of decoder.push(chunk)) {
            if (f.kind !== 'message' || !f.payload.includes('MSA|AA')) return reject(new Error(`unexpected answer: ${f.kind === 'message' ? f.payload.toString().slice(0, 120) : f.kind}`));
            next();
          }
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (perConnection * connections) / seconds;
}

async function startOurs(dataDir: string): Promise<{ port: number; close: () => Promise<void> }> {
  const logger = createLogger({ service: 'ingest', level: 'error' });
  const bus = new InProcessEventBus(logger);
  await bus.connect();
  const runtime = new RuntimeInfo();
  const config = loadConfig({ DATA_DIR: dataDir, HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'error' });
  @Module({ imports: [MeshPlatformModule.forRoot({ services: ['ingest'], config, bus, logger, runtime }), IngestFeatureModule.forRoot({ HL7_MLLP_PORT: '0' })] })
  class BenchModule {}
  const app = await NestFactory.create(BenchModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  runtime.httpUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  return {
    port: app.get(MllpServer).address()?.port ?? 0,
    close: async () => {
      await app.close();
      await bus.disconnect();
    },
  };
}

async function startMedplum(): Promise<{ port: number; close: () => Promise<void> }> {
  const port = await freePort();
  // Hl7Server.start() listens on every interface; the same Hl7Connection behind a loopback-only server.
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    const connection = new Hl7Connection(socket);
    connection.addEventListener('message', (event: Hl7MessageEvent) => connection.send(event.message.buildAck({ ackCode: 'AA' })));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const PYTHON_SERVER = `
import asyncio, sys, hl7, hl7.mllp
async def handle(reader, writer):
    try:
        while not writer.is_closing():
            message = await reader.readmessage()
            writer.writemessage(message.create_ack(ack_code='AA'))
            await writer.drain()
    except asyncio.IncompleteReadError:
        pass
    writer.close()
async def main():
    server = await hl7.mllp.start_hl7_server(handle, host='127.0.0.1', port=int(sys.argv[1]))
    print('ready', flush=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
`;

async function startPython(): Promise<{ port: number; close: () => Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn('/usr/bin/python3', ['-c', PYTHON_SERVER, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`python3-hl7 server exited with ${code}`)));
  });
  return {
    port,
    close: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-hl7-'));
  const sides = [
    ['ours: mesh MLLP listener (parse, map, sync, AA)', await startOurs(dataDir)],
    ['anchor: @medplum/hl7 Hl7Connection (AA only)', await startMedplum()],
    ['anchor: python3-hl7 hl7.mllp server (AA only)', await startPython()],
  ] as const;
  console.log(`messages per run: ${N}; client waits for each ACK; DATA_DIR ${dataDir}`);
  let offset = 0;
  for (const connections of CONNECTIONS) {
    const rates: number[] = [];
    for (const [name, side] of sides) {
      await drive(side.port, Math.min(200, N), connections, (offset += N)); // warm-up
      const rate = await drive(side.port, N, connections, (offset += N));
      rates.push(rate);
      console.log(`${String(connections).padStart(2)} conn  ${name.padEnd(52)} ${rate.toFixed(0).padStart(7)} msg/s`);
    }
    console.log(`${String(connections).padStart(2)} conn  ratio ours / medplum ${(rates[0] / rates[1]).toFixed(2)}x   ours / python3-hl7 ${(rates[0] / rates[2]).toFixed(2)}x`);
  }
  for (const [, side] of sides) await side.close();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
