import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { ensureFhirR4Definitions } from '@triage/fhir-definitions';

/** Loads the FHIR R4 StructureDefinitions into @medplum/core once per process (about a second). */
export const ensureFhirDefinitions = ensureFhirR4Definitions;

/** A resource the mesh built failed FHIR validation: a bug, never sent. Carries the OperationOutcome. */
export class FhirValidationError extends Error {
  constructor(readonly outcome: OperationOutcome) {
    super(`FHIR validation failed: ${(outcome.issue ?? []).map((i) => i.diagnostics ?? i.details?.text ?? i.code).join('; ')}`);
    this.name = 'FhirValidationError';
  }
  /** Retrying cannot make an invalid resource valid. */
  readonly retryable = false;
}

/** Validates a resource against the base FHIR R4 definitions with @medplum/core; throws FhirValidationError. */
export function assertValidResource(resource: Resource): void {
  ensureFhirDefinitions();
  try {
    validateResource(resource);
  } catch (err) {
    if (err instanceof OperationOutcomeError) throw new FhirValidationError(err.outcome);
    throw err;
  }
}
