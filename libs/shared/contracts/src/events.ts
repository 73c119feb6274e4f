import { z } from 'zod';
import {
  CodingSchema,
  DicomUidSchema,
  ModelModeSchema,
  PrioritySchema,
  StudyRefSchema,
  type ServiceName,
} from './primitives';

export const InstanceSchema = z.object({
  sopInstanceUid: DicomUidSchema,
  sopClassUid: DicomUidSchema,
  transferSyntaxUid: DicomUidSchema,
  instanceNumber: z.number().int().optional(),
  sizeBytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).describe('Hash of the stored Part 10 file'),
});

export const SeriesSchema = z.object({
  seriesInstanceUid: DicomUidSchema,
  modality: z.string().min(1).max(16),
  bodyPart: z.string().max(16).optional(),
  seriesDescription: z.string().max(64).optional(),
  instances: z.array(InstanceSchema).min(1),
});

/** ingest → a study is complete (stable, or a STOW-RS request completed it). */
export const StudyReceivedV1 = z
  .object({
    study: StudyRefSchema,
    series: z.array(SeriesSchema).min(1),
    instanceCount: z.number().int().positive(),
    origin: z.object({
      protocol: z.enum(['stow-rs', 'c-store']),
      peer: z.string().max(64).optional().describe('Calling AE title or HTTP client id; never PHI'),
    }),
    retrieveUrl: z.url().describe('DICOMweb (WADO-RS) URL of the study, for fetching pixels'),
  })
  .describe('A complete study has been stored by the mesh and is ready for the AI pre-read');
export type StudyReceived = z.infer<typeof StudyReceivedV1>;

export const FindingSchema = z
  .object({
    label: z.string().min(1).max(64).describe("The model's output label"),
    kind: z.enum(['finding', 'quality']).default('finding'),
    code: CodingSchema.describe('RadElement where one exists, else SNOMED CT or LOINC'),
    probability: z.number().min(0).max(1),
    threshold: z.number().min(0).max(1),
    positive: z.boolean().describe('probability >= threshold'),
    critical: z.boolean().describe('the manifest marks this label critical (alerting)'),
  })
  .describe('One AI finding');
export type Finding = z.infer<typeof FindingSchema>;

export const InferenceRunSchema = z
  .object({
    modelId: z.string().min(1).max(128),
    modelVersion: z.string().min(1).max(64),
    modelSha256: z.string().regex(/^[0-9a-f]{64}$/),
    mode: ModelModeSchema,
    status: z.enum(['succeeded', 'failed']),
    error: z.string().max(512).optional().describe('Why a run failed; never contains PHI'),
    startedAt: z.iso.datetime({ offset: true }),
    latencyMs: z.number().nonnegative(),
    findings: z.array(FindingSchema),
  })
  .describe('One model run over one study');
export type InferenceRun = z.infer<typeof InferenceRunSchema>;

/** inference → every applicable model has run (or failed) for the study. */
export const InferenceCompletedV1 = z
  .object({
    study: StudyRefSchema,
    runs: z.array(InferenceRunSchema).describe('Empty when no model applies to the study'),
  })
  .describe('The AI pre-read of a study is complete');
export type InferenceCompleted = z.infer<typeof InferenceCompletedV1>;

export const ReasonSchema = z.object({
  ruleId: z.string().min(1).max(64),
  text: z.string().min(1).max(512).describe('Plain-language reason a reader can act on; no PHI'),
});

/** routing → a priority (with reasons) has been decided for the study. */
export const PriorityDecidedV1 = z
  .object({
    study: StudyRefSchema,
    priority: PrioritySchema,
    score: z.number().describe('Ordering score within a priority; higher is read sooner'),
    reasons: z.array(ReasonSchema).min(1),
    ruleSetVersion: z.string().min(1).max(64),
    runs: z.array(InferenceRunSchema).describe('The inference runs the decision was made from'),
    decidedAt: z.iso.datetime({ offset: true }),
  })
  .describe('The triage priority of a study, with the reasons and the rule-set version');
export type PriorityDecided = z.infer<typeof PriorityDecidedV1>;

/** reporting → a DiagnosticReport (validated FHIR R4) has been issued for the study. */
export const ReportIssuedV1 = z
  .object({
    study: StudyRefSchema,
    reportId: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/).describe('FHIR logical id of the DiagnosticReport'),
    status: z.enum(['preliminary', 'final', 'amended']),
    priority: PrioritySchema,
    diagnosticReport: z
      .record(z.string(), z.unknown())
      .describe('The FHIR R4 DiagnosticReport resource, validated with @medplum/core validateResource()'),
    issuedAt: z.iso.datetime({ offset: true }),
  })
  .describe('A FHIR R4 DiagnosticReport was issued for the study');
export type ReportIssued = z.infer<typeof ReportIssuedV1>;

export interface EventDefinition<S extends z.ZodType = z.ZodType> {
  /** Stable event type name, e.g. `study.received`. */
  type: string;
  /** Kafka topic; the version suffix changes only with a breaking schema change. */
  topic: string;
  schemaVersion: number;
  producer: ServiceName;
  consumers: readonly ServiceName[];
  /** What the Kafka message key is (keeps one study's events in order on one partition). */
  key: string;
  summary: string;
  payload: S;
}

function defineEvent<S extends z.ZodType>(def: EventDefinition<S>): EventDefinition<S> {
  return def;
}

/** Every event on the mesh. The AsyncAPI document and the README's topic table are generated from this. */
export const EVENTS = {
  studyReceived: defineEvent({
    type: 'study.received',
    topic: 'triage.study.received.v1',
    schemaVersion: 1,
    producer: 'ingest',
    consumers: ['inference', 'audit'],
    key: 'StudyInstanceUID',
    summary: 'A complete study was stored by the mesh; inference runs its pre-read.',
    payload: StudyReceivedV1,
  }),
  inferenceCompleted: defineEvent({
    type: 'inference.completed',
    topic: 'triage.inference.completed.v1',
    schemaVersion: 1,
    producer: 'inference',
    consumers: ['routing', 'audit'],
    key: 'StudyInstanceUID',
    summary: 'All applicable ONNX models ran over the study; findings with model id, version and hash.',
    payload: InferenceCompletedV1,
  }),
  priorityDecided: defineEvent({
    type: 'priority.decided',
    topic: 'triage.priority.decided.v1',
    schemaVersion: 1,
    producer: 'routing',
    consumers: ['reporting', 'audit'],
    key: 'StudyInstanceUID',
    summary: 'Priority (critical / urgent / routine), score and plain-language reasons for the study.',
    payload: PriorityDecidedV1,
  }),
  reportIssued: defineEvent({
    type: 'report.issued',
    topic: 'triage.report.issued.v1',
    schemaVersion: 1,
    producer: 'reporting',
    consumers: ['audit'],
    key: 'StudyInstanceUID',
    summary: 'A validated FHIR R4 DiagnosticReport was issued (preliminary from the AI pre-read).',
    payload: ReportIssuedV1,
  }),
} as const;

export type EventKey = keyof typeof EVENTS;
export type EventPayload<K extends EventKey> = z.infer<(typeof EVENTS)[K]['payload']>;
export const ALL_EVENTS: readonly EventDefinition[] = Object.values(EVENTS);

/** Dead-letter topic for a topic: where messages that fail parsing or handling go, with the error. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export function eventByTopic(topic: string): EventDefinition | undefined {
  return ALL_EVENTS.find((e) => e.topic === topic);
}
