import { Inject, Injectable } from '@nestjs/common';
import {
  buildLabelManifest,
  computeQuality,
  positiveRateDrift,
  type DriftFigure,
  type DriftOptions,
  type LabelManifest,
  type Pseudonymizer,
  type QualityReport,
} from '@triage/audit-domain';
import { QualityRepository, type QualityFilter } from '@triage/audit-data-access';
import type { MeshConfig } from '@triage/config';
import { MESH_CONFIG } from '@triage/nest-platform';
import { hmacPseudonymizer, loadPseudonymSecret } from './pseudonymizer';

/** A discrepancy as served for peer review (inside the hospital): the study is named by its UID. */
export type PeerReviewDiscrepancy = Omit<QualityReport['discrepancies'][number], 'studyKey'> & { studyInstanceUid: string };

/** AI-versus-radiologist quality: figures, discrepancies, drift and the corrected-label manifest. */
@Injectable()
export class QualityService {
  private pseudonymizer?: Pseudonymizer;

  constructor(
    private readonly repository: QualityRepository,
    @Inject(MESH_CONFIG) private readonly config: MeshConfig,
  ) {}

  /** Figures per model, version, site and label, and per subgroup (the discrepancies are served apart). */
  async figures(filter: QualityFilter): Promise<Omit<QualityReport, 'discrepancies'> & { discrepancies: number }> {
    const report = computeQuality(await this.repository.cases(filter));
    return { ...report, discrepancies: report.discrepancies.length };
  }

  async discrepancies(filter: QualityFilter): Promise<PeerReviewDiscrepancy[]> {
    return computeQuality(await this.repository.cases(filter)).discrepancies.map(({ studyKey, ...d }) => ({ studyInstanceUid: studyKey, ...d }));
  }

  async drift(opts: DriftOptions, modelId?: string): Promise<DriftFigure[]> {
    return positiveRateDrift(await this.repository.positivity([opts.baseline, opts.current], modelId), opts);
  }

  async labelManifest(filter: QualityFilter): Promise<LabelManifest> {
    this.pseudonymizer ??= hmacPseudonymizer(loadPseudonymSecret(this.config.DATA_DIR));
    return buildLabelManifest(await this.repository.cases(filter), this.pseudonymizer);
  }
}
