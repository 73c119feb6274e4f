import type { PrismaClient } from './generated/prisma/client';

/** Rows whose PHI columns one purge cleared, per table. */
export interface PurgeResult {
  cutoff: string;
  studies: number;
  reports: number;
  reads: number;
}

/**
 * Retention: clears the PHI-bearing columns of stage rows older than the cutoff, each table by its own
 * clinical time (study: received, report: issued, read: signed). What stays: every audit_event row (the
 * hash chain covers them and still verifies), the de-identified quality record (verdicts, age band, sex,
 * site, models, findings), codes, states and times. Purged rows carry `purged_at`; a second purge of
 * the same period changes nothing.
 */
export class RetentionRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async purge(cutoff: Date, now: Date = new Date()): Promise<PurgeResult> {
    return this.prisma.$transaction(async (tx) => {
      const studies = await tx.$executeRaw`
        UPDATE study SET accession_number = NULL, patient_id = NULL, patient_id_issuer = NULL, purged_at = ${now.toISOString()}::timestamptz
         WHERE received_at < ${cutoff.toISOString()}::timestamptz AND purged_at IS NULL`;
      // The issued DiagnosticReport carries the patient reference and free text: a stub keeps its id and status.
      const reports = await tx.$executeRaw`
        UPDATE report SET purged_at = ${now.toISOString()}::timestamptz,
               resource = jsonb_build_object('resourceType', 'DiagnosticReport', 'id', report_id, 'status', status,
                 'meta', jsonb_build_object('tag', jsonb_build_array(jsonb_build_object('system', 'urn:triage-mesh:retention', 'code', 'purged'))))
         WHERE issued_at < ${cutoff.toISOString()}::timestamptz AND purged_at IS NULL`;
      const reads = await tx.$executeRaw`
        UPDATE read SET impression = NULL, purged_at = ${now.toISOString()}::timestamptz
         WHERE signed_at < ${cutoff.toISOString()}::timestamptz AND purged_at IS NULL`;
      return { cutoff: cutoff.toISOString(), studies, reports, reads };
    });
  }
}
