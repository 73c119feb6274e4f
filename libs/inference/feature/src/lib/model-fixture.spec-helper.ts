import { createEnvelope, type EventDefinition, type Envelope } from '@triage/contracts';
import type { EventPublisher, PublishOptions } from '@triage/nest-platform';
import { createLogger, type Logger } from '@triage/observability';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { z } from 'zod';
import { HealthRegistry, RuntimeInfo } from '@triage/nest-platform';
import { HeatmapStore } from './heatmap.repository';
import type { InferenceOptions } from './inference.options';
import { InferenceService } from './inference.service';
import { ModelRegistry } from './model-registry.service';
import { MemorySource } from './study-fixture.spec-helper';

const REPO_ROOT = join(__dirname, '../../../../..');
let builtOnce: string | undefined;

/** Builds the reference weights with the project's own script (once per test file). */
function builtModels(): string {
  if (!builtOnce) {
    builtOnce = mkdtempSync(join(tmpdir(), 'triage-models-'));
    execFileSync(process.execPath, ['-r', '@swc-node/register', 'tools/models/build-reference-models.ts', builtOnce], { cwd: REPO_ROOT, stdio: 'ignore' });
    process.once('exit', () => rmSync(builtOnce as string, { recursive: true, force: true }));
  }
  return builtOnce;
}

/** A temp copy of the committed manifests and freshly built reference weights. */
export function modelFixture(): { dir: string; options: InferenceOptions; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'triage-inference-'));
  const manifestsDir = join(dir, 'manifests');
  const modelsDir = join(dir, 'build');
  cpSync(join(REPO_ROOT, 'models', 'manifests'), manifestsDir, { recursive: true });
  cpSync(builtModels(), modelsDir, { recursive: true });
  return {
    dir,
    options: {
      manifestsDir,
      modelsDir,
      heatmapsDir: join(dir, 'heatmaps'),
      intraOpNumThreads: 1,
      maxConcurrentRuns: 1,
      fetchConcurrency: 4,
      fetchTimeoutMs: 5000,
      allowedOrigins: [],
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A logger whose lines are kept for assertions (e.g. that no patient data was logged). */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ service: 'inference', level: 'debug', destination }), lines };
}

/** Stands in for the platform's publisher: builds the same contract-checked envelopes and keeps them. */
export class RecordingPublisher {
  readonly published: Envelope[] = [];

  async publish<S extends z.ZodType>(event: EventDefinition<S>, payload: z.input<S>, opts: PublishOptions): Promise<Envelope<z.infer<S>>> {
    const env = createEnvelope(event, payload, { source: opts.source, subject: opts.subject, trace: { traceId: opts.traceId }, eventId: opts.eventId });
    this.published.push(env);
    return env;
  }

  asPublisher(): EventPublisher {
    return this as unknown as EventPublisher;
  }
}

/** A started registry and an InferenceService over an in-memory DICOMweb source, on a fixture's models. */
export interface InferenceHarness {
  fixture: ReturnType<typeof modelFixture>;
  registry: ModelRegistry;
  service: InferenceService;
  source: MemorySource;
  publisher: RecordingPublisher;
  heatmaps: HeatmapStore;
  lines: string[];
  stop(): Promise<void>;
}

/** A heatmap store in the fixture's directory, with URLs under a fixed test address. */
export function testHeatmaps(options: InferenceOptions): HeatmapStore {
  const runtime = new RuntimeInfo();
  runtime.httpUrl = 'http://127.0.0.1:8081';
  return new HeatmapStore(options, runtime);
}

export async function inferenceHarness(overrides: Partial<InferenceOptions> = {}): Promise<InferenceHarness> {
  const fixture = modelFixture();
  const options = { ...fixture.options, ...overrides };
  const { logger, lines } = capturingLogger();
  const registry = new ModelRegistry(options, logger, new HealthRegistry());
  await registry.onModuleInit();
  const heatmaps = testHeatmaps(options);
  const publisher = new RecordingPublisher();
  const source = new MemorySource();
  const service = new InferenceService(registry, source, publisher.asPublisher(), options, logger, heatmaps);
  return {
    fixture: { ...fixture, options },
    registry,
    service,
    source,
    publisher,
    heatmaps,
    lines,
    stop: async () => {
      await registry.onModuleDestroy();
      fixture.cleanup();
    },
  };
}
