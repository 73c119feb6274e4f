import { Controller, Get, Query } from '@nestjs/common';
import type { DriftFigure, LabelManifest } from '@triage/audit-domain';
import type { QualityFilter } from '@triage/audit-data-access';
import { QualityErrorCode, QualityException } from './quality.exception';
import { QualityService, type PeerReviewDiscrepancy } from './quality.service';

type Query = Record<string, unknown>;
const DAY = 86_400_000;

function single(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 128) throw new QualityException(QualityErrorCode.INVALID_QUERY, `${name} must be given once`);
  return v;
}

function instant(q: Query, name: string): Date | undefined {
  const v = single(q, name);
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(v) || Number.isNaN(d.getTime())) {
    throw new QualityException(QualityErrorCode.INVALID_QUERY, `${name} must be an ISO 8601 date or date-time with offset`);
  }
  return d;
}

function positiveNumber(q: Query, name: string): number | undefined {
  const v = single(q, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !(n > 0)) throw new QualityException(QualityErrorCode.INVALID_QUERY, `${name} must be a positive number`);
  return n;
}

function filterOf(q: Query): QualityFilter {
  const from = instant(q, 'from');
  const to = instant(q, 'to');
  if (from && to && from >= to) throw new QualityException(QualityErrorCode.INVALID_QUERY, 'from must be before to');
  const modelId = single(q, 'modelId');
  return { ...(from ? { from } : {}), ...(to ? { to } : {}), ...(modelId ? { modelId } : {}) };
}

/**
 * AI against the signed read. GET /quality (figures; ?from=&to= on the signing time, ?modelId=),
 * /quality/discrepancies (peer review), /quality/drift (?from=&to= current window, default the last
 * 7 days; ?baselineFrom=&baselineTo=, default the 28 days before it; ?zThreshold=, ?minCount=),
 * /quality/labels (the corrected labels as a de-identified dataset manifest).
 */
@Controller('quality')
export class QualityHttpController {
  constructor(private readonly quality: QualityService) {}

  @Get()
  figures(@Query() q: Query): ReturnType<QualityService['figures']> {
    return this.quality.figures(filterOf(q));
  }

  @Get('discrepancies')
  discrepancies(@Query() q: Query): Promise<PeerReviewDiscrepancy[]> {
    return this.quality.discrepancies(filterOf(q));
  }

  @Get('drift')
  drift(@Query() q: Query): Promise<DriftFigure[]> {
    const to = instant(q, 'to') ?? new Date();
    const from = instant(q, 'from') ?? new Date(to.getTime() - 7 * DAY);
    const baselineTo = instant(q, 'baselineTo') ?? from;
    const baselineFrom = instant(q, 'baselineFrom') ?? new Date(baselineTo.getTime() - 28 * DAY);
    if (from >= to || baselineFrom >= baselineTo) throw new QualityException(QualityErrorCode.INVALID_QUERY, 'each window must start before it ends');
    const zThreshold = positiveNumber(q, 'zThreshold');
    const minCount = positiveNumber(q, 'minCount');
    return this.quality.drift(
      { baseline: { from: baselineFrom, to: baselineTo }, current: { from, to }, ...(zThreshold ? { zThreshold } : {}), ...(minCount ? { minCount } : {}) },
      single(q, 'modelId'),
    );
  }

  @Get('labels')
  labels(@Query() q: Query): Promise<LabelManifest> {
    return this.quality.labelManifest(filterOf(q));
  }
}
