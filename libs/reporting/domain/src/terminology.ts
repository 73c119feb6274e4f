import type { Coding } from '@medplum/fhirtypes';

export const SNOMED = 'http://snomed.info/sct';
export const LOINC = 'http://loinc.org';
export const RADELEMENT = 'http://radelement.org';
export const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
export const UCUM = 'http://unitsofmeasure.org';
export const MESH_CODES = 'urn:triage-mesh:codes';

/**
 * SNOMED CT equivalents of the RadElement codes the shipped models use, so an EHR that does not know
 * RadElement still gets a standard code. Only mappings checked against both terminologies belong here.
 */
const RADELEMENT_TO_SNOMED: Record<string, Coding> = {
  RDES194: { system: SNOMED, code: '1386000', display: 'Intracranial hemorrhage (disorder)' },
};

/** The codings of a finding: its own code (RadElement, SNOMED CT or LOINC) plus a SNOMED CT equivalent where one is known. */
export function findingCodings(code: Coding): Coding[] {
  const own: Coding = { system: code.system, code: code.code, ...(code.display ? { display: code.display } : {}) };
  const extra = code.system === RADELEMENT ? RADELEMENT_TO_SNOMED[code.code ?? ''] : undefined;
  return extra ? [own, extra] : [own];
}

export const PRESENT: Coding = { system: SNOMED, code: '52101004', display: 'Present (qualifier value)' };
export const ABSENT: Coding = { system: SNOMED, code: '2667000', display: 'Absent (qualifier value)' };

/** BodyPartExamined (DICOM PS3.16 Annex L) to SNOMED CT, for ImagingStudy.series.bodySite. */
const BODY_PART_TO_SNOMED: Record<string, Coding> = {
  HEAD: { system: SNOMED, code: '69536005', display: 'Head structure' },
  BRAIN: { system: SNOMED, code: '12738006', display: 'Brain structure' },
  CHEST: { system: SNOMED, code: '51185008', display: 'Thoracic structure' },
  ABDOMEN: { system: SNOMED, code: '113345001', display: 'Abdominal structure' },
  PELVIS: { system: SNOMED, code: '12921003', display: 'Pelvic structure' },
  NECK: { system: SNOMED, code: '45048000', display: 'Neck structure' },
  SPINE: { system: SNOMED, code: '421060004', display: 'Structure of vertebral column' },
};

/** SNOMED CT body structure for a DICOM BodyPartExamined, when the mesh knows it. */
export function bodySiteCoding(bodyPart: string | undefined): Coding | undefined {
  return bodyPart ? BODY_PART_TO_SNOMED[bodyPart.toUpperCase()] : undefined;
}

/** A DICOM modality code (CID 29) as a FHIR Coding. */
export function modalityCoding(modality: string): Coding {
  return { system: DCM, code: modality };
}
