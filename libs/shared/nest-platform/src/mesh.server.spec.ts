import { Controller, Injectable, Module } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  createEnvelope,
  DLQ_HEADERS,
  deadLetterTopic,
  encodeEnvelope,
  EVENTS,
  newTraceContext,
  type Envelope,
  type ReportIssued,
} from '@triage/contracts';
import { loadConfig } from '@triage/config';
import { InProcessEventBus, type InboundMessage } from '@triage/messaging';
import { createLogger } from '@triage/observability';
import { Writable } from 'node:stream';
import { bootstrapMesh, type RunningMesh } from './bootstrap';
import { MeshEventContext } from './mesh-event.context';
import { MeshEventHandler } from './mesh-event.decorator';

const studyUid = '2.25.42';

function reportPayload(): ReportIssued {
  return {
    study: {
      studyInstanceUid: studyUid,
      modalities: ['CT'],
      patient: { id: 'SECRET-PATIENT-ID', name: 'SECRET^NAME' },
      context: { patientClass: 'unknown', orderPriority: 'unknown' },
      receivedAt: new Date().toISOString(),
    },
    reportId: 'r-1',
    status: 'preliminary',
    priority: 'routine',
    diagnosticReport: { resourceType: 'DiagnosticReport' },
    issuedAt: new Date().toISOString(),
  };
}

@Injectable()
class Recorder {
  seen: Array<{ eventId: string; group: string; attempt: number }> = [];
  failuresLeft = 0;
  alwaysFail = false;
  attempts: Array<{ eventId: string; attempt: number; finalAttempt: boolean }> = [];
}

@Controller()
class AuditLikeController {
  constructor(private readonly rec: Recorder) {}

  @MeshEventHandler(EVENTS.reportIssued, 'audit')
  async onReport(@Payload() env: Envelope<ReportIssued>, @Ctx() ctx: MeshEventContext): Promise<void> {
    this.rec.attempts.push({ eventId: env.eventId, attempt: ctx.data.attempt, finalAttempt: ctx.data.finalAttempt });
    if (this.rec.alwaysFail) throw new Error('database unavailable');
    if (this.rec.failuresLeft > 0) {
      this.rec.failuresLeft -= 1;
      throw new Error('transient');
    }
    this.rec.seen.push({ eventId: env.eventId, group: ctx.data.groupId, attempt: 0 });
  }
}

@Controller()
class OtherServiceController {
  constructor(private readonly rec: Recorder) {}

  @MeshEventHandler(EVENTS.reportIssued, 'reporting')
  async onReport(@Payload() env: Envelope<ReportIssued>, @Ctx() ctx: MeshEventContext): Promise<void> {
    this.rec.seen.push({ eventId: env.eventId, group: ctx.data.groupId, attempt: 0 });
  }
}

@Module({ controllers: [AuditLikeController, OtherServiceController], providers: [Recorder], exports: [Recorder] })
class TestFeatureModule {}

describe('MeshServer over the in-process bus', () => {
  let mesh: RunningMesh;
  let bus: InProcessEventBus;
  let logLines: string[];
  const dlq: InboundMessage[] = [];

  beforeAll(async () => {
    logLines = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logLines.push(chunk.toString());
        cb();
      },
    });
    const logger = createLogger({ service: 'test', destination: sink, level: 'debug' });
    bus = new InProcessEventBus(logger);
    await bus.connect();
    await bus.subscribe({
      groupId: 'dlq-reader',
      topics: [deadLetterTopic(EVENTS.reportIssued.topic)],
      handler: async (m) => {
        dlq.push(m);
      },
    });
    mesh = await bootstrapMesh({
      services: ['audit', 'reporting'],
      modules: () => [TestFeatureModule],
      defaultPort: 0,
      env: { MESH_MODE: 'embedded', HTTP_PORT: '0', LOG_LEVEL: 'debug', CONSUMER_MAX_ATTEMPTS: '3', CONSUMER_RETRY_BASE_MS: '5' },
      bus,
      logger,
    });
    expect(loadConfig({}).MESH_MODE).toBe('embedded');
  });

  afterAll(async () => {
    await mesh.close();
  });

  const rec = () => mesh.app.get(Recorder);

  function publish(env: Envelope) {
    return bus.publish(EVENTS.reportIssued.topic, [encodeEnvelope(env)]);
  }

  function validEnvelope() {
    return createEnvelope(EVENTS.reportIssued, reportPayload(), { source: 'reporting', subject: studyUid, trace: newTraceContext() });
  }

  it('delivers each event once to every service group that handles it', async () => {
    rec().seen = [];
    const env = validEnvelope();
    await publish(env);
    await bus.whenIdle();
    expect(rec().seen.map((s) => s.group).sort()).toEqual(['triage.audit', 'triage.reporting']);
    expect(rec().seen.every((s) => s.eventId === env.eventId)).toBe(true);
  });

  it('retries a failing handler with backoff and then succeeds', async () => {
    rec().seen = [];
    rec().failuresLeft = 2;
    await publish(validEnvelope());
    await bus.whenIdle();
    expect(rec().seen.filter((s) => s.group === 'triage.audit')).toHaveLength(1);
    expect(rec().failuresLeft).toBe(0);
  });

  it('dead-letters after the bounded attempts with the error and original headers, and keeps going', async () => {
    rec().seen = [];
    dlq.length = 0;
    rec().alwaysFail = true;
    const failing = validEnvelope();
    await publish(failing);
    await bus.whenIdle();
    rec().alwaysFail = false;
    expect(dlq).toHaveLength(1);
    expect(dlq[0].headers).toMatchObject({
      'event-id': failing.eventId,
      traceparent: failing.traceparent,
      [DLQ_HEADERS.errorCode]: 'HANDLER_FAILED',
      [DLQ_HEADERS.attempts]: '3',
      [DLQ_HEADERS.consumerGroup]: 'triage.audit',
      [DLQ_HEADERS.originalTopic]: EVENTS.reportIssued.topic,
    });
    expect(dlq[0].headers[DLQ_HEADERS.error]).toContain('database unavailable');
    // The handler was told which attempt it was in, and that the third was the last before the DLQ.
    expect(rec().attempts.filter((a) => a.eventId === failing.eventId)).toEqual([
      { eventId: failing.eventId, attempt: 1, finalAttempt: false },
      { eventId: failing.eventId, attempt: 2, finalAttempt: false },
      { eventId: failing.eventId, attempt: 3, finalAttempt: true },
    ]);
    expect(JSON.parse(dlq[0].value!.toString()).eventId).toBe(failing.eventId);

    const next = validEnvelope();
    await publish(next);
    await bus.whenIdle();
    expect(rec().seen.filter((s) => s.eventId === next.eventId)).toHaveLength(2);
  });

  it('dead-letters a message that fails its schema at once, without retrying, and without PHI in logs', async () => {
    dlq.length = 0;
    rec().seen = [];
    const env = validEnvelope();
    const broken = { ...env, payload: { ...env.payload, priority: 'whenever' } };
    await bus.publish(EVENTS.reportIssued.topic, [{ ...encodeEnvelope(env), value: Buffer.from(JSON.stringify(broken)) }]);
    await bus.publish(EVENTS.reportIssued.topic, [{ key: studyUid, value: Buffer.from('not json'), headers: {} }]);
    await bus.whenIdle();
    expect(dlq.map((m) => m.headers[DLQ_HEADERS.errorCode]).sort()).toEqual(['NOT_JSON', 'NOT_JSON', 'PAYLOAD_INVALID', 'PAYLOAD_INVALID']);
    expect(dlq.every((m) => m.headers[DLQ_HEADERS.attempts] === '1')).toBe(true);
    expect(rec().seen).toHaveLength(0);
    const all = logLines.join('\n');
    expect(all).not.toContain('SECRET-PATIENT-ID');
    expect(all).not.toContain('SECRET^NAME');
  });

  it('logs each HTTP request under the caller traceparent, without its query string', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    logLines.length = 0;
    const res = await fetch(`${mesh.url}/nowhere?PatientName=SECRET%5ENAME`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(res.status).toBe(404);
    expect(res.headers.get('traceparent')).toContain(traceId);
    const line = logLines.map((l) => JSON.parse(l)).find((l) => l.component === 'http');
    expect(line).toMatchObject({ method: 'GET', path: '/nowhere', status: 404, traceId });
    expect(logLines.join('')).not.toContain('SECRET');
  });

  it('answers liveness and readiness over HTTP', async () => {
    const live = await fetch(`${mesh.url}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${mesh.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { 'bus:in-process': { status: 'ok' } } });
  });
});
