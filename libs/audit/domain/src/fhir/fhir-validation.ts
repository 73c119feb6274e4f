import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { ensureFhirR4Definitions } from '@triage/fhir-definitions';

/** An audit export resource that fails FHIR R4 validation: a bug in the mapping, never exported. */
export class AuditFhirInvalidError extends Error {
  readonly retryable = false;
  constructor(
    readonly resourceType: string,
    readonly issues: OperationOutcomeIssue[],
  ) {
    super(`${resourceType} failed FHIR R4 validation: ${issues.map((i) => `${i.expression?.join(',') ?? ''} ${i.details?.text ?? i.code}`.trim()).join('; ')}`);
    this.name = 'AuditFhirInvalidError';
  }
}

/** Validates a resource with @medplum/core validateResource() against base R4; throws AuditFhirInvalidError. */
export function validateAuditResource<T extends Resource>(resource: T): T {
  ensureFhirR4Definitions();
  try {
    validateResource(resource);
  } catch (err) {
    if (err instanceof OperationOutcomeError) throw new AuditFhirInvalidError(resource.resourceType, err.outcome.issue ?? []);
    throw err;
  }
  return resource;
}
