import type { InferenceRun, ReaderRef, StudyRef } from '@triage/contracts';
import type { Device, Observation, Practitioner } from '@medplum/fhirtypes';
import { businessKeys, fhirId, ID_SYSTEMS } from './fhir-ids';
import { patientReference, type RunFinding } from './report-state';
import { ABSENT, findingCodings, MESH_CODES, PRESENT, UCUM } from './terminology';

/** The Device standing for one model at one version (the AI that produced the findings). */
export function buildModelDevice(run: Pick<InferenceRun, 'modelId' | 'modelVersion' | 'modelSha256'>): Device {
  const key = businessKeys.device(run.modelId, run.modelVersion);
  return {
    resourceType: 'Device',
    id: fhirId('Device', key),
    identifier: [
      { system: ID_SYSTEMS.model, value: key },
      { system: ID_SYSTEMS.modelSha256, value: run.modelSha256 },
    ],
    status: 'active',
    manufacturer: 'AI triage mesh',
    deviceName: [{ name: run.modelId, type: 'model-name' }],
    type: { coding: [{ system: MESH_CODES, code: 'ai-model', display: 'AI model (ONNX)' }], text: 'AI triage model' },
    version: [{ value: run.modelVersion }],
  };
}

/** The radiologist who signed a read. */
export function buildPractitioner(reader: ReaderRef): Practitioner {
  return {
    resourceType: 'Practitioner',
    id: fhirId('Practitioner', businessKeys.practitioner(reader.id)),
    identifier: [
      { system: ID_SYSTEMS.reader, value: reader.id },
      ...(reader.npi ? [{ system: ID_SYSTEMS.npi, value: reader.npi }] : []),
    ],
    active: true,
    ...(reader.display ? { name: [{ text: reader.display }] } : {}),
  };
}

const ratio = (value: number) => ({ value: Number(value.toFixed(6)), unit: '1', system: UCUM, code: '1' });

/** One Observation per AI finding: coded, present/absent, probability and threshold as components, method AI. */
export function buildFindingObservation(study: StudyRef, { run, finding }: RunFinding, imagingStudyId: string, issued: string): Observation {
  const key = businessKeys.observation(study.studyInstanceUid, run.modelId, finding.label);
  const subject = patientReference(study);
  return {
    resourceType: 'Observation',
    id: fhirId('Observation', key),
    identifier: [{ system: ID_SYSTEMS.observation, value: key }],
    status: 'preliminary',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging', display: 'Imaging' }] }],
    code: { coding: findingCodings(finding.code), text: finding.code.display ?? finding.label },
    ...(subject ? { subject } : {}),
    effectiveDateTime: run.startedAt,
    issued,
    valueCodeableConcept: { coding: [finding.positive ? PRESENT : ABSENT], text: finding.positive ? 'present' : 'absent' },
    method: {
      coding: [{ system: MESH_CODES, code: 'ai-inference', display: 'Artificial intelligence algorithm' }],
      text: `AI pre-read: ${run.modelId} ${run.modelVersion}`,
    },
    device: { reference: `Device/${buildModelDevice(run).id}` },
    derivedFrom: [{ reference: `ImagingStudy/${imagingStudyId}` }],
    component: [
      {
        code: { coding: [{ system: MESH_CODES, code: 'ai-probability', display: 'AI model output probability' }] },
        valueQuantity: ratio(finding.probability),
      },
      {
        code: { coding: [{ system: MESH_CODES, code: 'ai-threshold', display: 'AI model decision threshold' }] },
        valueQuantity: ratio(finding.threshold),
      },
    ],
  };
}
