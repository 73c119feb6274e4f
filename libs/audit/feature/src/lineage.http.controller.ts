import { Controller, Get, Param, Query } from '@nestjs/common';
import type { Lineage } from '@triage/audit-data-access';
import { DicomUidSchema, TRACE_ID_PATTERN } from '@triage/contracts';
import { AuditService } from './audit.service';
import { LineageErrorCode, LineageException } from './lineage.exception';

const ZERO_TRACE = '0'.repeat(32);

/** The audited timeline of a study: GET /lineage/:traceId and GET /lineage?studyInstanceUid=... */
@Controller('lineage')
export class LineageHttpController {
  constructor(private readonly audit: AuditService) {}

  @Get(':traceId')
  async byTrace(@Param('traceId') traceId: string): Promise<Lineage> {
    if (!TRACE_ID_PATTERN.test(traceId) || traceId === ZERO_TRACE) {
      throw new LineageException(LineageErrorCode.INVALID_TRACE_ID, 'traceId must be a W3C trace id: 32 lowercase hex digits, not all zero');
    }
    const lineage = await this.audit.lineage({ traceId });
    if (!lineage) throw new LineageException(LineageErrorCode.LINEAGE_NOT_FOUND, 'no events recorded for this trace id');
    return lineage;
  }

  @Get()
  async byStudy(@Query('studyInstanceUid') studyInstanceUid: unknown): Promise<Lineage> {
    if (typeof studyInstanceUid !== 'string' || !DicomUidSchema.safeParse(studyInstanceUid).success) {
      throw new LineageException(
        LineageErrorCode.INVALID_STUDY_INSTANCE_UID,
        'studyInstanceUid must be given once, as a DICOM UID (digits and dots, at most 64 characters)',
      );
    }
    const lineage = await this.audit.lineage({ studyInstanceUid });
    if (!lineage) throw new LineageException(LineageErrorCode.LINEAGE_NOT_FOUND, 'no events recorded for this study');
    return lineage;
  }
}
