import type { AuditPatient, AuditRecord } from '@triage/audit-domain';
import type { PrismaClient } from './generated/prisma/client';

/** What the FHIR export of one trace is made from. */
export interface LineageExportSource {
  records: AuditRecord[];
  /** The study's patient, unless retention has cleared it. */
  patient?: AuditPatient;
  site?: string;
}

/** Loads a trace's audit events with the stage facts the FHIR AuditEvent / Provenance export needs. */
export class LineageExportRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async source(traceId: string): Promise<LineageExportSource | null> {
    const events = await this.prisma.auditEvent.findMany({
      where: { traceId },
      orderBy: [{ occurredAt: 'asc' }, { chainSeq: 'asc' }],
      include: { inferenceRuns: true, report: true, assignment: true, alertStep: true, read: true, delivery: true },
    });
    if (events.length === 0) return null;
    const study = await this.prisma.study.findUnique({ where: { studyInstanceUid: events[0].subject } });
    const records = events.map((e): AuditRecord => {
      const base: AuditRecord = {
        eventId: e.eventId,
        type: e.type,
        source: e.source,
        traceId: e.traceId,
        studyInstanceUid: e.subject,
        occurredAt: e.occurredAt,
        recordedAt: e.recordedAt,
        chainSeq: e.chainSeq,
        hash: e.hash,
      };
      if (e.inferenceRuns.length) base.models = e.inferenceRuns.map((r) => ({ modelId: r.modelId, modelVersion: r.modelVersion, modelSha256: r.modelSha256, mode: r.mode }));
      if (e.report) base.report = { reportId: e.report.reportId, versionId: e.report.versionId, status: e.report.status };
      if (e.delivery) {
        const d = e.delivery;
        base.delivery = { channel: d.channel, target: d.target, messageType: d.messageType, attempt: d.attempt, outcome: d.outcome };
      }
      if (e.read) Object.assign(base, { actor: { id: e.read.readerId, display: e.read.readerDisplay, npi: e.read.readerNpi }, action: e.read.status });
      if (e.assignment) Object.assign(base, { action: e.assignment.action, ...(e.assignment.readerId ? { actor: { id: e.assignment.readerId, display: e.assignment.readerDisplay } } : {}) });
      if (e.alertStep) {
        const a = e.alertStep;
        Object.assign(base, { action: a.action, ...(a.acknowledgedById ? { actor: { id: a.acknowledgedById, display: a.acknowledgedByDisplay } } : {}) });
      }
      return base;
    });
    return {
      records,
      ...(study?.patientId ? { patient: { id: study.patientId, issuer: study.patientIdIssuer } } : {}),
      ...(study?.site ? { site: study.site } : {}),
    };
  }
}
