import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { parseModelManifest, type ModelManifest } from '@triage/inference-domain';
import { HealthRegistry, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { Semaphore } from './concurrency';
import { InferenceException } from './inference.exception';
import { INFERENCE_OPTIONS, type InferenceOptions } from './inference.options';

/** A manifest and what became of it: loaded (with its cached session), refused (and why), or off. */
export interface RegisteredModel {
  manifest: ModelManifest;
  status: 'ready' | 'refused' | 'off';
  reason?: string;
  session?: InferenceSession;
}

/** A manifest file that could not be read or parsed at all. */
export interface RejectedManifest {
  file: string;
  reason: string;
}

/**
 * Loads the model manifests, checks each weights file against its sha256 (a different file is refused,
 * logged and reported by the `models` readiness check), keeps one ONNX Runtime session per model and
 * bounds how many model executions run at once.
 */
@Injectable()
export class ModelRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly logger: Logger;
  private models: RegisteredModel[] = [];
  private rejected: RejectedManifest[] = [];
  private readonly gate: Semaphore;

  constructor(
    @Inject(INFERENCE_OPTIONS) private readonly options: InferenceOptions,
    @Inject(ROOT_LOGGER) logger: Logger,
    private readonly health: HealthRegistry,
  ) {
    this.logger = logger.child({ component: 'model-registry' });
    this.gate = new Semaphore(options.maxConcurrentRuns);
  }

  async onModuleInit(): Promise<void> {
    this.health.register('models', () => this.checkReady());
    await this.load();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.models.map((m) => m.session?.release()));
    this.models = [];
  }

  /** (Re)reads every manifest and weights file. */
  async load(): Promise<void> {
    const files = (await readdir(this.options.manifestsDir)).filter((f) => f.endsWith('.json')).sort();
    const models: RegisteredModel[] = [];
    const rejected: RejectedManifest[] = [];
    for (const file of files) {
      let manifest: ModelManifest;
      try {
        manifest = parseModelManifest(JSON.parse(await readFile(join(this.options.manifestsDir, file), 'utf8')));
      } catch (err) {
        const reason = err instanceof Error ? err.message.slice(0, 400) : 'unreadable';
        this.logger.error({ file, reason }, 'model manifest rejected');
        rejected.push({ file, reason });
        continue;
      }
      models.push(await this.loadModel(manifest));
    }
    await Promise.all(this.models.map((m) => m.session?.release()));
    this.models = models;
    this.rejected = rejected;
  }

  private async loadModel(manifest: ModelManifest): Promise<RegisteredModel> {
    const ref = { modelId: manifest.id, modelVersion: manifest.version };
    const siteEnabled = Object.values(manifest.rollout?.siteModes ?? {}).some((m) => m !== 'off');
    if (manifest.mode === 'off' && !siteEnabled) {
      this.logger.info(ref, 'model is off; not loaded');
      return { manifest, status: 'off' };
    }
    const path = join(this.options.modelsDir, manifest.weights);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      return this.refuse(manifest, `weights file ${manifest.weights} not found in the models directory`);
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== manifest.sha256) {
      this.logger.error({ ...ref, expected: manifest.sha256, actual }, 'model weights refused: sha256 differs from the manifest');
      return this.refuse(manifest, `sha256 of ${manifest.weights} is ${actual}, manifest says ${manifest.sha256}`);
    }
    try {
      const session = await InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        intraOpNumThreads: this.options.intraOpNumThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      const missing = [
        session.inputNames.includes(manifest.input.name) ? undefined : manifest.input.name,
        session.outputNames.includes(manifest.output.tensor) ? undefined : manifest.output.tensor,
      ].filter((n): n is string => n !== undefined);
      if (missing.length) {
        await session.release();
        return this.refuse(manifest, `model has no tensor named ${missing.join(', ')}`);
      }
      this.logger.info({ ...ref, sha256: actual, mode: manifest.mode }, 'model loaded');
      return { manifest, status: 'ready', session };
    } catch (err) {
      return this.refuse(manifest, `ONNX Runtime could not load the model: ${err instanceof Error ? err.message.slice(0, 200) : 'error'}`);
    }
  }

  private refuse(manifest: ModelManifest, reason: string): RegisteredModel {
    this.logger.error({ modelId: manifest.id, modelVersion: manifest.version, reason }, 'model refused');
    return { manifest, status: 'refused', reason };
  }

  /** Every model with a valid manifest, in manifest file order. */
  list(): readonly RegisteredModel[] {
    return this.models;
  }

  /** Manifest files that could not be parsed. */
  rejectedManifests(): readonly RejectedManifest[] {
    return this.rejected;
  }

  /** Readiness: fails while any model that should run was refused or any manifest was rejected. */
  async checkReady(): Promise<void> {
    const problems = [
      ...this.models.filter((m) => m.status === 'refused').map((m) => `${m.manifest.id}@${m.manifest.version} refused (${m.reason})`),
      ...this.rejected.map((r) => `${r.file} rejected`),
    ];
    if (problems.length) throw new Error(problems.join('; '));
  }

  /** Runs one input plane through a ready model (bounded concurrency); returns the output tensor values. */
  async run(model: RegisteredModel, plane: Float32Array): Promise<Float32Array> {
    const { manifest, session } = model;
    if (model.status !== 'ready' || !session) {
      throw new InferenceException('MODEL_UNAVAILABLE', `model ${manifest.id}@${manifest.version} is not loaded: ${model.reason ?? model.status}`);
    }
    const shape = manifest.input.shape;
    const result = await this.gate.use(() => session.run({ [manifest.input.name]: new Tensor('float32', plane, shape) }));
    const out = result[manifest.output.tensor];
    if (!out || !(out.data instanceof Float32Array)) {
      throw new InferenceException('MODEL_OUTPUT_INVALID', `model ${manifest.id} gave no float32 tensor ${manifest.output.tensor}`);
    }
    return out.data;
  }
}
