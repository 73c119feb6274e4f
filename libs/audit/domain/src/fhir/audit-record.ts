/** A person who acted (a radiologist): staff identifiers, not patient data. */
export interface AuditActor {
  id: string;
  display?: string | null;
  npi?: string | null;
}

/** One recorded audit event with what the FHIR export needs of its stage row (no free text). */
export interface AuditRecord {
  eventId: string;
  type: string;
  /** The service that produced the event. */
  source: string;
  traceId: string;
  studyInstanceUid: string;
  occurredAt: Date;
  recordedAt: Date;
  chainSeq: bigint;
  hash: string;
  /** The person who acted, where one did (reader who signed, claimed, acknowledged). */
  actor?: AuditActor;
  /** report.issued: the DiagnosticReport's logical id, version and status. */
  report?: { reportId: string; versionId: string | null; status: string };
  /** delivery.recorded: where it went and how it ended. */
  delivery?: { channel: string; target: string; messageType: string; attempt: number; outcome: string };
  /** inference.completed: the models that ran. */
  models?: Array<{ modelId: string; modelVersion: string; modelSha256: string; mode: string }>;
  /** What the event did in the life of the study, e.g. 'assigned', 'raised', 'final'. */
  action?: string;
}

/** The patient of a study, when the store still holds it (retention clears it). */
export interface AuditPatient {
  id: string;
  issuer?: string | null;
}
