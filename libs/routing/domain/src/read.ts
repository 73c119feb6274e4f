import type { Finding, FindingVerdict, InferenceRun } from '@triage/contracts';

/** A radiologist's answer to one AI finding, as the worklist API receives it. */
export interface VerdictInput {
  modelId: string;
  label: string;
  verdict: 'confirmed' | 'rejected';
}

/** The AI findings a read must answer: kind `finding` of succeeded runs of active models (shadow runs are not shown). */
export function findingsToAnswer(runs: readonly InferenceRun[]): Array<{ run: InferenceRun; finding: Finding }> {
  return runs
    .filter((r) => r.mode === 'active' && r.status === 'succeeded')
    .flatMap((run) => run.findings.filter((f) => f.kind === 'finding').map((finding) => ({ run, finding })));
}

export type VerdictResult = { ok: true; verdicts: FindingVerdict[] } | { ok: false; problems: string[] };

/**
 * Matches a read's verdicts to the AI findings it must answer: exactly one verdict per finding, none for
 * findings the study does not have. Problems name models and labels only.
 */
export function buildVerdicts(runs: readonly InferenceRun[], inputs: readonly VerdictInput[]): VerdictResult {
  const due = findingsToAnswer(runs);
  const key = (modelId: string, label: string) => `${modelId}\u0000${label}`;
  const byKey = new Map<string, VerdictInput>();
  const problems: string[] = [];
  for (const v of inputs) {
    const k = key(v.modelId, v.label);
    if (byKey.has(k)) problems.push(`more than one verdict for ${v.label} of model ${v.modelId}`);
    byKey.set(k, v);
  }
  const known = new Set(due.map((d) => key(d.run.modelId, d.finding.label)));
  for (const v of inputs) if (!known.has(key(v.modelId, v.label))) problems.push(`no AI finding ${v.label} of an active model ${v.modelId} on this study`);
  const verdicts: FindingVerdict[] = [];
  for (const { run, finding } of due) {
    const v = byKey.get(key(run.modelId, finding.label));
    if (!v) {
      problems.push(`missing verdict for ${finding.label} of model ${run.modelId}`);
      continue;
    }
    verdicts.push({ label: finding.label, code: finding.code, modelId: run.modelId, modelVersion: run.modelVersion, aiPositive: finding.positive, verdict: v.verdict });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, verdicts };
}
