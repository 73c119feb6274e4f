import type { DiagnosticReport, Device, ImagingStudy, Observation, Provenance, Resource } from '@medplum/fhirtypes';
import { assertValidResource } from '@triage/reporting-domain';
import type { FhirTestServer, ReceivedHl7 } from '@triage/test-peers';

const ALWAYS = { kind: 'weekly', timeZone: 'UTC', days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '00:00', end: '00:00' };

/** The site of the e2e order (PV1-3.4 of statEdOrder) and a reader directory that knows it. */
export const CARE_PATHWAY_SITE = 'GENERAL';
export const CARE_PATHWAY_READERS = [
  { id: 'neuro', name: 'Neuro On Shift', subspecialties: ['neuro'], licences: [{ site: CARE_PATHWAY_SITE }], shifts: [ALWAYS], maxConcurrent: 5 },
  { id: 'gen', name: 'General On Shift', subspecialties: ['general'], licences: [{ site: CARE_PATHWAY_SITE }], shifts: [ALWAYS], maxConcurrent: 5 },
  { id: 'boss', name: 'Supervisor On Shift', subspecialties: ['general'], licences: [{ site: CARE_PATHWAY_SITE }], shifts: [ALWAYS], maxConcurrent: 5, supervisor: true },
];

/** What the EHR's FHIR server holds for one study: its DiagnosticReports and what they reference. */
export interface StudyOnEhr {
  reports: DiagnosticReport[];
  observations: Observation[];
  imagingStudies: ImagingStudy[];
  devices: Device[];
  provenances: Provenance[];
}

const refersTo = (ref: string | undefined, r: Resource) => ref === `${r.resourceType}/${r.id}`;

/** The study's resources on the FHIR server, found from its DiagnosticReport (business identifier urn:dicom:uid). */
export async function studyOnEhr(fhir: FhirTestServer, studyInstanceUid: string): Promise<StudyOnEhr> {
  const reports = (await fhir.all<DiagnosticReport>('DiagnosticReport')).filter((r) =>
    r.identifier?.some((i) => i.system === 'urn:dicom:uid' && i.value === `urn:oid:${studyInstanceUid}`),
  );
  const [allObs, allStudies, allDevices, allProv] = await Promise.all([
    fhir.all<Observation>('Observation'),
    fhir.all<ImagingStudy>('ImagingStudy'),
    fhir.all<Device>('Device'),
    fhir.all<Provenance>('Provenance'),
  ]);
  const observations = allObs.filter((o) => reports.some((r) => r.result?.some((ref) => refersTo(ref.reference, o))));
  const imagingStudies = allStudies.filter((s) => reports.some((r) => r.imagingStudy?.some((ref) => refersTo(ref.reference, s))));
  const devices = allDevices.filter((d) => observations.some((o) => refersTo(o.device?.reference, d)));
  const provenances = allProv.filter((p) => reports.some((r) => p.target.some((t) => refersTo(t.reference, r))));
  return { reports, observations, imagingStudies, devices, provenances };
}

/** Every resource is valid R4 (validateResource of @medplum/core; server meta stripped). */
export function expectAllValid(found: StudyOnEhr): void {
  const all: Resource[] = [...found.reports, ...found.observations, ...found.imagingStudies, ...found.devices, ...found.provenances];
  for (const r of all) expect(() => assertValidResource({ ...r, meta: undefined })).not.toThrow();
}

/** Distinct HL7 messages (a resend after a crash repeats MSH-10; each control id counts once). */
export function distinctHl7(received: ReceivedHl7[]): ReceivedHl7[] {
  return [...new Map(received.map((m) => [m.controlId, m])).values()];
}

/** The study's ORU^R01 results as python-hl7 parsed them (OBR-3, the filler order number, is its accession number). */
export function orusFor(received: ReceivedHl7[], accessionNumber: string): ReceivedHl7[] {
  return distinctHl7(received).filter((m) => m.messageType.startsWith('ORU^R01') && m.obr?.['3'] === accessionNumber);
}

/** The study's ADT alerts (no OBR in ADT: an OBX coded DCM 110180 carries the Study Instance UID). */
export function adtsFor(received: ReceivedHl7[], studyInstanceUid: string): ReceivedHl7[] {
  return distinctHl7(received).filter((m) => m.messageType.startsWith('ADT^') && m.obx.some((o) => o.code === '110180' && o.value === studyInstanceUid));
}
