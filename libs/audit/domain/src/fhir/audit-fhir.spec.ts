import type { AuditEvent, Provenance } from '@medplum/fhirtypes';
import type { AuditRecord } from './audit-record';
import { toAuditEvent } from './audit-event.mapper';
import { AuditFhirInvalidError, validateAuditResource } from './fhir-validation';
import { toAuditBundle, toProvenances } from './provenance.mapper';

const UID = '1.2.826.0.1.3680043.10.1';
const reader = { id: 'rad-1', display: 'Dr Reader', npi: '1234567890' };
let seq = 0n;
function rec(type: string, minute: number, extra: Partial<AuditRecord> = {}): AuditRecord {
  seq += 1n;
  return {
    eventId: `00000000-0000-4000-8000-0000000000${String(minute).padStart(2, '0')}`,
    type,
    source: type.startsWith('report') || type.startsWith('delivery') ? 'reporting' : type.startsWith('study') ? 'ingest' : type.startsWith('inference') ? 'inference' : 'routing',
    traceId: 'ab'.repeat(16),
    studyInstanceUid: UID,
    occurredAt: new Date(Date.UTC(2026, 10, 1, 8, minute)),
    recordedAt: new Date(Date.UTC(2026, 10, 1, 8, minute, 1)),
    chainSeq: seq,
    hash: 'c'.repeat(64),
    ...extra,
  };
}

const trace: AuditRecord[] = [
  rec('study.received', 1),
  rec('inference.completed', 2, {
    models: [
      { modelId: 'ich-ct', modelVersion: '2.0.0', modelSha256: 'a'.repeat(64), mode: 'active' },
      { modelId: 'ich-next', modelVersion: '3.0.0', modelSha256: 'b'.repeat(64), mode: 'shadow' },
    ],
  }),
  rec('priority.decided', 3),
  rec('report.issued', 4, { report: { reportId: 'dr-1', versionId: '1', status: 'preliminary' } }),
  rec('assignment.changed', 5, { actor: reader, action: 'assigned' }),
  rec('read.signed', 6, { actor: reader, action: 'final' }),
  rec('report.issued', 7, { report: { reportId: 'dr-1', versionId: '2', status: 'final' } }),
  rec('delivery.recorded', 8, { delivery: { channel: 'fhir', target: 'ehr', messageType: 'transaction Bundle', attempt: 2, outcome: 'dead-lettered' } }),
];

// Loading the R4 definitions takes seconds on a busy machine: once, outside the tests' own timeout.
beforeAll(() => validateAuditResource({ resourceType: 'Bundle', type: 'collection' }), 60_000);

describe('AuditEvent export (IHE BALP shapes)', () => {
  it('study arrival: DICOM Instances Transferred, create, patient and study entities, the mesh as requestor', () => {
    const e = toAuditEvent(trace[0], { patient: { id: 'P-1', issuer: 'HOSP' }, site: 'SITE-A' });
    expect(e).toMatchObject({
      resourceType: 'AuditEvent',
      type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110104' },
      subtype: [{ system: 'urn:triage-mesh:event-type', code: 'study.received' }],
      action: 'C',
      outcome: '0',
      recorded: '2026-11-01T08:01:01.000Z',
      source: { site: 'SITE-A', observer: { display: 'triage-mesh audit' } },
      agent: [{ who: { identifier: { system: 'urn:triage-mesh:service', value: 'ingest' } }, requestor: true }],
    });
    expect(e.entity?.[0]).toMatchObject({ what: { identifier: { system: 'urn:issuer:HOSP', value: 'P-1' } }, role: { code: '1' } });
    expect(e.entity?.[1]).toMatchObject({ what: { identifier: { value: `urn:oid:${UID}` } }, role: { code: '3' } });
    expect(e.entity?.[1].detail).toEqual(expect.arrayContaining([{ type: 'traceId', valueString: 'ab'.repeat(16) }, { type: 'auditChainSeq', valueString: '1' }]));
  });

  it('reports are BALP create then update of the DiagnosticReport version; the signer is the requestor of a read', () => {
    expect(toAuditEvent(trace[3])).toMatchObject({ type: { code: 'rest' }, subtype: [{ code: 'create' }, { code: 'report.issued' }], action: 'C' });
    const final = toAuditEvent(trace[6]);
    expect(final).toMatchObject({ subtype: [{ code: 'update' }, { code: 'report.issued' }], action: 'U' });
    expect(final.entity?.find((x) => x.what?.reference)).toMatchObject({ what: { reference: 'DiagnosticReport/dr-1/_history/2' } });
    const read = toAuditEvent(trace[5]);
    expect(read.agent).toEqual([
      expect.objectContaining({ who: { identifier: { system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567890' }, display: 'Dr Reader' }, requestor: true }),
      expect.objectContaining({ requestor: false }),
    ]);
  });

  it('a dead-lettered delivery is an Export with a serious-failure outcome', () => {
    expect(toAuditEvent(trace[7])).toMatchObject({ type: { code: '110106' }, action: 'R', outcome: '8', outcomeDesc: expect.stringContaining('dead-lettered') });
  });

  it('validation rejects what R4 does not allow', () => {
    expect(() => validateAuditResource({ resourceType: 'AuditEvent', recorded: 'yesterday' } as unknown as AuditEvent)).toThrow(AuditFhirInvalidError);
  });
});

describe('Provenance export', () => {
  const [prelim, final] = toProvenances(trace);

  it('the preliminary version: made by the active AI model (not the shadow one) from the study and the inference event', () => {
    expect(prelim).toMatchObject({ resourceType: 'Provenance', target: [{ reference: 'DiagnosticReport/dr-1/_history/1' }], activity: { coding: [{ code: 'CREATE' }] } });
    expect(prelim.agent.map((a) => [a.type?.coding?.[0].code, a.who.display])).toEqual([
      ['assembler', 'triage-mesh reporting'],
      ['performer', 'ich-ct 2.0.0'],
    ]);
    expect(prelim.entity?.map((e) => [e.role, e.what.reference ?? e.what.identifier?.value])).toEqual([
      ['source', `urn:oid:${UID}`],
      ['source', `AuditEvent/${trace[1].eventId}`],
    ]);
  });

  it('the final version: authored by the signing radiologist, a revision of the preliminary', () => {
    expect(final.activity?.coding?.[0].code).toBe('UPDATE');
    expect(final.agent[0]).toMatchObject({ type: { coding: [{ code: 'author' }] }, who: { display: 'Dr Reader' } });
    expect(final.entity).toEqual(
      expect.arrayContaining([
        { role: 'source', what: { reference: `AuditEvent/${trace[5].eventId}` } },
        { role: 'revision', what: { reference: 'DiagnosticReport/dr-1/_history/1' } },
      ]),
    );
  });

  it('the bundle: one AuditEvent per event and one Provenance per report version, all valid R4', () => {
    const bundle = toAuditBundle(trace, { timestamp: new Date(Date.UTC(2026, 10, 2)) });
    const types = (bundle.entry ?? []).map((e) => e.resource?.resourceType);
    expect(types.filter((t) => t === 'AuditEvent')).toHaveLength(8);
    expect(types.filter((t) => t === 'Provenance')).toHaveLength(2);
    for (const e of bundle.entry ?? []) expect(() => validateAuditResource(e.resource as AuditEvent | Provenance)).not.toThrow();
  });
});
