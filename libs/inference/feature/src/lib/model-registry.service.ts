import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { loadPixelCodecs, modesInUse, outputTensors, parseModelManifest, type ModelManifest } from '@triage/inference-domain';
import { HealthRegistry, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { QueueFullError, Semaphore } from './concurrency';
import { InferenceException } from './inference.exception';
import { DirectoryWatcher } from './manifest-watcher';
import { INFERENCE_OPTIONS, type InferenceOptions } from './inference.options';

/** A manifest and what became of it: loaded (with its cached session), refused (and why), or off. */
export interface RegisteredModel {
  manifest: ModelManifest;
  status: 'ready' | 'refused' | 'off';
  reason?: string;
  session?: InferenceSession;
}

/** The float32 output tensors of one run, by name. */
export type ModelOutputs = Record<string, { data: Float32Array; dims: readonly number[] }>;

/** A manifest file whose current content is not in use (invalid, or its model refused while an older one serves). */
export interface RejectedManifest {
  file: string;
  reason: string;
}

/** One manifest file's state: what it looked like when last read, and the model it yields. */
interface Entry {
  fingerprint: string;
  /** The weights file's name, size and mtime when the model was loaded. */
  weightsStamp?: string;
  model?: RegisteredModel;
  /** Set while the file's current content is not what serves (health reports it). */
  problem?: string;
}

/** The tensors a manifest names that a session does not have. */
function missingTensors(session: InferenceSession, manifest: ModelManifest): string[] {
  return [...(session.inputNames.includes(manifest.input.name) ? [] : [manifest.input.name]), ...outputTensors(manifest).filter((t) => !session.outputNames.includes(t))];
}

/**
 * Loads the model manifests, checks each weights file against its sha256 (a different file is refused,
 * logged and reported by the `models` readiness check), keeps one ONNX Runtime session per model and
 * bounds how many model executions run at once. With `options.reload` it re-reads the manifests when
 * they (or the weights) change: changed files are loaded and verified again, the new set replaces the
 * old in one assignment, and a file whose new content is invalid keeps its previous model serving.
 */
@Injectable()
export class ModelRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly logger: Logger;
  private entries = new Map<string, Entry>();
  private models: RegisteredModel[] = [];
  private readonly gate: Semaphore;
  private readonly outputNamesOf = new WeakMap<ModelManifest, string[]>();
  private watcher?: DirectoryWatcher;
  private reloading: Promise<void> = Promise.resolve();
  /** Runs in progress per session, so a replaced session is released only once idle. */
  private readonly inFlight = new Map<InferenceSession, number>();
  private readonly retired = new Set<InferenceSession>();

  constructor(
    @Inject(INFERENCE_OPTIONS) private readonly options: InferenceOptions,
    @Inject(ROOT_LOGGER) logger: Logger,
    private readonly health: HealthRegistry,
  ) {
    this.logger = logger.child({ component: 'model-registry' });
    this.gate = new Semaphore(options.maxConcurrentRuns, options.queueLimit);
  }

  async onModuleInit(): Promise<void> {
    this.health.register('models', () => this.checkReady());
    // The RLE/JPEG decoders (WebAssembly) load once, before the first study arrives.
    await loadPixelCodecs();
    await this.load();
    if (this.options.reload) {
      const dirs = [this.options.manifestsDir, this.options.modelsDir];
      this.watcher = new DirectoryWatcher(dirs, this.options.reload, () => void this.reload(), this.logger);
      this.watcher.start();
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.watcher?.stop();
    await this.reloading;
    const sessions = new Set([...this.models.map((m) => m.session), ...this.retired]);
    await Promise.all([...sessions].map((s) => s?.release()));
    this.retired.clear();
    this.models = [];
    this.entries = new Map();
  }

  /** Re-reads the manifests once the reloads already queued are done (reloads never overlap). */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.load()).catch((err: unknown) => {
      this.logger.error({ error: err instanceof Error ? err.message.slice(0, 400) : 'error' }, 'model reload failed; the previous models keep serving');
    });
    return this.reloading;
  }

  /** (Re)reads every manifest; unchanged files keep their sessions, changed ones are verified again. */
  async load(): Promise<void> {
    const files = (await readdir(this.options.manifestsDir)).filter((f) => f.endsWith('.json')).sort();
    const next = new Map<string, Entry>();
    let changed = files.length !== this.entries.size;
    for (const file of files) {
      const previous = this.entries.get(file);
      const { text, fingerprint, weightsStamp } = await this.fingerprint(file);
      if (previous && previous.fingerprint === fingerprint) {
        next.set(file, previous);
        continue;
      }
      changed = true;
      next.set(file, await this.loadEntry(file, text, { fingerprint, weightsStamp }, previous));
    }
    if (!changed) return;
    const old = this.models;
    this.entries = next;
    // The swap: one assignment, so a study sees either the whole old set or the whole new one.
    this.models = [...next.values()].flatMap((e) => (e.model ? [e.model] : []));
    this.retire(old);
    this.logger.info({ models: this.models.map((m) => `${m.manifest.id}@${m.manifest.version}:${m.status}`), rejected: this.rejectedManifests().length }, 'model manifests loaded');
  }

  /** Manifest text plus the weights file's size and mtime: a change to either reloads the model. */
  private async fingerprint(file: string): Promise<{ text: string; fingerprint: string; weightsStamp?: string }> {
    const text = await readFile(join(this.options.manifestsDir, file), 'utf8');
    let weightsStamp: string | undefined;
    try {
      const name = (JSON.parse(text) as { weights?: unknown }).weights;
      if (typeof name === 'string' && !name.includes('/') && !name.includes('\\')) {
        const st = await stat(join(this.options.modelsDir, name));
        weightsStamp = `${name}:${st.size}:${st.mtimeMs}`;
      }
    } catch {
      // Unparsable or missing weights: the manifest text alone identifies this state.
    }
    const fingerprint = createHash('sha256').update(text).update('\0').update(weightsStamp ?? 'no-weights').digest('hex');
    return { text, fingerprint, weightsStamp };
  }

  /**
   * The running session of the previous content of this file, when only the manifest changed (same
   * weights file, unchanged on disk, same sha256) and the session has the tensors the new manifest names:
   * a roll-out or threshold edit then applies without loading and hashing the weights again.
   */
  private reusable(previous: Entry | undefined, manifest: ModelManifest, weightsStamp: string | undefined): InferenceSession | undefined {
    const old = previous?.model;
    if (!old?.session || old.status !== 'ready' || !weightsStamp || previous?.weightsStamp !== weightsStamp) return undefined;
    if (old.manifest.sha256 !== manifest.sha256 || old.manifest.weights !== manifest.weights) return undefined;
    if (modesInUse(manifest).every((m) => m === 'off')) return undefined;
    return missingTensors(old.session, manifest).length === 0 ? old.session : undefined;
  }

  private async loadEntry(file: string, text: string, stamp: { fingerprint: string; weightsStamp?: string }, previous: Entry | undefined): Promise<Entry> {
    const { fingerprint, weightsStamp } = stamp;
    let manifest: ModelManifest;
    try {
      manifest = parseModelManifest(JSON.parse(text));
    } catch (err) {
      const reason = err instanceof Error ? err.message.slice(0, 400) : 'unreadable';
      this.logger.error({ file, reason, keepsServing: previous?.model ? `${previous.model.manifest.id}@${previous.model.manifest.version}` : undefined }, 'model manifest rejected');
      return { fingerprint, weightsStamp: previous?.weightsStamp, model: previous?.model, problem: reason };
    }
    const kept = this.reusable(previous, manifest, weightsStamp);
    if (kept) {
      this.logger.info({ file, modelId: manifest.id, modelVersion: manifest.version, mode: manifest.mode }, 'model manifest changed; weights unchanged, session kept');
      return { fingerprint, weightsStamp, model: { manifest, status: 'ready', session: kept } };
    }
    const model = await this.loadModel(manifest);
    if (model.status === 'refused' && previous?.model?.status === 'ready') {
      const serving = `${previous.model.manifest.id}@${previous.model.manifest.version}`;
      this.logger.error({ file, modelId: manifest.id, modelVersion: manifest.version, serving }, 'new model version refused; the previous one keeps serving');
      return { fingerprint, weightsStamp: previous.weightsStamp, model: previous.model, problem: `${serving} keeps serving; ${manifest.id}@${manifest.version} refused (${model.reason})` };
    }
    return { fingerprint, weightsStamp, model };
  }

  /** Releases the sessions of the old set that the new set no longer uses, each once it is idle. */
  private retire(old: readonly RegisteredModel[]): void {
    const kept = new Set(this.models.map((m) => m.session));
    for (const m of old) {
      if (!m.session || kept.has(m.session)) continue;
      if ((this.inFlight.get(m.session) ?? 0) > 0) this.retired.add(m.session);
      else void m.session.release();
    }
  }

  private async loadModel(manifest: ModelManifest): Promise<RegisteredModel> {
    const ref = { modelId: manifest.id, modelVersion: manifest.version };
    if (modesInUse(manifest).every((m) => m === 'off')) {
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
      const missing = missingTensors(session, manifest);
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

  /** Manifest files whose current content is not in use (invalid, or refused while an older model serves). */
  rejectedManifests(): readonly RejectedManifest[] {
    return [...this.entries].flatMap(([file, e]) => (e.problem ? [{ file, reason: e.problem }] : []));
  }

  /** Readiness: fails while any model that should run was refused or any manifest was rejected. */
  async checkReady(): Promise<void> {
    const problems = [
      ...this.models.filter((m) => m.status === 'refused').map((m) => `${m.manifest.id}@${m.manifest.version} refused (${m.reason})`),
      ...this.rejectedManifests().map((r) => `${r.file} rejected: ${r.reason.slice(0, 200)}`),
    ];
    if (problems.length) throw new Error(problems.join('; '));
  }

  /** Runs one input plane through a ready model (bounded concurrency); returns the main output tensor's values. */
  async run(model: RegisteredModel, plane: Float32Array): Promise<Float32Array> {
    return (await this.runOutputs(model, plane))[model.manifest.output.tensor].data;
  }

  /** Runs one input plane and returns every output the manifest names (probabilities, heatmap, measurements). */
  async runOutputs(model: RegisteredModel, plane: Float32Array): Promise<ModelOutputs> {
    const { manifest, session } = model;
    if (model.status !== 'ready' || !session) {
      throw new InferenceException('MODEL_UNAVAILABLE', `model ${manifest.id}@${manifest.version} is not loaded: ${model.reason ?? model.status}`);
    }
    const shape = manifest.input.shape;
    const names = this.outputNames(manifest);
    this.inFlight.set(session, (this.inFlight.get(session) ?? 0) + 1);
    let result: InferenceSession.OnnxValueMapType;
    try {
      result = await this.gate.use(() => session.run({ [manifest.input.name]: new Tensor('float32', plane, shape) }, names));
    } catch (err) {
      // Too much waiting already: give the study back to the transport, which retries it later.
      if (err instanceof QueueFullError) throw new InferenceException('OVERLOADED', `model executions queue full (${err.waiting} waiting)`, true);
      throw err;
    } finally {
      this.settle(session);
    }
    const out: ModelOutputs = {};
    for (const name of names) {
      const t = result[name];
      if (!t || !(t.data instanceof Float32Array)) {
        throw new InferenceException('MODEL_OUTPUT_INVALID', `model ${manifest.id} gave no float32 tensor ${name}`);
      }
      out[name] = { data: t.data, dims: t.dims };
    }
    return out;
  }

  /** outputTensors of a manifest, once per manifest object (it is immutable once loaded). */
  private outputNames(manifest: ModelManifest): string[] {
    let names = this.outputNamesOf.get(manifest);
    if (!names) this.outputNamesOf.set(manifest, (names = outputTensors(manifest)));
    return names;
  }

  private settle(session: InferenceSession): void {
    const left = (this.inFlight.get(session) ?? 1) - 1;
    if (left > 0) {
      this.inFlight.set(session, left);
      return;
    }
    this.inFlight.delete(session);
    if (this.retired.delete(session)) void session.release();
  }
}
