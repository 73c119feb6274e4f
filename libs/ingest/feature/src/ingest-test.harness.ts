// Test harness (not exported): boots IngestFeatureModule with the mesh platform on a free loopback port.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@triage/config';
import { decodeEnvelope, EVENTS, type Envelope, type StudyReceived, type StudyUpdated } from '@triage/contracts';
import { InProcessEventBus } from '@triage/messaging';
import { MeshPlatformModule, RuntimeInfo } from '@triage/nest-platform';
import { createLogger } from '@triage/observability';
import { IngestFeatureModule } from './ingest-feature.module';

export interface IngestTestApp {
  app: INestApplication;
  bus: InProcessEventBus;
  url: string;
  dataDir: string;
  received: Envelope<StudyReceived>[];
  updated: Envelope<StudyUpdated>[];
  logLines: string[];
  close(): Promise<void>;
}

export function newDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'ingest-test-'));
}

export async function startIngest(opts: { dataDir?: string; env?: Record<string, string> } = {}): Promise<IngestTestApp> {
  const dataDir = opts.dataDir ?? newDataDir();
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ service: 'ingest', level: 'debug', destination });
  const bus = new InProcessEventBus(logger);
  await bus.connect();
  const received: Envelope<StudyReceived>[] = [];
  const updated: Envelope<StudyUpdated>[] = [];
  await bus.subscribe({
    groupId: 'test-observer',
    topics: [EVENTS.studyReceived.topic, EVENTS.studyUpdated.topic],
    handler: async (msg) => {
      if (msg.topic === EVENTS.studyUpdated.topic) updated.push(decodeEnvelope(EVENTS.studyUpdated, msg.value));
      else received.push(decodeEnvelope(EVENTS.studyReceived, msg.value));
    },
  });
  const runtime = new RuntimeInfo();
  const config = loadConfig({ DATA_DIR: dataDir, HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'debug' });

  @Module({
    imports: [MeshPlatformModule.forRoot({ services: ['ingest'], config, bus, logger, runtime }), IngestFeatureModule.forRoot({ ...opts.env })],
  })
  class TestModule {}

  const app = await NestFactory.create(TestModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  runtime.httpUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    bus,
    url: runtime.httpUrl,
    dataDir,
    received,
    updated,
    logLines,
    close: async () => {
      await app.close();
      await bus.disconnect();
    },
  };
}
