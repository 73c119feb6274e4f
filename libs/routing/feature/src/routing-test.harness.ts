// Test harness (not exported): the routing service on the in-process bus, with a controllable clock.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  createEnvelope,
  decodeEnvelope,
  EVENTS,
  newTraceContext,
  type AlertChanged,
  type AssignmentChanged,
  type Envelope,
  type EventDefinition,
  type Finding,
  type InferenceCompleted,
  type InferenceRun,
  type PriorityDecided,
  type ReadSigned,
  type StudyRef,
} from '@triage/contracts';
import { InProcessEventBus } from '@triage/messaging';
import { bootstrapMesh, type RunningMesh } from '@triage/nest-platform';
import { createLogger } from '@triage/observability';
import { RoutingFeatureModule } from './routing-feature.module';
import { RoutingService } from './routing.service';

export const T0 = new Date('2026-11-23T10:00:00Z'); // a Monday

/** Readers for the tests: on shift Mon-Fri 08:00-18:00 UTC, licensed for S1 (and S2 by jurisdiction for gen). */
export const TEST_READERS = [
  { id: 'neo', name: 'Neuro One', subspecialties: ['neuro'], licences: [{ site: 'S1' }], shifts: [{ kind: 'weekly', timeZone: 'UTC', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }], maxConcurrent: 2 },
  { id: 'gen', name: 'General One', subspecialties: ['general'], licences: [{ jurisdiction: 'UK' }], shifts: [{ kind: 'weekly', timeZone: 'UTC', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }], maxConcurrent: 3 },
  { id: 'boss', name: 'Supervisor', subspecialties: ['general'], licences: [{ site: 'S1' }], shifts: [], maxConcurrent: 5, supervisor: true },
];

export const PATIENT = { id: 'UNIT-PHI-4471', name: 'UNITTEST^PHINAME', birthDate: '1950-03-04' };

export const ICH: Finding = { label: 'hyperdensity', kind: 'finding', code: { system: 'http://radelement.org', code: 'RDE1300', display: 'Intracranial hemorrhage' }, probability: 0.93, threshold: 0.5, positive: true, critical: true };

export function run(findings: Finding[], modelId = 'head-ct-hyperdensity'): InferenceRun {
  return { modelId, modelVersion: '1.0.0', modelSha256: 'e'.repeat(64), mode: 'active', status: 'succeeded', startedAt: T0.toISOString(), latencyMs: 10, findings };
}

let seq = 0;
export function study(kind: 'head-ct' | 'cxr', ctx: Partial<StudyRef['context']>, receivedAt: Date): StudyRef {
  seq += 1;
  const head = kind === 'head-ct';
  return {
    studyInstanceUid: `2.25.${Date.now()}${seq}`,
    accessionNumber: `ACC${seq}`,
    modalities: [head ? 'CT' : 'DX'],
    bodyPart: head ? 'HEAD' : 'CHEST',
    patient: PATIENT,
    context: { patientClass: 'outpatient', orderPriority: 'routine', site: 'S1', ...ctx },
    receivedAt: receivedAt.toISOString(),
  };
}

export interface RoutingTestApp {
  mesh: RunningMesh;
  url: string;
  dataDir: string;
  clock: { now: Date };
  logLines: string[];
  events: { decided: Envelope<PriorityDecided>[]; assignments: Envelope<AssignmentChanged>[]; alerts: Envelope<AlertChanged>[]; reads: Envelope<ReadSigned>[] };
  send(study: StudyRef, runs: InferenceRun[], eventId?: string): Promise<Envelope<InferenceCompleted>>;
  update(study: StudyRef, revision: number): Promise<void>;
  tick(): Promise<void>;
  advance(minutes: number): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are asserted field by field in the tests
  http(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startRouting(opts: { dataDir?: string; env?: Record<string, string>; now?: Date } = {}): Promise<RoutingTestApp> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'routing-test-'));
  const readersFile = join(dataDir, 'readers.json');
  writeFileSync(readersFile, JSON.stringify(TEST_READERS));
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ service: 'routing', level: 'debug', destination });
  const bus = new InProcessEventBus(logger);
  const clock = { now: opts.now ?? T0 };
  const env = { ROUTING_READERS_FILE: readersFile, ROUTING_JURISDICTIONS: 'S1=UK,S2=UK', ROUTING_TICK_MS: '600000', ...opts.env };
  const events: RoutingTestApp['events'] = { decided: [], assignments: [], alerts: [], reads: [] };
  const observe = async <T>(def: EventDefinition, into: Envelope<T>[]) =>
    bus.subscribe({ groupId: `observer-${def.type}`, topics: [def.topic], handler: async (m) => void into.push(decodeEnvelope(def, m.value) as Envelope<T>) });
  await bus.connect();
  await observe(EVENTS.priorityDecided, events.decided);
  await observe(EVENTS.assignmentChanged, events.assignments);
  await observe(EVENTS.alertChanged, events.alerts);
  await observe(EVENTS.readSigned, events.reads);
  const mesh = await bootstrapMesh({
    services: ['routing'],
    modules: () => [RoutingFeatureModule.forRoot({ env, clock: () => clock.now })],
    defaultPort: 0,
    env: { DATA_DIR: dataDir, HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', LOG_LEVEL: 'debug' },
    bus,
    logger,
  });
  const routing = mesh.app.get(RoutingService);
  return {
    mesh,
    url: mesh.url,
    dataDir,
    clock,
    logLines,
    events,
    async send(s, runs, eventId) {
      const env = createEnvelope(EVENTS.inferenceCompleted, { study: s, runs }, { source: 'inference', subject: s.studyInstanceUid, trace: newTraceContext(), eventId });
      await routing.onInferenceCompleted(env);
      return env;
    },
    async update(s, revision) {
      const payload = {
        study: s,
        series: [{ seriesInstanceUid: `${s.studyInstanceUid}.1`, modality: s.modalities[0], instances: [{ sopInstanceUid: `${s.studyInstanceUid}.1.1`, sopClassUid: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxUid: '1.2.840.10008.1.2.1', sizeBytes: 1000, sha256: 'a'.repeat(64) }] }],
        instanceCount: 1,
        origin: { protocol: 'stow-rs' as const },
        retrieveUrl: `http://127.0.0.1:8080/dicomweb/studies/${s.studyInstanceUid}`,
        changes: ['context-updated' as const],
        revision,
        addedInstanceCount: 0,
      };
      await routing.onStudyUpdated(createEnvelope(EVENTS.studyUpdated, payload, { source: 'ingest', subject: s.studyInstanceUid, trace: newTraceContext() }));
    },
    tick: () => routing.tick(),
    advance(minutes) {
      clock.now = new Date(clock.now.getTime() + minutes * 60_000);
    },
    async http(method, path, body) {
      const res = await fetch(`${mesh.url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // plain text answer
      }
      return { status: res.status, body: parsed };
    },
    close: () => mesh.close(),
  };
}
