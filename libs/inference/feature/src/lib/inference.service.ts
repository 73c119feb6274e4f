import { Inject, Injectable } from '@nestjs/common';
import { derivedEventId, EVENTS, type Envelope, type Finding, type InferenceCompleted, type InferenceRun, type StudyReceived } from '@triage/contracts';
import {
  activate,
  aggregate,
  assessImageQuality,
  decodeDicomImage,
  decodeFindings,
  decodeMeasurements,
  effectiveMode,
  findIncompleteSeries,
  heatmapPlane,
  imagesForViews,
  modelInput,
  orderSlices,
  inputGeometry,
  volumeInput,
  preprocessFrame,
  PointKernel,
  qualityFinding,
  selectSeries,
  wrongBodyPartFindings,
  type DicomImage,
  type HeatmapPlane,
  type SeriesSelection,
  type Slice,
} from '@triage/inference-domain';
import { EventPublisher, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { performance } from 'node:perf_hooks';
import { mapLimit } from './concurrency';
import { HeatmapStore } from './heatmap.repository';
import { InferenceException } from './inference.exception';
import { INFERENCE_OPTIONS, type InferenceOptions } from './inference.options';
import { INSTANCE_SOURCE, type InstanceSource } from './instance.repository';
import { ModelRegistry, type RegisteredModel } from './model-registry.service';

/** Instances fetched for one study, shared by the models that read the same series. */
type ImageCache = Map<string, Promise<DicomImage>>;

function isRetryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true;
}

type ModelPlan =
  | { mode: 'active' | 'shadow'; selection: SeriesSelection; incomplete?: undefined }
  | { mode: 'active' | 'shadow'; selection?: undefined; incomplete: { instances: number; minimum: number } };

/** Whether and how a model runs on a study: its mode here, and the series it reads or the one too short to read. */
function planFor(model: RegisteredModel, study: StudyReceived): ModelPlan | undefined {
  const mode = effectiveMode(model.manifest, { studyInstanceUid: study.study.studyInstanceUid, site: study.study.context.site });
  if (mode === 'off') return undefined;
  const selection = selectSeries(model.manifest, study);
  if (selection) return { mode, selection };
  const incomplete = findIncompleteSeries(model.manifest, study);
  return incomplete ? { mode, incomplete } : undefined;
}

/** A run of a model that did not run, and why. */
function notRunRecord(model: RegisteredModel, mode: 'active' | 'shadow', error: string, findings: Finding[] = []): InferenceRun {
  const { manifest } = model;
  return { modelId: manifest.id, modelVersion: manifest.version, modelSha256: manifest.sha256, mode, startedAt: new Date().toISOString(), status: 'failed', error, latencyMs: 0, findings };
}

/** A failure reason fit for the event: error type and message (PHI-free by construction), bounded. */
function describe(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error';
  return text.slice(0, 512);
}

/**
 * The AI pre-read of a study: picks the models that apply, fetches the pixels over DICOMweb, runs each
 * model slice by slice, aggregates and decodes findings, and publishes `inference.completed`.
 */
@Injectable()
export class InferenceService {
  private readonly logger: Logger;
  /** Preprocessing kernels not in use: one per run in progress, so a plane is never overwritten before its session.run. */
  private readonly idleKernels: PointKernel[] = [];

  constructor(
    private readonly registry: ModelRegistry,
    @Inject(INSTANCE_SOURCE) private readonly source: InstanceSource,
    private readonly publisher: EventPublisher,
    @Inject(INFERENCE_OPTIONS) private readonly options: InferenceOptions,
    @Inject(ROOT_LOGGER) logger: Logger,
    private readonly heatmaps: HeatmapStore,
  ) {
    this.logger = logger.child({ component: 'inference' });
  }

  /**
   * Handles `study.received`: runs the study and publishes the result under a deterministic event id. A
   * retryable failure (the DICOMweb peer unreachable, the execution queue full) is thrown for the transport
   * to retry, except on the delivery's last attempt (`finalAttempt`): then the study is published with a
   * failed run per applicable model, so it still reaches a worklist, read without the AI pre-read, instead of
   * waiting in the dead-letter topic while nobody reads it.
   */
  async handleStudyReceived(env: Envelope<StudyReceived>, delivery: { finalAttempt?: boolean } = {}): Promise<Envelope<InferenceCompleted>> {
    let payload: InferenceCompleted;
    try {
      payload = await this.runStudy(env.payload);
    } catch (err) {
      if (!delivery.finalAttempt || !isRetryable(err)) throw err;
      payload = this.notRun(env.payload, err);
      this.logger.error(
        { studyInstanceUid: env.payload.study.studyInstanceUid, reason: describe(err), models: payload.runs.length },
        'AI pre-read unavailable on the last delivery attempt; the study goes on without it',
      );
    }
    // A redelivered input yields the same output event id, so consumers de-duplicate it.
    const eventId = derivedEventId(env.eventId, EVENTS.inferenceCompleted.type);
    return this.publisher.publish(EVENTS.inferenceCompleted, payload, {
      source: 'inference',
      subject: env.payload.study.studyInstanceUid,
      traceId: env.traceId,
      eventId,
    });
  }

  /**
   * Runs every applicable model over the study. A model that cannot run on this study (refused
   * weights, unsupported transfer syntax, an instance the server refuses) is reported as a failed run;
   * a peer that is unreachable makes the whole call throw so the message is retried.
   */
  async runStudy(study: StudyReceived): Promise<InferenceCompleted> {
    const cache: ImageCache = new Map();
    // Fan-out: every applicable model at once; the registry's gate bounds the executions.
    const runs = await Promise.all(this.registry.list().map((model) => this.planRun(model, study, cache)));
    return { study: study.study, runs: runs.filter((r): r is InferenceRun => r !== undefined) };
  }

  /** The study with a failed run for each model that would have run on it (the last attempt failed). */
  private notRun(study: StudyReceived, err: unknown): InferenceCompleted {
    const error = `not run: ${describe(err)} (the last delivery attempt failed; read without the AI pre-read)`.slice(0, 512);
    const runs = this.registry.list().flatMap((model) => {
      const plan = planFor(model, study);
      return plan ? [notRunRecord(model, plan.mode, error)] : [];
    });
    return { study: study.study, runs };
  }

  /** One model on one study: not at all (off, not applicable), as an incomplete-series report, or a run. */
  private async planRun(model: RegisteredModel, study: StudyReceived, cache: ImageCache): Promise<InferenceRun | undefined> {
    const plan = planFor(model, study);
    if (!plan) return undefined;
    if (plan.selection) return this.runModel(model, plan.mode, plan.selection, study, cache);
    return this.incompleteRun(model, plan.mode, plan.incomplete.instances, plan.incomplete.minimum);
  }

  private async runModel(
    model: RegisteredModel,
    mode: 'active' | 'shadow',
    selection: SeriesSelection,
    study: StudyReceived,
    cache: ImageCache,
  ): Promise<InferenceRun | undefined> {
    const { manifest } = model;
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    const deadline = t0 + (this.options.runTimeoutMs ?? Number.POSITIVE_INFINITY);
    const base = { modelId: manifest.id, modelVersion: manifest.version, modelSha256: manifest.sha256, mode, startedAt };
    try {
      const images = await mapLimit(selection.instances, this.options.fetchConcurrency, (i) =>
        this.image(cache, study, selection.seriesInstanceUid, i.sopInstanceUid),
      );
      // The view is only known from the images: a model for PA/AP films does not see a lateral.
      const usable = imagesForViews(manifest, images);
      if (usable.length < manifest.applicability.minInstances) {
        this.logger.info({ modelId: manifest.id, modelVersion: manifest.version, images: images.length, views: manifest.applicability.views }, 'model not applicable: no image of its views');
        return undefined;
      }
      const { findings, measurements, heatmap, slices } = await this.evaluate(model, usable, study.study.studyDescription, deadline);
      // The heatmap names the instance as the study index knows it (the UID the event carried).
      const sopOf = new Map(images.map((img, i) => [img, selection.instances[i].sopInstanceUid]));
      await this.attachHeatmap(model, study, findings, heatmap, sopOf);
      const latencyMs = performance.now() - t0;
      this.logger.info(
        { modelId: manifest.id, modelVersion: manifest.version, mode, slices, positive: findings.filter((f) => f.positive).map((f) => f.label), latencyMs },
        'model run succeeded',
      );
      return { ...base, status: 'succeeded', latencyMs, findings, ...(measurements.length ? { measurements } : {}) };
    } catch (err) {
      if (isRetryable(err)) throw err;
      const error = describe(err);
      this.logger.warn({ modelId: manifest.id, modelVersion: manifest.version, mode, error }, 'model run failed');
      return { ...base, status: 'failed', error, latencyMs: performance.now() - t0, findings: [] };
    }
  }

  /**
   * The inference stage with the pixels in hand (no fetch, no decode, no file written): slices ordered,
   * preprocessed and run, outputs aggregated and decoded into findings (model, quality, body part),
   * measurements, and the heatmap plane of the best slice.
   */
  async evaluate(model: RegisteredModel, images: readonly DicomImage[], studyDescription?: string, deadline = Number.POSITIVE_INFINITY) {
    const { manifest } = model;
    const slices = await this.runSlices(model, orderSlices(images), deadline);
    const findings = [
      ...decodeFindings(manifest, aggregate(slices.probabilities, manifest.aggregation)),
      ...assessImageQuality(images),
      ...wrongBodyPartFindings(studyDescription, images),
    ];
    return { findings, measurements: decodeMeasurements(manifest, slices.measurements), heatmap: slices.heatmap, slices: slices.probabilities.length };
  }

  /**
   * Runs the slices in order, one at a time (the gate decides when), keeping per slice the activated
   * outputs and measurements, and the heatmap of the slice that scores highest on the heatmap's label.
   * Past the deadline the run stops at the next slice. Each slice awaits the runtime, so the event loop
   * (and with it the consumer's heartbeat) keeps going however long the series is.
   */
  private async runSlices(model: RegisteredModel, slices: readonly Slice[], deadline: number) {
    const { manifest } = model;
    if (manifest.input.layout === 'NCDHW') return this.runVolume(model, slices, deadline);
    const hm = manifest.output.heatmap;
    const hmIndex = hm ? manifest.output.labels.find((l) => l.label === hm.label)?.index : undefined;
    const probabilities: number[][] = [];
    const measurements: number[][] = [];
    let heatmap: { score: number; slice: Slice; plane: HeatmapPlane } | undefined;
    // The plane of a slice lives in this run's kernel until the next slice: its run is awaited first.
    const kernel = this.idleKernels.pop() ?? new PointKernel();
    try {
      for (const slice of slices) {
        if (performance.now() > deadline) {
          throw new InferenceException('RUN_TIMEOUT', `model ${manifest.id}@${manifest.version} ran past ${this.options.runTimeoutMs} ms after ${probabilities.length} of ${slices.length} slices`);
        }
        const plane = preprocessFrame(slice.image, slice.frame, manifest.preprocessing, kernel);
        const outputs = await this.registry.runOutputs(model, modelInput(plane, manifest));
        const p = activate(outputs[manifest.output.tensor].data, manifest.output.activation);
        probabilities.push(p);
        measurements.push(manifest.output.measurements.map((m) => outputs[m.tensor].data[m.index] ?? Number.NaN));
        if (hm && hmIndex !== undefined && (!heatmap || p[hmIndex] > heatmap.score)) {
          const t = outputs[hm.tensor];
          heatmap = { score: p[hmIndex], slice, plane: heatmapPlane(t.data, t.dims) };
        }
      }
    } finally {
      this.idleKernels.push(kernel);
    }
    return { probabilities, measurements, heatmap };
  }

  /** A volume model: every slice preprocessed, the series resampled to the model's depth, one run. */
  private async runVolume(model: RegisteredModel, slices: readonly Slice[], deadline: number) {
    const { manifest } = model;
    const planes: Float32Array[] = [];
    for (const slice of slices) {
      if (performance.now() > deadline) {
        throw new InferenceException('RUN_TIMEOUT', `model ${manifest.id}@${manifest.version} ran past ${this.options.runTimeoutMs} ms preparing ${planes.length} of ${slices.length} slices`);
      }
      planes.push(modelInput(preprocessFrame(slice.image, slice.frame, manifest.preprocessing), manifest));
    }
    const outputs = await this.registry.runOutputs(model, volumeInput(planes, inputGeometry(manifest).depth));
    const probabilities = [activate(outputs[manifest.output.tensor].data, manifest.output.activation)];
    const measurements = [manifest.output.measurements.map((m) => outputs[m.tensor].data[m.index] ?? Number.NaN)];
    return { probabilities, measurements, heatmap: undefined };
  }

  /** Stores the heatmap of a positive finding of the heatmap's label and references it from the finding. */
  private async attachHeatmap(
    model: RegisteredModel,
    study: StudyReceived,
    findings: Finding[],
    best: { slice: Slice; plane: HeatmapPlane } | undefined,
    sopOf: ReadonlyMap<DicomImage, string>,
  ): Promise<void> {
    const { manifest } = model;
    const finding = findings.find((f) => f.kind === 'finding' && f.label === manifest.output.heatmap?.label && f.positive);
    const sopInstanceUid = best && sopOf.get(best.slice.image);
    if (!finding || !best || !sopInstanceUid) return;
    const id = HeatmapStore.idFor(study.study.studyInstanceUid, manifest.id, manifest.version, finding.label);
    await this.heatmaps.save(id, best.plane);
    finding.heatmap = { url: this.heatmaps.url(id), sopInstanceUid, frame: best.slice.frame };
  }

  /** A model that applies but whose series is too short: not run, with a quality finding saying why. */
  private incompleteRun(model: RegisteredModel, mode: 'active' | 'shadow', instances: number, minimum: number): InferenceRun {
    const { manifest } = model;
    this.logger.info({ modelId: manifest.id, modelVersion: manifest.version, instances, minimum }, 'model not run: series incomplete');
    return notRunRecord(model, mode, `not run: the series has ${instances} instances, the model needs at least ${minimum}`, [qualityFinding('series-incomplete')]);
  }

  private image(cache: ImageCache, study: StudyReceived, seriesInstanceUid: string, sopInstanceUid: string): Promise<DicomImage> {
    let pending = cache.get(sopInstanceUid);
    if (!pending) {
      pending = this.source
        .retrieve({ retrieveUrl: study.retrieveUrl, studyInstanceUid: study.study.studyInstanceUid, seriesInstanceUid, sopInstanceUid })
        .then((bytes) => decodeDicomImage(bytes));
      // Keep the rejection handled here too; each model awaiting it still sees the error.
      pending.catch(() => undefined);
      cache.set(sopInstanceUid, pending);
    }
    return pending;
  }
}
