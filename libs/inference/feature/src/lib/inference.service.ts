import { Inject, Injectable } from '@nestjs/common';
import { derivedEventId, EVENTS, type Envelope, type InferenceCompleted, type InferenceRun, type StudyReceived } from '@triage/contracts';
import {
  activate,
  aggregate,
  assessImageQuality,
  findIncompleteSeries,
  qualityFinding,
  decodeDicomImage,
  decodeFindings,
  effectiveMode,
  orderSlices,
  preprocessFrame,
  selectSeries,
  type DicomImage,
  type SeriesSelection,
} from '@triage/inference-domain';
import { EventPublisher, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { performance } from 'node:perf_hooks';
import { mapLimit } from './concurrency';
import { INFERENCE_OPTIONS, type InferenceOptions } from './inference.options';
import { INSTANCE_SOURCE, type InstanceSource } from './instance.repository';
import { ModelRegistry, type RegisteredModel } from './model-registry.service';

/** Instances fetched for one study, shared by the models that read the same series. */
type ImageCache = Map<string, Promise<DicomImage>>;

function isRetryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true;
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

  constructor(
    private readonly registry: ModelRegistry,
    @Inject(INSTANCE_SOURCE) private readonly source: InstanceSource,
    private readonly publisher: EventPublisher,
    @Inject(INFERENCE_OPTIONS) private readonly options: InferenceOptions,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ component: 'inference' });
  }

  /** Handles `study.received`: runs the study and publishes the result under a deterministic event id. */
  async handleStudyReceived(env: Envelope<StudyReceived>): Promise<Envelope<InferenceCompleted>> {
    const payload = await this.runStudy(env.payload);
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
    const runs: InferenceRun[] = [];
    for (const model of this.registry.list()) {
      const mode = effectiveMode(model.manifest, { studyInstanceUid: study.study.studyInstanceUid, site: study.study.context.site });
      if (mode === 'off') continue;
      const selection = selectSeries(model.manifest, study);
      if (!selection) {
        const incomplete = findIncompleteSeries(model.manifest, study);
        if (incomplete) runs.push(this.incompleteRun(model, mode, incomplete.instances, incomplete.minimum));
        continue;
      }
      runs.push(await this.runModel(model, mode, selection, study, cache));
    }
    return { study: study.study, runs };
  }

  private async runModel(
    model: RegisteredModel,
    mode: 'active' | 'shadow',
    selection: SeriesSelection,
    study: StudyReceived,
    cache: ImageCache,
  ): Promise<InferenceRun> {
    const { manifest } = model;
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    const base = { modelId: manifest.id, modelVersion: manifest.version, modelSha256: manifest.sha256, mode, startedAt };
    try {
      const images = await mapLimit(selection.instances, this.options.fetchConcurrency, (i) =>
        this.image(cache, study, selection.seriesInstanceUid, i.sopInstanceUid),
      );
      const perSlice: number[][] = [];
      for (const slice of orderSlices(images)) {
        const plane = preprocessFrame(slice.image, slice.frame, manifest.preprocessing);
        perSlice.push(activate(await this.registry.run(model, plane), manifest.output.activation));
      }
      const findings = [...decodeFindings(manifest, aggregate(perSlice, manifest.aggregation)), ...assessImageQuality(images)];
      const latencyMs = performance.now() - t0;
      this.logger.info(
        { modelId: manifest.id, modelVersion: manifest.version, mode, slices: perSlice.length, positive: findings.filter((f) => f.positive).map((f) => f.label), latencyMs },
        'model run succeeded',
      );
      return { ...base, status: 'succeeded', latencyMs, findings };
    } catch (err) {
      if (isRetryable(err)) throw err;
      const error = describe(err);
      this.logger.warn({ modelId: manifest.id, modelVersion: manifest.version, mode, error }, 'model run failed');
      return { ...base, status: 'failed', error, latencyMs: performance.now() - t0, findings: [] };
    }
  }

  /** A model that applies but whose series is too short: not run, with a quality finding saying why. */
  private incompleteRun(model: RegisteredModel, mode: 'active' | 'shadow', instances: number, minimum: number): InferenceRun {
    const { manifest } = model;
    this.logger.info({ modelId: manifest.id, modelVersion: manifest.version, instances, minimum }, 'model not run: series incomplete');
    return {
      modelId: manifest.id,
      modelVersion: manifest.version,
      modelSha256: manifest.sha256,
      mode,
      startedAt: new Date().toISOString(),
      status: 'failed',
      error: `not run: the series has ${instances} instances, the model needs at least ${minimum}`,
      latencyMs: 0,
      findings: [qualityFinding('series-incomplete')],
    };
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
