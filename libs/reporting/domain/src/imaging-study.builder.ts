import type { Endpoint, ImagingStudy, ImagingStudySeries } from '@medplum/fhirtypes';
import { businessKeys, fhirId, ID_SYSTEMS } from './fhir-ids';
import { accessionIdentifiers, patientReference, type StudyReportState } from './report-state';
import { bodySiteCoding, modalityCoding } from './terminology';

/** The study-level DICOMweb (WADO-RS) endpoint the images can be retrieved from. */
export function buildEndpoint(retrieveUrl: string): Endpoint {
  return {
    resourceType: 'Endpoint',
    id: fhirId('Endpoint', businessKeys.endpoint(retrieveUrl)),
    identifier: [{ system: ID_SYSTEMS.endpoint, value: businessKeys.endpoint(retrieveUrl) }],
    status: 'active',
    connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'dicom-wado-rs', display: 'DICOM WADO-RS' },
    name: 'Triage mesh DICOMweb (WADO-RS)',
    payloadType: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type', code: 'any', display: 'Any' }], text: 'DICOM' }],
    payloadMimeType: ['application/dicom'],
    address: retrieveUrl,
  };
}

const urnOid = (uid: string) => `urn:oid:${uid}`;

/** ImagingStudy from the study's metadata: series, instances, modality, body site and the WADO-RS endpoint. */
export function buildImagingStudy(state: StudyReportState): ImagingStudy {
  const { study } = state;
  const series: ImagingStudySeries[] = (state.series ?? []).map((s) => {
    const site = bodySiteCoding(s.bodyPart ?? study.bodyPart);
    return {
      uid: s.seriesInstanceUid,
      modality: modalityCoding(s.modality),
      ...(s.seriesDescription ? { description: s.seriesDescription } : {}),
      numberOfInstances: s.instances.length,
      ...(site ? { bodySite: site } : {}),
      instance: s.instances.map((i) => ({
        uid: i.sopInstanceUid,
        sopClass: { system: 'urn:ietf:rfc:3986', code: urnOid(i.sopClassUid) },
        ...(i.instanceNumber !== undefined ? { number: i.instanceNumber } : {}),
      })),
    };
  });
  const instances = series.reduce((n, s) => n + (s.numberOfInstances ?? 0), 0);
  const subject = patientReference(study) ?? { display: 'Patient not identified by the source' };
  return {
    resourceType: 'ImagingStudy',
    id: fhirId('ImagingStudy', businessKeys.imagingStudy(study.studyInstanceUid)),
    identifier: [
      { system: ID_SYSTEMS.dicomUid, value: urnOid(study.studyInstanceUid) },
      ...accessionIdentifiers(study),
    ],
    status: 'available',
    modality: study.modalities.map(modalityCoding),
    subject,
    ...(study.studyDate ? { started: study.studyDate } : {}),
    ...(state.retrieveUrl ? { endpoint: [{ reference: `Endpoint/${buildEndpoint(state.retrieveUrl).id}` }] } : {}),
    ...(series.length ? { numberOfSeries: series.length, numberOfInstances: instances, series } : {}),
    ...(study.studyDescription ? { description: study.studyDescription } : {}),
  };
}
