import type { Finding, InferenceRun, PriorityDecided, ReadSigned, StudyReceived, StudyRef } from '@triage/contracts';
import type { Identifier, Patient, Reference } from '@medplum/fhirtypes';

/** What reporting knows about one study: the resources are a function of it (rebuilt, never patched). */
export interface StudyReportState {
  study: StudyRef;
  /** From study.received / study.updated; absent when reporting saw only later events. */
  series?: StudyReceived['series'];
  retrieveUrl?: string;
  /** The AI pre-read with its priority. */
  decision?: PriorityDecided;
  /** The latest signed read (final, or an amendment). */
  read?: ReadSigned;
}

/** A finding of an active, succeeded run, with the run it came from. */
export interface RunFinding {
  run: InferenceRun;
  finding: Finding;
}

/** Findings that become Observations: active models that succeeded, kind finding (shadow runs are audited only). */
export function reportableFindings(runs: InferenceRun[]): RunFinding[] {
  return runs
    .filter((r) => r.mode === 'active' && r.status === 'succeeded')
    .flatMap((run) => run.findings.filter((f) => f.kind === 'finding').map((finding) => ({ run, finding })));
}

/** The positive ones among them. */
export function positiveFindings(runs: InferenceRun[]): RunFinding[] {
  return reportableFindings(runs).filter((f) => f.finding.positive);
}

/** The patient as a logical reference by identifier (the EHR owns the Patient resource). */
export function patientReference(study: StudyRef): Reference<Patient> | undefined {
  if (!study.patient.id) return undefined;
  return {
    type: 'Patient',
    identifier: { value: study.patient.id, ...(study.patient.issuer ? { system: `urn:issuer:${study.patient.issuer}` } : {}) },
  };
}

/** The accession number as an ACSN identifier (none when the study has no accession number). */
export function accessionIdentifiers(study: StudyRef): Identifier[] {
  if (!study.accessionNumber) return [];
  return [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, value: study.accessionNumber }];
}
