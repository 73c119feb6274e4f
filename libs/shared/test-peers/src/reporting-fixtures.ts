import type { AlertChanged, InferenceRun, PriorityDecided, ReadSigned, StudyReceived, StudyRef } from '@triage/contracts';

/** Synthetic study events for reporting tests. The patient is made up; tests grep logs for these values. */
export const FIXTURE_PATIENT = { id: 'RPT-PAT-7731', name: 'TESTCASE^REPORTING', birthDate: '1961-07-04', sex: 'F' as const };

export function fixtureStudy(uidSuffix: string | number, overrides: Partial<StudyRef> = {}): StudyRef {
  return {
    studyInstanceUid: `2.25.77${uidSuffix}`,
    accessionNumber: `ACC${uidSuffix}`.slice(0, 16),
    studyDate: '2026-11-21',
    studyDescription: 'CT HEAD WO CONTRAST',
    modalities: ['CT'],
    bodyPart: 'HEAD',
    patient: { ...FIXTURE_PATIENT },
    context: { patientClass: 'emergency', orderPriority: 'stat' },
    receivedAt: '2026-11-22T10:00:00.000Z',
    ...overrides,
  };
}

export function fixtureReceived(study: StudyRef, instances = 3): StudyReceived {
  return {
    study,
    series: [
      {
        seriesInstanceUid: `${study.studyInstanceUid}.1`,
        modality: 'CT',
        bodyPart: 'HEAD',
        seriesDescription: 'AXIAL 5MM',
        instances: Array.from({ length: instances }, (_, i) => ({
          sopInstanceUid: `${study.studyInstanceUid}.1.${i + 1}`,
          sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
          transferSyntaxUid: '1.2.840.10008.1.2.1',
          instanceNumber: i + 1,
          sizeBytes: 1024,
          sha256: 'a'.repeat(64),
        })),
      },
    ],
    instanceCount: instances,
    origin: { protocol: 'stow-rs' },
    retrieveUrl: `http://127.0.0.1:8080/dicom-web/studies/${study.studyInstanceUid}`,
  };
}

export function fixtureRun(positive: boolean): InferenceRun {
  return {
    modelId: 'head-ct-hyperdensity',
    modelVersion: '1.0.0',
    modelSha256: 'f3370944b32dfd9c01529bd871d7be60a993f18120c8d138d2af93d96812ef1b',
    mode: 'active',
    status: 'succeeded',
    startedAt: '2026-11-22T10:00:01.000Z',
    latencyMs: 20,
    findings: [
      {
        label: 'intracranial-hemorrhage',
        kind: 'finding',
        code: { system: 'http://radelement.org', code: 'RDES194', display: 'Acute intracranial hemorrhage' },
        probability: positive ? 0.97 : 0.04,
        threshold: 0.5,
        positive,
        critical: true,
      },
    ],
  };
}

export function fixtureDecision(study: StudyRef, positive: boolean): PriorityDecided {
  return {
    study,
    priority: positive ? 'critical' : 'routine',
    score: positive ? 150 : 10,
    reasons: [
      positive
        ? { ruleId: 'critical-ai-finding', text: 'AI pre-read flags Acute intracranial hemorrhage (probability 0.97, threshold 0.50)' }
        : { ruleId: 'default-routine', text: 'No rule raised the priority' },
    ],
    ruleSetVersion: '2026.11.0',
    runs: [fixtureRun(positive)],
    decidedAt: '2026-11-22T10:00:02.000Z',
  };
}

export function fixtureRead(study: StudyRef, positive: boolean, status: 'final' | 'amended' = 'final', readId = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b'): ReadSigned {
  return {
    study,
    readId,
    status,
    reader: { id: 'rad-017', display: 'Dr Ada Reader', npi: '1234567893' },
    verdicts: [
      {
        label: 'intracranial-hemorrhage',
        code: { system: 'http://radelement.org', code: 'RDES194', display: 'Acute intracranial hemorrhage' },
        modelId: 'head-ct-hyperdensity',
        modelVersion: '1.0.0',
        aiPositive: positive,
        verdict: 'confirmed',
      },
    ],
    impression: positive ? 'Acute left parietal intraparenchymal haemorrhage, 3 cm. No midline shift.' : 'No acute intracranial abnormality.',
    conclusionCodes: positive
      ? [{ system: 'http://snomed.info/sct', code: '1386000', display: 'Intracranial hemorrhage (disorder)' }]
      : [{ system: 'http://snomed.info/sct', code: '281900007', display: 'No abnormality detected (finding)' }],
    priority: positive ? 'critical' : 'routine',
    signedAt: '2026-11-22T10:20:00.000Z',
  };
}

export function fixtureAlert(study: StudyRef, alertId = '0b7a2c64-9c55-4e0e-9d3c-7f2d2f7b1a01'): AlertChanged {
  const run = fixtureRun(true);
  return {
    study,
    alertId,
    action: 'raised',
    tier: 'critical',
    step: 0,
    recipient: { id: 'rad-017', display: 'Dr Ada Reader' },
    role: 'assigned-reader',
    channels: ['hl7-adt', 'worklist'],
    findings: run.findings,
    reasons: [{ ruleId: 'critical-ai-finding', text: 'AI pre-read flags Acute intracranial hemorrhage' }],
    ackDeadline: '2026-11-22T10:15:00.000Z',
    at: '2026-11-22T10:00:03.000Z',
  };
}
