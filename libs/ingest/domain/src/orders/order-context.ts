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
  /** Encounters: PV1-44 admit and PV1-45 discharge time (ISO), when the sender gave them. */
  admittedAt?: string;
  dischargedAt?: string;
  context: ClinicalContext;
  receivedAt: string;
}

/** Without an admit time, an encounter covers studies received up to this long before the ADT. */
export const ENCOUNTER_LOOKBACK_MS = 24 * 3600 * 1000;

/**
 * Whether an encounter (ADT) describes the visit a study was taken in: the study was received between
 * admission (or, unknown, a day before the ADT) and discharge. A patient's class today says nothing
 * about last year's studies.
 */
export function encounterApplies(encounter: OrderRecord, studyReceivedAt: string): boolean {
  const at = Date.parse(studyReceivedAt);
  const from = encounter.admittedAt ? Date.parse(encounter.admittedAt) : Date.parse(encounter.receivedAt) - ENCOUNTER_LOOKBACK_MS;
  const to = encounter.dischargedAt ? Date.parse(encounter.dischargedAt) : Number.POSITIVE_INFINITY;
  return at >= from && at <= to;
}

/** HL7 DTM (YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]) as an ISO date-time; no offset is read as UTC. */
export function hl7DateTimeToIso(value: string): string | undefined {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d{1,4})?([+-]\d{4})?$/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', se = '00', tz] = m;
  const offset = tz ? `${tz.slice(0, 3)}:${tz.slice(3)}` : 'Z';
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${se}${offset}`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
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
  // The caller passes only an encounter that applies to the study (encounterApplies).
  if (order && isCancelled(order)) order = undefined;
  const base: ClinicalContext = { patientClass: 'unknown', orderPriority: 'unknown' };
  const ctx: ClinicalContext = { ...base, ...stripUndefined(order?.context ?? base) };
  if (ctx.patientClass === 'unknown' && encounter) ctx.patientClass = encounter.context.patientClass;
  if (!ctx.site && encounter?.context.site) ctx.site = encounter.context.site;
  return ctx;
}

/** ORC-1 order controls (table 0119) and ServiceRequest statuses that withdraw an order. */
const WITHDRAWN = new Set(['CA', 'OC', 'DC', 'CR', 'OD', 'revoked', 'entered-in-error']);

/** A cancelled or discontinued order no longer gives a study its context. */
export function isCancelled(order: OrderRecord): boolean {
  return order.orderStatus !== undefined && WITHDRAWN.has(order.orderStatus);
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
