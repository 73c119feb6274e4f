import type { ClinicalContext } from '@triage/contracts';

export type PatientClass = ClinicalContext['patientClass'];
export type OrderPriority = ClinicalContext['orderPriority'];

/**
 * An order (ORM^O01, OMI^O23, FHIR ServiceRequest) or an encounter (ADT) as ingest keeps it for the join.
 * Contains PHI (patient id, reason for exam): stored under DATA_DIR, never logged.
 */
export interface OrderRecord {
  kind: 'order' | 'encounter';
  source: 'hl7v2' | 'fhir';
  /** ORM^O01, OMI^O23, ADT^A08 or ServiceRequest */
  messageType: string;
  accessionNumber?: string;
  studyInstanceUid?: string;
  placerOrderNumber?: string;
  fillerOrderNumber?: string;
  /** NW, XO, CA... (ORC-1); ServiceRequest.status for FHIR */
  orderStatus?: string;
  patient: { id?: string; issuer?: string };
  visitNumber?: string;
  context: ClinicalContext;
  receivedAt: string;
}

/** HL7 table 0004 (PV1-2) onto the mesh's patient classes. */
export function patientClassFromHl7(code: string): PatientClass {
  switch (code.trim().toUpperCase()) {
    case 'E':
      return 'emergency';
    case 'I':
    case 'B':
      return 'inpatient';
    case 'O':
    case 'R':
      return 'outpatient';
    default:
      return 'unknown';
  }
}

/** HL7 table 0027 (TQ1-9, ORC-7.6, OBR-27.6, OBR-5) or the words themselves onto order priorities. */
export function priorityFromHl7(code: string): OrderPriority {
  switch (code.trim().toUpperCase()) {
    case 'S':
    case 'STAT':
      return 'stat';
    case 'A':
    case 'ASAP':
    case 'T':
      return 'asap';
    case 'R':
    case 'ROUTINE':
      return 'routine';
    default:
      return 'unknown';
  }
}

/** A person's name for display: prefix given middle family (XCN/XPN components or FHIR HumanName parts). */
export function displayName(parts: { prefix?: string; given?: string[]; family?: string; id?: string }): string | undefined {
  const name = [parts.prefix, ...(parts.given ?? []), parts.family].filter((p) => p && p.trim()).join(' ').trim();
  const out = name || parts.id?.trim() || '';
  return out ? out.slice(0, 256) : undefined;
}

/**
 * The context a study gets from its order and, where the order does not say, from the patient's latest
 * encounter. Later values win per field, so an XO update or a new ADT changes only what it states.
 */
export function joinContext(order: OrderRecord | undefined, encounter: OrderRecord | undefined): ClinicalContext {
  const base: ClinicalContext = { patientClass: 'unknown', orderPriority: 'unknown' };
  const ctx: ClinicalContext = { ...base, ...stripUndefined(order?.context ?? base) };
  if (ctx.patientClass === 'unknown' && encounter) ctx.patientClass = encounter.context.patientClass;
  if (!ctx.site && encounter?.context.site) ctx.site = encounter.context.site;
  return ctx;
}

/** Folds a newer record of the same order onto the stored one (fields the newer one leaves empty are kept). */
export function mergeOrder(previous: OrderRecord | undefined, next: OrderRecord): OrderRecord {
  if (!previous) return next;
  const ctx = { ...stripUndefined(previous.context), ...stripUndefined(next.context) } as ClinicalContext;
  if (next.context.patientClass === 'unknown') ctx.patientClass = previous.context.patientClass;
  if (next.context.orderPriority === 'unknown') ctx.orderPriority = previous.context.orderPriority;
  return {
    ...previous,
    ...stripUndefined(next),
    patient: { ...stripUndefined(previous.patient), ...stripUndefined(next.patient) },
    context: ctx,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

/** A stable string of a context, to tell whether the study's announced context changed. */
export function contextFingerprint(ctx: ClinicalContext): string {
  const keys = Object.keys(ctx).sort() as (keyof ClinicalContext)[];
  return JSON.stringify(keys.map((k) => [k, ctx[k] ?? null]));
}
