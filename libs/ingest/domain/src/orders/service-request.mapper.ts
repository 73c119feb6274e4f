import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { CodeableConcept, Encounter, Identifier, OperationOutcome, Practitioner, ServiceRequest } from '@medplum/fhirtypes';
import { DicomUidSchema } from '@triage/contracts';
import { ensureFhirR4Definitions } from '@triage/fhir-definitions';
import { displayName, type OrderPriority, type OrderRecord, type PatientClass } from './order-context';

const ACCESSION_TYPE = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const DICOM_UID_SYSTEM = 'urn:dicom:uid';

/** Why a body was refused; `status` is the HTTP status, `outcome` the OperationOutcome to answer with. */
export class FhirIntakeError extends Error {
  constructor(
    readonly status: 400 | 413 | 415 | 422 | 503,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue?.[0]?.details?.text ?? outcome.issue?.[0]?.code ?? 'invalid');
    this.name = 'FhirIntakeError';
  }
}

/** An OperationOutcome with one error issue. */
export function operationOutcome(code: string, text: string, expression?: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: code as 'invalid', details: { text }, ...(expression ? { expression: [expression] } : {}) }] };
}


/**
 * Parses a request body as a FHIR R4 ServiceRequest and validates it with @medplum/core against the base
 * StructureDefinitions (loaded once, about a second); throws FhirIntakeError with the OperationOutcome.
 */
export function parseServiceRequest(body: string): ServiceRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new FhirIntakeError(400, operationOutcome('structure', 'body is not JSON'));
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new FhirIntakeError(400, operationOutcome('structure', 'body is not a FHIR resource'));
  const type = (json as { resourceType?: unknown }).resourceType;
  if (type !== 'ServiceRequest') throw new FhirIntakeError(400, operationOutcome('invalid', 'this endpoint takes ServiceRequest resources', 'resourceType'));
  ensureFhirR4Definitions();
  try {
    validateResource(json as ServiceRequest);
  } catch (err) {
    if (err instanceof OperationOutcomeError) throw new FhirIntakeError(400, err.outcome);
    throw err;
  }
  checkRequiredBindings(json as ServiceRequest);
  return json as ServiceRequest;
}

/** R4 required bindings validateResource() does not check (it has no terminology): status, intent, priority. */
const REQUIRED_CODES: Record<'status' | 'intent' | 'priority', string[]> = {
  status: ['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown'],
  intent: ['proposal', 'plan', 'directive', 'order', 'original-order', 'reflex-order', 'filler-order', 'instance-order', 'option'],
  priority: ['routine', 'urgent', 'asap', 'stat'],
};

function checkRequiredBindings(sr: ServiceRequest): void {
  for (const [element, codes] of Object.entries(REQUIRED_CODES) as [keyof typeof REQUIRED_CODES, string[]][]) {
    const value = sr[element];
    if (value !== undefined && !codes.includes(value)) {
      throw new FhirIntakeError(400, operationOutcome('code-invalid', `ServiceRequest.${element} is not a code of its required value set`, `ServiceRequest.${element}`));
    }
  }
}

const PRIORITY: Record<string, OrderPriority> = { stat: 'stat', asap: 'asap', urgent: 'asap', routine: 'routine' };

/** v3 ActCode encounter classes onto the mesh's patient classes. */
const ENCOUNTER_CLASS: Record<string, PatientClass> = {
  EMER: 'emergency',
  IMP: 'inpatient',
  ACUTE: 'inpatient',
  NONAC: 'inpatient',
  AMB: 'outpatient',
  OBSENC: 'outpatient',
  SS: 'outpatient',
};

/**
 * Maps a validated ServiceRequest onto the same order record as HL7: accession number from the identifier
 * typed ACSN (v2-0203), Study Instance UID from an identifier with system urn:dicom:uid, priority
 * (urgent counts as asap), patient class from a contained Encounter's class, ordering provider from
 * requester (display or contained Practitioner), reason from reasonCode, site from locationCode.
 */
export function mapServiceRequest(sr: ServiceRequest, receivedAt: Date): OrderRecord {
  const ids = sr.identifier ?? [];
  const accession = ids.find((i) => i.type?.coding?.some((c) => c.system === ACCESSION_TYPE && c.code === 'ACSN'))?.value?.trim();
  const studyUid = studyUidOf(ids);
  if (accession && accession.length > 16) throw new FhirIntakeError(422, operationOutcome('value', 'accession number longer than 16 characters', 'ServiceRequest.identifier'));
  if (!accession && !studyUid) {
    throw new FhirIntakeError(422, operationOutcome('required', 'an identifier with type ACSN (accession number) or system urn:dicom:uid is needed to join the order', 'ServiceRequest.identifier'));
  }
  const contained = (ref: string | undefined) => (ref?.startsWith('#') ? sr.contained?.find((r) => r.id === ref.slice(1)) : undefined);
  const encounter = contained(sr.encounter?.reference) as Encounter | undefined;
  const practitioner = contained(sr.requester?.reference) as Practitioner | undefined;
  const name = practitioner?.resourceType === 'Practitioner' ? practitioner.name?.[0] : undefined;
  const orderingProvider = sr.requester?.display?.slice(0, 256) ?? (name ? displayName({ prefix: name.prefix?.[0], given: name.given, family: name.family }) : undefined);
  const reasonForExam = (sr.reasonCode ?? []).map(conceptText).filter(Boolean).join('; ').slice(0, 1024) || undefined;
  const site = sr.locationCode?.map(conceptText).find(Boolean)?.slice(0, 64);
  const patientClass = encounter?.resourceType === 'Encounter' ? (ENCOUNTER_CLASS[encounter.class?.code ?? ''] ?? 'unknown') : 'unknown';
  return {
    kind: 'order',
    source: 'fhir',
    messageType: 'ServiceRequest',
    ...(accession ? { accessionNumber: accession } : {}),
    ...(studyUid ? { studyInstanceUid: studyUid } : {}),
    orderStatus: sr.status,
    patient: {},
    receivedAt: receivedAt.toISOString(),
    context: {
      patientClass,
      orderPriority: PRIORITY[sr.priority ?? ''] ?? 'unknown',
      ...(reasonForExam ? { reasonForExam } : {}),
      ...(orderingProvider ? { orderingProvider } : {}),
      ...(site ? { site } : {}),
    },
  };
}

function studyUidOf(ids: Identifier[]): string | undefined {
  const value = ids.find((i) => i.system === DICOM_UID_SYSTEM)?.value?.replace(/^urn:oid:/, '');
  if (value === undefined) return undefined;
  if (!DicomUidSchema.safeParse(value).success) throw new FhirIntakeError(422, operationOutcome('value', 'the urn:dicom:uid identifier is not a valid DICOM UID', 'ServiceRequest.identifier'));
  return value;
}

function conceptText(c: CodeableConcept): string {
  return (c.text ?? c.coding?.find((x) => x.display)?.display ?? c.coding?.[0]?.code ?? '').trim();
}
