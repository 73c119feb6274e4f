import type { Bundle, Provenance, ProvenanceAgent, ProvenanceEntity } from '@medplum/fhirtypes';
import { DICOM_UID_SYSTEM, MESH_READER_SYSTEM, MESH_SERVICE_SYSTEM, NPI_SYSTEM, toAuditEvent } from './audit-event.mapper';
import type { AuditPatient, AuditRecord } from './audit-record';
import { validateAuditResource } from './fhir-validation';

const PARTICIPANT = 'http://terminology.hl7.org/CodeSystem/provenance-participant-type';
const DATA_OPERATION = 'http://terminology.hl7.org/CodeSystem/v3-DataOperation';

const byTime = (a: AuditRecord, b: AuditRecord) => a.occurredAt.getTime() - b.occurredAt.getTime() || (a.chainSeq < b.chainSeq ? -1 : 1);

function reportRef(r: AuditRecord): string {
  const report = r.report as NonNullable<AuditRecord['report']>;
  return `DiagnosticReport/${report.reportId}${report.versionId ? `/_history/${report.versionId}` : ''}`;
}

function participant(code: string, display: string): ProvenanceAgent['type'] {
  return { coding: [{ system: PARTICIPANT, code, display }] };
}

/**
 * The provenance of each DiagnosticReport version in a trace: who made it (the reporting service, the
 * active AI models for the preliminary pre-read, the signing radiologist for final and amended
 * versions), from what (the study, the audit events, the previous version), validated with @medplum/core.
 */
export function toProvenances(records: AuditRecord[]): Provenance[] {
  const ordered = [...records].sort(byTime);
  const reports = ordered.filter((r) => r.type === 'report.issued' && r.report);
  return reports.map((r, i) => {
    const report = r.report as NonNullable<AuditRecord['report']>;
    const before = ordered.filter((x) => byTime(x, r) < 0);
    const previous = reports.slice(0, i).filter((p) => p.report?.reportId === report.reportId).at(-1);
    const read = report.status === 'preliminary' ? undefined : before.filter((x) => x.type === 'read.signed').at(-1);
    const inference = before.filter((x) => x.type === 'inference.completed');
    const agent: ProvenanceAgent[] = [
      { type: participant('assembler', 'Assembler'), who: { identifier: { system: MESH_SERVICE_SYSTEM, value: r.source }, display: `triage-mesh ${r.source}` } },
    ];
    if (read?.actor) {
      agent.unshift({
        type: participant('author', 'Author'),
        who: {
          identifier: read.actor.npi ? { system: NPI_SYSTEM, value: read.actor.npi } : { system: MESH_READER_SYSTEM, value: read.actor.id },
          ...(read.actor.display ? { display: read.actor.display } : {}),
        },
      });
    } else if (report.status === 'preliminary') {
      for (const m of inference.flatMap((x) => x.models ?? []).filter((m) => m.mode === 'active')) {
        agent.push({ type: participant('performer', 'Performer'), who: { identifier: { system: 'urn:triage-mesh:model', value: `${m.modelId}@${m.modelVersion}` }, display: `${m.modelId} ${m.modelVersion}` } });
      }
    }
    const entity: ProvenanceEntity[] = [
      { role: 'source', what: { identifier: { system: DICOM_UID_SYSTEM, value: `urn:oid:${r.studyInstanceUid}` }, display: 'Study Instance UID' } },
      ...inference.map((x): ProvenanceEntity => ({ role: 'source', what: { reference: `AuditEvent/${x.eventId.toLowerCase()}` } })),
      ...(read ? [{ role: 'source' as const, what: { reference: `AuditEvent/${read.eventId.toLowerCase()}` } }] : []),
      ...(previous ? [{ role: 'revision' as const, what: { reference: reportRef(previous) } }] : []),
    ];
    return validateAuditResource<Provenance>({
      resourceType: 'Provenance',
      id: `prov-${r.eventId.toLowerCase()}`,
      target: [{ reference: reportRef(r) }],
      occurredDateTime: r.occurredAt.toISOString(),
      recorded: r.recordedAt.toISOString(),
      activity: { coding: [previous ? { system: DATA_OPERATION, code: 'UPDATE', display: 'revise' } : { system: DATA_OPERATION, code: 'CREATE', display: 'create' }] },
      agent,
      entity,
    });
  });
}

/** The lineage of a trace for a hospital's audit repository: a collection Bundle of AuditEvents and Provenances. */
export function toAuditBundle(records: AuditRecord[], opts: { patient?: AuditPatient; site?: string; timestamp?: Date } = {}): Bundle {
  const events = [...records].sort(byTime).map((r) => toAuditEvent(r, opts));
  const provenances = toProvenances(records);
  return validateAuditResource<Bundle>({
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: (opts.timestamp ?? new Date()).toISOString(),
    // No fullUrl: references inside are relative (AuditEvent/<id>, DiagnosticReport/<id>) and resolve
    // against the repository the bundle is loaded into.
    entry: [...events, ...provenances].map((resource) => ({ resource })),
  });
}
