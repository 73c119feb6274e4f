import { MeshClient, type Lineage } from '@triage/mesh-client';
import { generateChestXrayStudy, generateHeadCtStudy, type SampleStudy } from '@triage/samples';

interface StageLike {
  stage: string;
  sincePreviousMs: number | null;
  summary: Record<string, unknown> | null;
}

function describeStudy(study: SampleStudy, lineage: Lineage): string {
  const stages = Object.fromEntries((lineage.stages as unknown as StageLike[]).map((s) => [s.stage, s]));
  const inference = stages.inference?.summary as
    | { models: Array<{ modelId: string; modelVersion: string; mode: string; status: string; latencyMs: number }>; positiveFindings: Array<{ modelId: string; code: { display?: string }; label: string; probability: number; threshold: number; critical: boolean }> }
    | undefined;
  const priority = stages.priority?.summary as { priority: string; score: number; reasons: Array<{ text: string }>; ruleSetVersion: string } | undefined;
  const report = stages.report?.summary as { reportId: string; status: string } | undefined;
  const models = inference?.models.length
    ? inference.models.map((m) => `${m.modelId} ${m.modelVersion} (${m.mode}, ${m.status}, ${Math.round(m.latencyMs)} ms)`).join('; ')
    : 'no model applies';
  const findings = inference?.positiveFindings.length
    ? inference.positiveFindings
        .map((f) => `${f.code.display ?? f.label} p=${f.probability.toFixed(3)} (threshold ${f.threshold.toFixed(2)}${f.critical ? ', critical' : ''})`)
        .join('; ')
    : 'none flagged';
  const timing = (lineage.stages as unknown as StageLike[])
    .map((s) => (s.sincePreviousMs === null ? s.stage : `${s.stage} +${s.sincePreviousMs} ms`))
    .join(' -> ');
  return [
    `Study ${study.studyInstanceUid}  ${study.description}  (${study.files.length} instance${study.files.length > 1 ? 's' : ''})`,
    `  trace     ${lineage.traceId}`,
    `  models    ${models}`,
    `  findings  ${findings}`,
    `  priority  ${priority ? `${priority.priority.toUpperCase()} (score ${priority.score}, rules ${priority.ruleSetVersion})` : '?'}`,
    ...(priority?.reasons ?? []).map((r) => `            because: ${r.text}`),
    `  report    ${report ? `DiagnosticReport/${report.reportId} (${report.status})` : '?'}`,
    `  timeline  ${timing}`,
  ].join('\n');
}

/** The main job's demo: the mesh's own synthetic studies, sent over STOW-RS and followed to their reports. */
export async function runDemo(url: string, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const studies = [
    generateHeadCtStudy({ haemorrhage: true, seed: 7, patient: { name: 'DEMO^HEAD BLEED', id: 'DEMO-0001' } }),
    generateHeadCtStudy({ haemorrhage: false, seed: 8, patient: { name: 'DEMO^HEAD NORMAL', id: 'DEMO-0002' } }),
    generateChestXrayStudy({ seed: 9, patient: { name: 'DEMO^CHEST', id: 'DEMO-0003' } }),
  ];
  const client = new MeshClient(url);
  out.write(`\nSending ${studies.length} synthetic studies to ${url}/dicomweb (STOW-RS)...\n\n`);
  for (const study of studies) await client.stow(study.files);
  for (const study of studies) {
    const lineage = await client.waitForCompleteLineage(study.studyInstanceUid, 120_000);
    out.write(`${describeStudy(study, lineage)}\n\n`);
  }
  out.write(
    [
      'The mesh keeps serving (Ctrl-C to stop):',
      `  STOW-RS   POST ${url}/dicomweb/studies        QIDO-RS  GET ${url}/dicomweb/studies`,
      `  lineage   GET  ${url}/lineage?studyInstanceUid=<uid>`,
      `  health    GET  ${url}/health/ready`,
      '',
    ].join('\n'),
  );
}
