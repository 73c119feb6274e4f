import type { CapabilityStatement, ResourceType } from '@medplum/fhirtypes';

/** Search parameters the mesh's own endpoint answers, per resource type (anything else is a 400). */
export const SEARCH_PARAMS: Record<string, Record<string, 'token' | 'reference' | 'date' | 'string'>> = {
  DiagnosticReport: {
    identifier: 'token',
    status: 'token',
    date: 'date',
    subject: 'reference',
    'subject:identifier': 'token',
    'patient:identifier': 'token',
    code: 'token',
    category: 'token',
    result: 'reference',
    issued: 'date',
  },
  Observation: {
    identifier: 'token',
    code: 'token',
    subject: 'reference',
    'subject:identifier': 'token',
    'patient:identifier': 'token',
    status: 'token',
    date: 'date',
    'derived-from': 'reference',
    device: 'reference',
    'value-concept': 'token',
  },
  ImagingStudy: { identifier: 'token', status: 'token', started: 'date', modality: 'token', 'subject:identifier': 'token', 'patient:identifier': 'token' },
  Device: { identifier: 'token' },
  Endpoint: { identifier: 'token' },
  Practitioner: { identifier: 'token' },
  Provenance: { target: 'reference', recorded: 'date' },
};

/** Parameters every type accepts. */
export const COMMON_PARAMS = new Set(['_id', '_count', '_offset', '_sort', '_lastUpdated', '_total', '_format']);

/** The CapabilityStatement at /metadata: read and search of what the mesh emitted, and rest-hook Subscriptions. */
export function capabilityStatement(baseUrl: string, softwareVersion: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-12-01',
    kind: 'instance',
    software: { name: 'AI triage mesh (reporting)', version: softwareVersion },
    implementation: { description: 'What the triage mesh emitted: AI pre-read and signed radiology reports', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    instantiates: ['http://hl7.org/fhir/uv/subscriptions-backport/CapabilityStatement/backport-subscription-server-r4'],
    rest: [
      {
        mode: 'server',
        resource: [
          ...Object.entries(SEARCH_PARAMS).map(([type, params]) => ({
            type: type as ResourceType,
            interaction: [{ code: 'read' as const }, { code: 'search-type' as const }],
            versioning: 'no-version' as const,
            searchParam: Object.entries(params)
              .filter(([name]) => !name.includes(':'))
              .map(([name, kind]) => ({ name, type: kind })),
          })),
          {
            type: 'Subscription' as const,
            interaction: [{ code: 'create' as const }, { code: 'read' as const }, { code: 'delete' as const }],
            supportedProfile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription'],
          },
        ],
      },
    ],
  };
}
