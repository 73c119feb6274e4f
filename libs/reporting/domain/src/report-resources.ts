import type { Bundle, BundleEntry, DiagnosticReport, Reference, Resource } from '@medplum/fhirtypes';
import { ID_SYSTEMS } from './fhir-ids';
import { buildDiagnosticReport } from './diagnostic-report.builder';
import { assertValidResource } from './fhir-validation';
import { buildEndpoint, buildImagingStudy } from './imaging-study.builder';
import { buildFindingObservation, buildModelDevice, buildPractitioner } from './observation.builder';
import { buildProvenance } from './provenance.builder';
import { reportableFindings, type StudyReportState } from './report-state';

const ref = <T extends Resource>(r: T): Reference<T> => ({ reference: `${r.resourceType}/${r.id}` });

/** Everything the mesh emits for a study, in dependency order, each validated with @medplum/core. */
export interface ReportResources {
  report: DiagnosticReport;
  resources: Resource[];
}

/**
 * Builds the study's resources from what reporting knows about it, and validates each one (skip that
 * only to rebuild what was validated when it was emitted, e.g. reloading the mesh's own endpoint).
 */
export function buildReportResources(state: StudyReportState, issued: Date, opts: { validate?: boolean } = {}): ReportResources {
  const { study, decision, read } = state;
  const endpoint = state.retrieveUrl ? buildEndpoint(state.retrieveUrl) : undefined;
  const imagingStudy = buildImagingStudy(state);
  const findings = decision ? reportableFindings(decision.runs) : [];
  const devices = new Map(
    (decision?.runs ?? []).filter((r) => r.mode === 'active' && r.status === 'succeeded').map((r) => [`${r.modelId}@${r.modelVersion}`, buildModelDevice(r)]),
  );
  const observations = findings.map((f) => buildFindingObservation(study, f, imagingStudy.id as string, decision?.decidedAt ?? issued.toISOString()));
  const practitioner = read ? buildPractitioner(read.reader) : undefined;
  const report = buildDiagnosticReport(
    state,
    { observations: observations.map(ref), imagingStudy: ref(imagingStudy), ...(practitioner ? { resultsInterpreter: ref(practitioner) } : {}) },
    issued,
  );
  const provenances = [
    ...(decision
      ? [
          buildProvenance({
            studyInstanceUid: study.studyInstanceUid,
            stage: 'ai-preread',
            targets: [ref(report), ...observations.map(ref)],
            recorded: decision.decidedAt,
            operation: 'CREATE',
            authors: [...devices.values()].map(ref),
          }),
        ]
      : []),
    ...(read && practitioner
      ? [
          buildProvenance({
            studyInstanceUid: study.studyInstanceUid,
            stage: `read/${read.readId}`,
            targets: [ref(report)],
            recorded: read.signedAt,
            operation: 'UPDATE',
            authors: [ref(practitioner)],
            verifier: ref(practitioner),
          }),
        ]
      : []),
  ];
  const resources: Resource[] = [
    ...(endpoint ? [endpoint] : []),
    ...devices.values(),
    ...(practitioner ? [practitioner] : []),
    imagingStudy,
    ...observations,
    report,
    ...provenances,
  ];
  // Every resource is validated before it leaves; an invalid one is a bug (FhirValidationError, not retried).
  if (opts.validate !== false) for (const r of resources) assertValidResource(r);
  return { report, resources };
}

/** The search that identifies a resource by its business key (conditional create/update). */
export function conditionalQuery(resource: Resource): string {
  if (resource.resourceType === 'Provenance') {
    const tag = resource.meta?.tag?.find((t) => t.system === ID_SYSTEMS.provenance);
    return `_tag=${encodeURIComponent(`${ID_SYSTEMS.provenance}|${tag?.code ?? ''}`)}`;
  }
  const systems: string[] = [ID_SYSTEMS.report, ID_SYSTEMS.observation, ID_SYSTEMS.model, ID_SYSTEMS.reader, ID_SYSTEMS.endpoint, ID_SYSTEMS.dicomUid];
  const ids = 'identifier' in resource ? (resource.identifier as Array<{ system?: string; value?: string }> | undefined) : undefined;
  const id = systems.map((s) => ids?.find((i) => i.system === s)).find(Boolean);
  if (!id?.value) throw new Error(`${resource.resourceType} has no business identifier`);
  return `identifier=${encodeURIComponent(`${id.system}|${id.value}`)}`;
}

/** Rewrites `Type/<id>` references to the bundle's `urn:uuid:<id>` full URLs, so the server links its own ids. */
function linkInBundle<T>(value: T, local: Set<string>): T {
  if (Array.isArray(value)) return value.map((v: unknown) => linkInBundle(v, local)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string' && local.has(v)) out[k] = `urn:uuid:${v.split('/')[1]}`;
      else out[k] = linkInBundle(v, local);
    }
    return out as T;
  }
  return value;
}

/**
 * A FHIR transaction Bundle of conditional updates on business identifiers: the server creates what it
 * does not have and updates what it has, so a retried or redelivered bundle never makes a duplicate.
 */
export function toTransactionBundle(resources: Resource[], bundleId: string, timestamp: Date): Bundle {
  const local = new Set(resources.map((r) => `${r.resourceType}/${r.id}`));
  const entry: BundleEntry[] = resources.map((r) => {
    const { id, ...withoutId } = r;
    const body = linkInBundle(withoutId, local) as Resource;
    return { fullUrl: `urn:uuid:${id}`, resource: body, request: { method: 'PUT', url: `${r.resourceType}?${conditionalQuery(r)}` } };
  });
  return { resourceType: 'Bundle', id: bundleId, type: 'transaction', timestamp: timestamp.toISOString(), entry };
}
