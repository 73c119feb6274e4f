import type { Device, Practitioner, Provenance, Reference } from '@medplum/fhirtypes';
import { businessKeys, fhirId, ID_SYSTEMS } from './fhir-ids';

const PARTICIPANT = 'http://terminology.hl7.org/CodeSystem/provenance-participant-type';
const DATA_OPERATION = 'http://terminology.hl7.org/CodeSystem/v3-DataOperation';

export interface ProvenanceInput {
  studyInstanceUid: string;
  /** `ai-preread` or `read/<readId>`: one Provenance per stage. */
  stage: string;
  targets: Reference[];
  recorded: string;
  operation: 'CREATE' | 'UPDATE';
  /** Authors: the model Devices for the AI stage, the radiologist for a read. */
  authors: Array<Reference<Device | Practitioner>>;
  /** A radiologist who verified (signed) the content. */
  verifier?: Reference<Practitioner>;
}

/** Provenance of what the mesh emitted: which model (Device) produced it and, after the read, which radiologist signed. */
export function buildProvenance(input: ProvenanceInput): Provenance {
  const key = businessKeys.provenance(input.studyInstanceUid, input.stage);
  return {
    resourceType: 'Provenance',
    id: fhirId('Provenance', key),
    // R4 Provenance has no identifier element: the business key is a tag, which conditional updates match on.
    meta: { tag: [{ system: ID_SYSTEMS.provenance, code: key }] },
    target: input.targets,
    recorded: input.recorded,
    activity: { coding: [{ system: DATA_OPERATION, code: input.operation }] },
    agent: [
      ...input.authors.map((who) => ({ type: { coding: [{ system: PARTICIPANT, code: 'author', display: 'Author' }] }, who })),
      ...(input.verifier ? [{ type: { coding: [{ system: PARTICIPANT, code: 'verifier', display: 'Verifier' }] }, who: input.verifier }] : []),
      { type: { coding: [{ system: PARTICIPANT, code: 'assembler', display: 'Assembler' }] }, who: { display: 'AI triage mesh (reporting)' } },
    ],
  };
}
