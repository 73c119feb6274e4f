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
    heatmap: z
      .object({
        url: z.url().describe('PNG served by the inference service (8-bit greyscale, 0..255 = 0..1 of the model output)'),
        sopInstanceUid: DicomUidSchema.describe('The instance the heatmap was computed on (the highest-scoring slice)'),
        frame: z.number().int().nonnegative().describe('Frame of that instance (0 for single-frame objects)'),
      })
      .optional()
      .describe('Where the model looked, when its manifest declares a heatmap output'),
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
    measurements: z
      .array(
        z.object({
          name: z.string().min(1).max(64).describe("The model's measurement name"),
          code: CodingSchema.describe('What was measured (RadElement, SNOMED CT or LOINC where one exists)'),
          value: z.number(),
          unit: z.string().min(1).max(32).describe('UCUM unit code (http://unitsofmeasure.org), e.g. 1 for a ratio, mm'),
        }),
      )
      .optional()
      .describe('Quantities the model measured, when its manifest declares measurement outputs'),
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

/** ingest → a study the mesh already handed on changed: more instances arrived, or its order context did. */
export const StudyUpdatedV1 = StudyReceivedV1.extend({
  changes: z
    .array(z.enum(['instances-added', 'context-updated', 'priors-attached']))
    .min(1)
    .describe('What changed since the previous study.received / study.updated'),
  revision: z.number().int().positive().describe('1 for the first update after study.received, then +1 each time'),
  addedInstanceCount: z.number().int().nonnegative().describe('Instances stored since the previous event'),
}).describe('A study already handed on has changed; it is the same study, not a second one');
export type StudyUpdated = z.infer<typeof StudyUpdatedV1>;

export const ReaderRefSchema = z
  .object({
    id: z.string().min(1).max(64).describe('Reader id in the reader directory (staff, not patient data)'),
    display: z.string().max(128).optional().describe("The radiologist's display name"),
    npi: z.string().max(32).optional().describe('Practitioner identifier (e.g. NPI) where known'),
  })
  .describe('A radiologist');
export type ReaderRef = z.infer<typeof ReaderRefSchema>;

export const FindingVerdictSchema = z
  .object({
    label: z.string().min(1).max(64),
    code: CodingSchema,
    modelId: z.string().min(1).max(128),
    modelVersion: z.string().min(1).max(64),
    aiPositive: z.boolean().describe('What the AI said (the finding as it was in inference.completed)'),
    verdict: z.enum(['confirmed', 'rejected']).describe('The radiologist agrees (confirmed) or not (rejected) with the AI'),
  })
  .describe("The radiologist's verdict on one AI finding; readPositive = aiPositive when confirmed, else its negation");
export type FindingVerdict = z.infer<typeof FindingVerdictSchema>;

/** routing → a radiologist signed a read of the study (final, or an amendment of a final read). */
export const ReadSignedV1 = z
  .object({
    study: StudyRefSchema,
    readId: z.uuid().describe('Stable id of this read; an amendment has its own'),
    status: z.enum(['final', 'amended']),
    reader: ReaderRefSchema,
    verdicts: z.array(FindingVerdictSchema).describe('One per AI finding of the active models (kind finding)'),
    impression: z.string().min(1).max(8192).describe('PHI-bearing free text: the report impression'),
    conclusionCodes: z.array(CodingSchema).describe('Coded conclusions (SNOMED CT) for DiagnosticReport.conclusionCode'),
    priority: PrioritySchema,
    claimedAt: z.iso.datetime({ offset: true }).optional(),
    signedAt: z.iso.datetime({ offset: true }),
  })
  .describe("A radiologist's signed read: confirm or reject per AI finding, the impression, the signer");
export type ReadSigned = z.infer<typeof ReadSignedV1>;

/** routing → a study was assigned, claimed, released, or returned to the pool. */
export const AssignmentChangedV1 = z
  .object({
    study: StudyRefSchema,
    action: z.enum(['assigned', 'claimed', 'released', 'expired', 'reassigned']),
    reader: ReaderRefSchema.optional().describe('Absent when the study sits in a pool'),
    pool: z.string().min(1).max(64).describe('Worklist pool, e.g. neuro or general'),
    priority: PrioritySchema,
    reasons: z.array(ReasonSchema).describe('Why this reader or pool (subspecialty, licence, shift, workload)'),
    silent: z.boolean().describe('Silent mode: computed and audited, worklist untouched'),
    at: z.iso.datetime({ offset: true }),
  })
  .describe('Who (or which pool) holds a study on the worklist');
export type AssignmentChanged = z.infer<typeof AssignmentChangedV1>;

/** routing → a tiered alert was raised, escalated, acknowledged, or ran out of people to escalate to. */
export const AlertChangedV1 = z
  .object({
    study: StudyRefSchema,
    alertId: z.uuid().describe('Stable per study and critical decision'),
    action: z.enum(['raised', 'escalated', 'acknowledged', 'exhausted']),
    tier: PrioritySchema,
    step: z.number().int().nonnegative().describe('Position in the escalation chain (0 = first recipient)'),
    recipient: ReaderRefSchema.optional().describe('Who is being alerted at this step'),
    role: z.enum(['assigned-reader', 'next-qualified-reader', 'supervisor']).optional(),
    channels: z.array(z.enum(['hl7-adt', 'pager', 'sms', 'webhook', 'worklist'])),
    findings: z.array(FindingSchema).describe('The critical findings the alert is about'),
    reasons: z.array(ReasonSchema),
    ackDeadline: z.iso.datetime({ offset: true }).optional(),
    acknowledgedBy: ReaderRefSchema.optional(),
    at: z.iso.datetime({ offset: true }),
  })
  .describe('A step in the life of a critical-finding alert; reporting sends the HL7 ADT alert on raised');
export type AlertChanged = z.infer<typeof AlertChangedV1>;

/** reporting → one attempt to deliver a FHIR bundle, an HL7 message or a webhook, and its outcome. */
export const DeliveryRecordedV1 = z
  .object({
    study: StudyRefSchema,
    deliveryId: z.string().min(1).max(128).describe('Stable per message: retries share it (e.g. MSH-10, bundle id)'),
    channel: z.enum(['fhir', 'hl7', 'webhook', 'dicom-sr']),
    target: z.string().min(1).max(256).describe('Configured destination name or base URL; never PHI'),
    messageType: z.string().max(64).describe('e.g. transaction Bundle, ORU^R01, ADT^A08'),
    attempt: z.number().int().positive(),
    outcome: z.enum(['delivered', 'retrying', 'dead-lettered']),
    detail: z.string().max(1024).optional().describe('ACK code, HTTP status, error text; never PHI'),
    at: z.iso.datetime({ offset: true }),
  })
  .describe('A delivery attempt to an external system and what came of it');
export type DeliveryRecorded = z.infer<typeof DeliveryRecordedV1>;

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
    consumers: ['inference', 'reporting', 'audit'],
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
  studyUpdated: defineEvent({
    type: 'study.updated',
    topic: 'triage.study.updated.v1',
    schemaVersion: 1,
    producer: 'ingest',
    consumers: ['routing', 'reporting', 'audit'],
    key: 'StudyInstanceUID',
    summary: 'A study already handed on changed (late instances, order context, priors); the same study, not a new one.',
    payload: StudyUpdatedV1,
  }),
  readSigned: defineEvent({
    type: 'read.signed',
    topic: 'triage.read.signed.v1',
    schemaVersion: 1,
    producer: 'routing',
    consumers: ['reporting', 'audit'],
    key: 'StudyInstanceUID',
    summary: "A radiologist signed a read: verdict per AI finding, impression, signer; reporting makes the report final.",
    payload: ReadSignedV1,
  }),
  assignmentChanged: defineEvent({
    type: 'assignment.changed',
    topic: 'triage.assignment.changed.v1',
    schemaVersion: 1,
    producer: 'routing',
    consumers: ['audit'],
    key: 'StudyInstanceUID',
    summary: 'A study was assigned, claimed, released or returned to the pool, with the reasons.',
    payload: AssignmentChangedV1,
  }),
  alertChanged: defineEvent({
    type: 'alert.changed',
    topic: 'triage.alert.changed.v1',
    schemaVersion: 1,
    producer: 'routing',
    consumers: ['reporting', 'audit'],
    key: 'StudyInstanceUID',
    summary: 'A critical-finding alert was raised, escalated, acknowledged or exhausted; reporting sends the HL7 ADT alert.',
    payload: AlertChangedV1,
  }),
  deliveryRecorded: defineEvent({
    type: 'delivery.recorded',
    topic: 'triage.delivery.recorded.v1',
    schemaVersion: 1,
    producer: 'reporting',
    consumers: ['audit'],
    key: 'StudyInstanceUID',
    summary: 'One delivery attempt (FHIR bundle, HL7 message, DICOM SR) and its outcome.',
    payload: DeliveryRecordedV1,
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
