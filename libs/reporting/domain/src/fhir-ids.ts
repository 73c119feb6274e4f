import { v5 as uuidv5 } from 'uuid';

/** UUID v5 namespace for the FHIR ids the mesh assigns: the same business key always gets the same id. */
const FHIR_ID_NAMESPACE = '5a8e1f7c-3c1d-4a4e-8f44-2d0b9e3c6a10';

/** Business-identifier systems of what the mesh emits; conditional create/update matches on them. */
export const ID_SYSTEMS = {
  dicomUid: 'urn:dicom:uid',
  report: 'urn:triage-mesh:diagnostic-report',
  observation: 'urn:triage-mesh:observation',
  imagingStudy: 'urn:triage-mesh:imaging-study',
  endpoint: 'urn:triage-mesh:endpoint',
  model: 'urn:triage-mesh:model',
  modelSha256: 'urn:triage-mesh:model-sha256',
  reader: 'urn:triage-mesh:reader',
  npi: 'http://hl7.org/fhir/sid/us-npi',
  /** Provenance has no identifier element in R4: its business key travels as a meta.tag. */
  provenance: 'urn:triage-mesh:provenance',
} as const;

export const DICOM_UID_SYSTEM = ID_SYSTEMS.dicomUid;
export const REPORT_ID_SYSTEM = ID_SYSTEMS.report;

/** Deterministic FHIR logical id for a resource type and business key. */
export function fhirId(resourceType: string, businessKey: string): string {
  return uuidv5(`${resourceType}:${businessKey}`, FHIR_ID_NAMESPACE);
}

/** Deterministic FHIR logical id of a study's DiagnosticReport (one per study: preliminary, then final). */
export function preliminaryReportId(studyInstanceUid: string): string {
  return uuidv5(`${studyInstanceUid}:DiagnosticReport:ai-preread`, FHIR_ID_NAMESPACE);
}

/** Business keys (identifier values) per resource. */
export const businessKeys = {
  report: (studyUid: string) => `${studyUid}/ai-preread`,
  imagingStudy: (studyUid: string) => studyUid,
  observation: (studyUid: string, modelId: string, label: string) => `${studyUid}/${modelId}/${label}`,
  device: (modelId: string, modelVersion: string) => `${modelId}@${modelVersion}`,
  endpoint: (address: string) => address,
  practitioner: (readerId: string) => readerId,
  provenance: (studyUid: string, stage: string) => `${studyUid}/${stage}`,
};
