import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import type { Bundle } from '@medplum/fhirtypes';
import { LineageExportRepository, type Lineage } from '@triage/audit-data-access';
import { toAuditBundle } from '@triage/audit-domain';
import { DicomUidSchema, TRACE_ID_PATTERN } from '@triage/contracts';
import { AuditService } from './audit.service';
import { LineageErrorCode, LineageException } from './lineage.exception';

const ZERO_TRACE = '0'.repeat(32);

/** DICOM SH: 1 to 16 characters, none of them a backslash or a control character. */
function isShortString(value: string): boolean {
  return value.length >= 1 && value.length <= 16 && [...value].every((c) => c !== '\\' && c.charCodeAt(0) >= 0x20);
}

function assertTraceId(traceId: string): void {
  if (!TRACE_ID_PATTERN.test(traceId) || traceId === ZERO_TRACE) {
    throw new LineageException(LineageErrorCode.INVALID_TRACE_ID, 'traceId must be a W3C trace id: 32 lowercase hex digits, not all zero');
  }
}

/** The audited timeline of a study: GET /lineage/:traceId, GET /lineage?studyInstanceUid=... or ?accessionNumber=... */
@Controller('lineage')
export class LineageHttpController {
  constructor(
    private readonly audit: AuditService,
    private readonly exports: LineageExportRepository,
  ) {}

  @Get(':traceId')
  async byTrace(@Param('traceId') traceId: string): Promise<Lineage> {
    assertTraceId(traceId);
    const lineage = await this.audit.lineage({ traceId });
    if (!lineage) throw new LineageException(LineageErrorCode.LINEAGE_NOT_FOUND, 'no events recorded for this trace id');
    return lineage;
  }

  /**
   * GET /lineage/:traceId/fhir: the trace as a FHIR R4 collection Bundle of AuditEvents (IHE BALP shapes)
   * and Provenances, for a hospital's audit repository. Contains the patient identifier while the store
   * holds it: serve it only to the audit repository.
   */
  @Get(':traceId/fhir')
  @Header('Content-Type', 'application/fhir+json; charset=utf-8')
  async fhir(@Param('traceId') traceId: string): Promise<Bundle> {
    assertTraceId(traceId);
    const source = await this.exports.source(traceId);
    if (!source) throw new LineageException(LineageErrorCode.LINEAGE_NOT_FOUND, 'no events recorded for this trace id');
    return toAuditBundle(source.records, { ...(source.patient ? { patient: source.patient } : {}), ...(source.site ? { site: source.site } : {}) });
  }

  @Get()
  async byStudy(@Query('studyInstanceUid') studyInstanceUid: unknown, @Query('accessionNumber') accessionNumber: unknown): Promise<Lineage> {
    if ((studyInstanceUid === undefined) === (accessionNumber === undefined)) {
      throw new LineageException(LineageErrorCode.INVALID_QUERY, 'give exactly one of studyInstanceUid and accessionNumber');
    }
    if (accessionNumber !== undefined) {
      // DICOM SH: at most 16 characters, no backslash or control characters. Never echoed back (it identifies an order).
      if (typeof accessionNumber !== 'string' || !isShortString(accessionNumber)) {
        throw new LineageException(LineageErrorCode.INVALID_QUERY, 'accessionNumber must be given once, as a DICOM SH value (1 to 16 characters)');
      }
      const byAccession = await this.audit.lineage({ accessionNumber });
      if (!byAccession) throw new LineageException(LineageErrorCode.LINEAGE_NOT_FOUND, 'no study recorded for this accession number');
      return byAccession;
    }
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
