import type { PriorityDecided } from '@triage/contracts';
import type { DiagnosticReport } from '@medplum/fhirtypes';
import { buildPreliminaryReport, draftReportText, preliminaryReportId } from './diagnostic-report.builder';
import { assertValidResource, FhirValidationError } from './fhir-validation';

const decision: PriorityDecided = {
  study: {
    studyInstanceUid: '2.25.1234',
    accessionNumber: 'ACC1',
    studyDescription: 'CT HEAD WO CONTRAST',
    studyDate: '2026-11-21',
    modalities: ['CT'],
    bodyPart: 'HEAD',
    patient: { id: 'DEMO-0001', name: 'DEMO^PATIENT', birthDate: '1950-02-03', sex: 'F' },
    context: { patientClass: 'emergency', orderPriority: 'stat' },
    receivedAt: '2026-11-22T10:00:00.000Z',
  },
  priority: 'critical',
  score: 150,
  reasons: [
    { ruleId: 'critical-ai-finding', text: 'AI pre-read flags Intracranial hemorrhage (probability 0.97)' },
    { ruleId: 'emergency-patient', text: 'Emergency department patient' },
  ],
  ruleSetVersion: '2026.11.0',
  runs: [
    {
      modelId: 'head-ct-hyperdensity',
      modelVersion: '1.0.0',
      modelSha256: 'b'.repeat(64),
      mode: 'active',
      status: 'succeeded',
      startedAt: '2026-11-22T10:00:01.000Z',
      latencyMs: 20,
      findings: [
        {
          label: 'hyperdensity',
          kind: 'finding',
          code: { system: 'http://radelement.org', code: 'RDE1234', display: 'Intracranial hemorrhage' },
          probability: 0.97,
          threshold: 0.5,
          positive: true,
          critical: true,
        },
      ],
    },
  ],
  decidedAt: '2026-11-22T10:00:02.000Z',
};

describe('buildPreliminaryReport', () => {
  const issued = new Date('2026-11-22T10:00:03.000Z');

  it('builds a preliminary radiology DiagnosticReport that passes @medplum/core validation', () => {
    const report = buildPreliminaryReport(decision, issued);
    expect(() => assertValidResource(report)).not.toThrow();
    expect(report).toMatchObject({
      resourceType: 'DiagnosticReport',
      status: 'preliminary',
      issued: '2026-11-22T10:00:03.000Z',
      effectiveDateTime: '2026-11-21',
      subject: { type: 'Patient', identifier: { value: 'DEMO-0001' } },
    });
    expect(report.category?.[0].coding?.[0].code).toBe('RAD');
    expect(report.conclusionCode?.[0].coding?.[0]).toEqual({ system: 'http://radelement.org', code: 'RDE1234', display: 'Intracranial hemorrhage' });
    expect(report.conclusion).toMatch(/^AI pre-read suggests: Intracranial hemorrhage\. Triage priority CRITICAL/);
  });

  it('gives a study the same report id every time (redelivery makes no second report)', () => {
    expect(buildPreliminaryReport(decision, issued).id).toBe(preliminaryReportId('2.25.1234'));
    expect(preliminaryReportId('2.25.1234')).not.toBe(preliminaryReportId('2.25.1235'));
  });

  it('puts a readable draft in presentedForm, without patient identifiers', () => {
    const report = buildPreliminaryReport(decision, issued);
    const text = Buffer.from(report.presentedForm![0].data!, 'base64').toString('utf8');
    expect(text).toBe(draftReportText(decision));
    expect(text).toContain('Intracranial hemorrhage: POSITIVE (p=0.970, threshold 0.50)');
    expect(text).not.toContain('DEMO-0001');
    expect(text).not.toContain('DEMO^PATIENT');
  });

  it('leaves out shadow-mode findings from the conclusion codes', () => {
    const shadow = { ...decision, runs: decision.runs.map((r) => ({ ...r, mode: 'shadow' as const })) };
    const report = buildPreliminaryReport(shadow, issued);
    expect(report.conclusionCode).toBeUndefined();
    expect(report.conclusion).toMatch(/no flagged finding/);
  });
});

describe('assertValidResource', () => {
  it('rejects an invalid resource with an OperationOutcome', () => {
    const bad = { ...buildPreliminaryReport(decision, new Date()), unknownElement: true } as unknown as DiagnosticReport;
    let caught: unknown;
    try {
      assertValidResource(bad);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FhirValidationError);
    expect((caught as FhirValidationError).outcome.issue?.[0].diagnostics ?? (caught as FhirValidationError).message).toMatch(/unknownElement/);
  });
});
