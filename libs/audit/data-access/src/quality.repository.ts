import type { ManifestInput, PositivityObservation, TimeWindow } from '@triage/audit-domain';
import type { PrismaClient } from './generated/prisma/client';

export interface QualityFilter {
  /** Reads signed in [from, to); open-ended when absent. */
  from?: Date;
  to?: Date;
  modelId?: string;
}

interface VerdictRow {
  study_instance_uid: string;
  read_id: string;
  signed_at: Date;
  model_id: string;
  model_version: string;
  label: string;
  code_system: string;
  code: string;
  site: string | null;
  age_band: string;
  sex: string | null;
  ai_positive: boolean;
  read_positive: boolean;
  modalities: string[];
  body_part: string | null;
}

/**
 * Reads what the quality figures are computed from. Only de-identified columns that retention keeps:
 * the figures do not change when PHI is purged.
 */
export class QualityRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Verdicts of signed reads on AI findings. read.signed carries verdicts for active models only; a
   * verdict on a model the store saw run in shadow mode for that study is left out all the same, so a
   * shadow model can never count.
   */
  async cases(filter: QualityFilter = {}): Promise<ManifestInput[]> {
    const rows = await this.prisma.$queryRaw<VerdictRow[]>`
      SELECT r.study_instance_uid, r.read_id::text AS read_id, r.signed_at, v.model_id, v.model_version, v.label,
             v.code_system, v.code, r.site, r.age_band, r.sex, v.ai_positive, v.read_positive, r.modalities, r.body_part
        FROM read_verdict v JOIN read r ON r.id = v.read_row_id
       WHERE (${filter.from ?? null}::timestamptz IS NULL OR r.signed_at >= ${filter.from ?? null}::timestamptz)
         AND (${filter.to ?? null}::timestamptz IS NULL OR r.signed_at < ${filter.to ?? null}::timestamptz)
         AND (${filter.modelId ?? null}::text IS NULL OR v.model_id = ${filter.modelId ?? null}::text)
         AND NOT EXISTS (
           SELECT 1 FROM inference_run s
            WHERE s.study_instance_uid = r.study_instance_uid AND s.model_id = v.model_id
              AND s.model_version = v.model_version AND s.mode = 'shadow')
       ORDER BY r.signed_at, v.id`;
    return rows.map((r) => ({
      studyKey: r.study_instance_uid,
      readId: r.read_id,
      signedAt: new Date(r.signed_at),
      modelId: r.model_id,
      modelVersion: r.model_version,
      label: r.label,
      code: { system: r.code_system, code: r.code },
      site: r.site,
      ageBand: r.age_band,
      sex: r.sex,
      aiPositive: r.ai_positive,
      readPositive: r.read_positive,
      modalities: r.modalities,
      bodyPart: r.body_part,
    }));
  }

  /** The AI's calls (active models, succeeded runs, kind finding) in the span of the given windows. */
  async positivity(windows: TimeWindow[], modelId?: string): Promise<PositivityObservation[]> {
    const from = new Date(Math.min(...windows.map((w) => w.from.getTime())));
    const to = new Date(Math.max(...windows.map((w) => w.to.getTime())));
    const findings = await this.prisma.finding.findMany({
      where: { kind: 'finding', run: { mode: 'active', status: 'succeeded', startedAt: { gte: from, lt: to }, ...(modelId ? { modelId } : {}) } },
      select: { label: true, positive: true, run: { select: { modelId: true, modelVersion: true, startedAt: true } } },
    });
    return findings.map((f) => ({ modelId: f.run.modelId, modelVersion: f.run.modelVersion, label: f.label, at: f.run.startedAt, positive: f.positive }));
  }
}
