import type { DiagnosticReport } from '@medplum/fhirtypes';
import type { MeshClient, Lineage } from '@triage/mesh-client';
import { assertValidResource, preliminaryReportId } from '@triage/reporting-domain';
import { generateHeadCtStudy, type SampleStudy } from '@triage/samples';
import { E2E_PATIENT } from './phi';

export interface ExpectedFlow {
  studyInstanceUid: string;
  instances: number;
  priority: 'critical' | 'urgent' | 'routine';
  firstRule: string;
  reportId: string;
  positiveLabels: string[];
  patientId: string;
  /** How the study arrived (default stow-rs). */
  originProtocol?: 'stow-rs' | 'c-store';
}

interface Stage {
  stage: string;
  eventId: string;
  source: string;
  sinceArrivalMs: number | null;
  summary: Record<string, unknown> | null;
}

/** What a user checks after a study went through: the lineage timeline and the DiagnosticReport itself. */
export async function expectReportedFlow(client: MeshClient, lineage: Lineage, want: ExpectedFlow): Promise<DiagnosticReport> {
  expect(lineage.studyInstanceUid).toBe(want.studyInstanceUid);
  expect(lineage.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(lineage.complete).toBe(true);
  const stages = lineage.stages as unknown as Stage[];
  expect(stages.map((s) => [s.stage, s.source])).toEqual([
    ['received', 'ingest'],
    ['inference', 'inference'],
    ['priority', 'routing'],
    ['report', 'reporting'],
  ]);
  expect(new Set(stages.map((s) => s.eventId)).size).toBe(4);
  const arrival = stages.map((s) => s.sinceArrivalMs ?? -1);
  expect(arrival[0]).toBe(0);
  for (let i = 1; i < arrival.length; i++) expect(arrival[i]).toBeGreaterThanOrEqual(arrival[i - 1]);

  // The same timeline is found by trace id.
  const byTrace = await client.lineageByTrace(lineage.traceId);
  expect(byTrace?.stages.map((s) => s.eventId)).toEqual(stages.map((s) => s.eventId));

  const [received, inference, priority, report] = stages.map((s) => s.summary ?? {});
  expect(received).toMatchObject({ instanceCount: want.instances, originProtocol: want.originProtocol ?? 'stow-rs' });
  // Shadow-mode models are recorded too (audit shows everything the AI said); only active ones count here.
  const active = new Set((inference.models as Array<{ modelId: string; mode: string }>).filter((m) => m.mode === 'active').map((m) => m.modelId));
  const positives = (inference.positiveFindings as Array<{ modelId: string; code: { display?: string } }>)
    .filter((f) => active.has(f.modelId))
    .map((f) => f.code.display);
  expect(positives).toEqual(want.positiveLabels);
  expect(priority).toMatchObject({ priority: want.priority });
  expect((priority.reasons as Array<{ ruleId: string; text: string }>)[0].ruleId).toBe(want.firstRule);
  expect((priority.reasons as Array<{ text: string }>)[0].text.length).toBeGreaterThan(5);
  expect(report).toMatchObject({ reportId: want.reportId, status: 'preliminary', priority: want.priority });

  const dr = report.diagnosticReport as DiagnosticReport;
  expect(() => assertValidResource(dr)).not.toThrow();
  expect(dr).toMatchObject({
    resourceType: 'DiagnosticReport',
    id: want.reportId,
    status: 'preliminary',
    subject: { type: 'Patient', identifier: { value: want.patientId } },
  });
  expect(dr.identifier).toContainEqual({ system: 'urn:dicom:uid', value: `urn:oid:${want.studyInstanceUid}` });
  expect((dr.conclusionCode ?? []).map((c) => c.coding?.[0].display)).toEqual(want.positiveLabels);
  expect(dr.conclusion).toContain(`Triage priority ${want.priority.toUpperCase()}`);
  const draft = Buffer.from(dr.presentedForm?.[0].data ?? '', 'base64').toString('utf8');
  expect(draft).toContain('AI PRE-READ - PRELIMINARY');
  return dr;
}

/** Sends a head CT with a haemorrhage-like hyperdensity over STOW-RS and checks it ends in a Critical, validated report. */
export async function sendHaemorrhageHeadCt(client: MeshClient, seed: number): Promise<{ study: SampleStudy; lineage: Lineage }> {
  const study = generateHeadCtStudy({ haemorrhage: true, seed, patient: E2E_PATIENT });
  await client.stow(study.files);
  return { study, lineage: await expectCriticalHeadCt(client, study, 'stow-rs') };
}

/** Waits for the haemorrhage head CT's lineage and checks it ends in a Critical, validated report. */
export async function expectCriticalHeadCt(client: MeshClient, study: SampleStudy, originProtocol: 'stow-rs' | 'c-store'): Promise<Lineage> {
  const lineage = await client.waitForCompleteLineage(study.studyInstanceUid, 120_000);
  await expectReportedFlow(client, lineage, {
    studyInstanceUid: study.studyInstanceUid,
    instances: 12,
    priority: 'critical',
    firstRule: 'critical-ai-finding',
    reportId: preliminaryReportId(study.studyInstanceUid),
    positiveLabels: ['Acute intracranial hemorrhage'],
    patientId: E2E_PATIENT.id,
    originProtocol,
  });
  return lineage;
}
