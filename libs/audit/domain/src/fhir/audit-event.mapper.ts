import type { AuditEvent, AuditEventAgent, AuditEventEntity, Coding } from '@medplum/fhirtypes';
import type { AuditPatient, AuditRecord } from './audit-record';
import { validateAuditResource } from './fhir-validation';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL = 'http://hl7.org/fhir/restful-interaction';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
/** The mesh's own event types, as an AuditEvent subtype. */
export const MESH_EVENT_TYPE_SYSTEM = 'urn:triage-mesh:event-type';
/** Identifier system of mesh services and readers. */
export const MESH_SERVICE_SYSTEM = 'urn:triage-mesh:service';
export const MESH_READER_SYSTEM = 'urn:triage-mesh:reader';
export const NPI_SYSTEM = 'http://hl7.org/fhir/sid/us-npi';
export const DICOM_UID_SYSTEM = 'urn:dicom:uid';

type Action = NonNullable<AuditEvent['action']>;

interface Shape {
  type: Coding;
  subtype?: Coding;
  action: Action;
}

/** The IHE BALP / DICOM audit shape of each mesh event: what kind of activity it records. */
function shapeOf(r: AuditRecord): Shape {
  const appActivity: Coding = { system: DCM, code: '110100', display: 'Application Activity' };
  switch (r.type) {
    case 'study.received':
      return { type: { system: DCM, code: '110104', display: 'DICOM Instances Transferred' }, action: 'C' };
    case 'study.updated':
      return { type: { system: DCM, code: '110104', display: 'DICOM Instances Transferred' }, action: 'U' };
    case 'report.issued':
      // BALP Create / Update: a RESTful-style create of the first version, update of later ones.
      return r.report?.status === 'preliminary'
        ? { type: { system: AUDIT_EVENT_TYPE, code: 'rest', display: 'RESTful Operation' }, subtype: { system: RESTFUL, code: 'create', display: 'create' }, action: 'C' }
        : { type: { system: AUDIT_EVENT_TYPE, code: 'rest', display: 'RESTful Operation' }, subtype: { system: RESTFUL, code: 'update', display: 'update' }, action: 'U' };
    case 'delivery.recorded':
      return { type: { system: DCM, code: '110106', display: 'Export' }, action: 'R' };
    case 'read.signed':
      return { type: appActivity, action: r.action === 'amended' ? 'U' : 'C' };
    default:
      return { type: appActivity, action: 'E' };
  }
}

function outcomeOf(r: AuditRecord): { outcome: NonNullable<AuditEvent['outcome']>; outcomeDesc?: string } {
  if (r.delivery?.outcome === 'dead-lettered') return { outcome: '8', outcomeDesc: `delivery to ${r.delivery.target} dead-lettered after attempt ${r.delivery.attempt}` };
  if (r.delivery?.outcome === 'retrying') return { outcome: '4', outcomeDesc: `delivery to ${r.delivery.target} failed attempt ${r.delivery.attempt}; retrying` };
  return { outcome: '0' };
}

function agents(r: AuditRecord): AuditEventAgent[] {
  const service: AuditEventAgent = {
    type: { coding: [{ system: DCM, code: '110150', display: 'Application' }] },
    who: { identifier: { system: MESH_SERVICE_SYSTEM, value: r.source }, display: `triage-mesh ${r.source}` },
    requestor: !r.actor,
  };
  if (!r.actor) return [service];
  const reader: AuditEventAgent = {
    type: { coding: [{ system: PARTICIPATION, code: r.type === 'read.signed' ? 'AUT' : 'PPRF', display: r.type === 'read.signed' ? 'author (originator)' : 'primary performer' }] },
    who: {
      identifier: r.actor.npi ? { system: NPI_SYSTEM, value: r.actor.npi } : { system: MESH_READER_SYSTEM, value: r.actor.id },
      ...(r.actor.display ? { display: r.actor.display } : {}),
    },
    requestor: true,
  };
  return [reader, service];
}

function entities(r: AuditRecord, patient: AuditPatient | undefined): AuditEventEntity[] {
  const out: AuditEventEntity[] = [];
  if (patient) {
    out.push({
      what: { identifier: { ...(patient.issuer ? { system: `urn:issuer:${patient.issuer}` } : {}), value: patient.id } },
      type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
      role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
    });
  }
  out.push({
    what: { identifier: { system: DICOM_UID_SYSTEM, value: `urn:oid:${r.studyInstanceUid}` }, display: 'Study Instance UID' },
    type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
    role: { system: OBJECT_ROLE, code: '3', display: 'Report' },
    detail: [
      { type: 'eventId', valueString: r.eventId },
      { type: 'traceId', valueString: r.traceId },
      { type: 'auditChainSeq', valueString: r.chainSeq.toString() },
      { type: 'auditChainHash', valueString: r.hash },
      ...(r.action ? [{ type: 'action', valueString: r.action }] : []),
    ],
  });
  if (r.report) {
    const version = r.report.versionId ? `/_history/${r.report.versionId}` : '';
    out.push({
      what: { reference: `DiagnosticReport/${r.report.reportId}${version}` },
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
      detail: [{ type: 'status', valueString: r.report.status }],
    });
  }
  for (const m of r.models ?? []) {
    out.push({
      what: { identifier: { system: 'urn:triage-mesh:model', value: `${m.modelId}@${m.modelVersion}` }, display: `${m.modelId} ${m.modelVersion} (${m.mode})` },
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '20', display: 'Job' },
      detail: [{ type: 'sha256', valueString: m.modelSha256 }],
    });
  }
  if (r.delivery) {
    out.push({
      what: { display: r.delivery.target },
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '24', display: 'Query' },
      detail: [
        { type: 'channel', valueString: r.delivery.channel },
        { type: 'messageType', valueString: r.delivery.messageType },
        { type: 'attempt', valueString: String(r.delivery.attempt) },
      ],
    });
  }
  return out;
}

/**
 * One recorded mesh event as a FHIR R4 AuditEvent in the IHE Basic Audit Log Patterns shape (type and
 * subtype, action, period and recorded, outcome, agents with a requestor, the observing source, and the
 * patient and study entities), validated with @medplum/core.
 */
export function toAuditEvent(r: AuditRecord, opts: { patient?: AuditPatient; site?: string } = {}): AuditEvent {
  const shape = shapeOf(r);
  return validateAuditResource<AuditEvent>({
    resourceType: 'AuditEvent',
    id: r.eventId.toLowerCase(),
    type: shape.type,
    subtype: [...(shape.subtype ? [shape.subtype] : []), { system: MESH_EVENT_TYPE_SYSTEM, code: r.type, display: r.type }],
    action: shape.action,
    period: { start: r.occurredAt.toISOString(), end: r.occurredAt.toISOString() },
    recorded: r.recordedAt.toISOString(),
    ...outcomeOf(r),
    agent: agents(r),
    source: {
      ...(opts.site ? { site: opts.site } : {}),
      observer: { identifier: { system: MESH_SERVICE_SYSTEM, value: 'audit' }, display: 'triage-mesh audit' },
      type: [{ system: SOURCE_TYPE, code: '4', display: 'Application Server' }],
    },
    entity: entities(r, opts.patient),
  });
}
