import type { ServiceRequest } from '@medplum/fhirtypes';
import { FhirIntakeError, mapServiceRequest, parseServiceRequest } from './service-request.mapper';

const NOW = new Date('2026-12-01T10:00:00Z');
const base: ServiceRequest = { resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' } };

describe('mapServiceRequest', () => {
  it('joins on a urn:dicom:uid identifier; urgent counts as asap; requester display and encounter class are used', () => {
    const sr: ServiceRequest = {
      ...base,
      priority: 'urgent',
      identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2.840.113619.2.1.1' }],
      requester: { display: 'Dr Jane Roe' },
      encounter: { reference: '#e' },
      contained: [{ resourceType: 'Encounter', id: 'e', status: 'in-progress', class: { code: 'IMP' } }],
    };
    expect(mapServiceRequest(parseServiceRequest(JSON.stringify(sr)), NOW)).toMatchObject({
      studyInstanceUid: '1.2.840.113619.2.1.1',
      orderStatus: 'active',
      context: { orderPriority: 'asap', patientClass: 'inpatient', orderingProvider: 'Dr Jane Roe' },
    });
  });

  it.each([
    ['an invalid DICOM UID', [{ system: 'urn:dicom:uid', value: 'urn:oid:1.02.3' }]],
    ['an accession number over 16 characters', [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, value: 'A'.repeat(17) }]],
  ])('refuses %s with 422', (_name, identifier) => {
    let err: unknown;
    try {
      mapServiceRequest({ ...base, identifier }, NOW);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FhirIntakeError);
    expect((err as FhirIntakeError).status).toBe(422);
    expect((err as FhirIntakeError).outcome.issue?.[0].expression).toEqual(['ServiceRequest.identifier']);
  });
});
