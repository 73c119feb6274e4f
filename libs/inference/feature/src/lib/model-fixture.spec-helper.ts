import { createEnvelope, type EventDefinition, type Envelope } from '@triage/contracts';
import type { EventPublisher, PublishOptions } from '@triage/nest-platform';
import { createLogger, type Logger } from '@triage/observability';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { z } from 'zod';
import type { InferenceOptions } from './inference.options';

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
    options: { manifestsDir, modelsDir, intraOpNumThreads: 1, maxConcurrentRuns: 1, fetchConcurrency: 4, fetchTimeoutMs: 5000, allowedOrigins: [] },
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
