import {
  EVENTS,
  type Envelope,
  type InferenceCompleted,
  type PriorityDecided,
  type ReportIssued,
  type StudyReceived,
} from '@triage/contracts';
import { AuditErrorCode, AuditException } from './audit.exception';
import type { Prisma, PrismaClient } from './generated/prisma/client';
import { envelopeSha256, linkHash } from './chain/hash-chain';
import { buildLineage, stageOfEventType } from './lineage.builder';
import type { Lineage, LineageQuery, RecordResult } from './lineage.types';

type Tx = Prisma.TransactionClient;

/** The audit store: records consumed events with their stage rows, and answers lineage queries. */
export class AuditRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Records one consumed event and the rows of its stage in one transaction. A redelivered eventId is a
   * no-op (`{ duplicate: true }`): the insert is ON CONFLICT DO NOTHING on the unique eventId, so two
   * concurrent deliveries serialise on that index and exactly one writes.
   */
  async record(env: Envelope, topic: string): Promise<RecordResult> {
    const stage = stageOfEventType(env.type);
    if (!stage) throw new AuditException(AuditErrorCode.UNKNOWN_EVENT_TYPE, `no lineage stage for event type ${env.type}`);
    const expected = Object.values(EVENTS).find((e) => e.type === env.type)?.topic;
    if (topic !== expected) {
      throw new AuditException(AuditErrorCode.TOPIC_MISMATCH, `${env.type} arrived on ${topic}, expected ${expected}`);
    }
    const digest = envelopeSha256(env);
    return this.prisma.$transaction(
      async (tx) => {
        // Every append (and every redelivery) takes the chain head's row lock first: appends serialise
        // on it, so links get consecutive sequence numbers and the chain cannot fork.
        const [head] = await tx.$queryRaw<Array<{ seq: bigint; hash: string }>>`SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE`;
        if (!head) throw new AuditException(AuditErrorCode.CHAIN_HEAD_MISSING, 'audit_chain_head has no row: the hash_chain migration did not run');
        const link = {
          chainSeq: BigInt(head.seq) + 1n,
          eventId: env.eventId,
          topic,
          type: env.type,
          schemaVersion: env.schemaVersion,
          source: env.source,
          traceId: env.traceId,
          subject: env.subject,
          occurredAt: new Date(env.occurredAt),
          recordedAt: new Date(),
          envelopeSha256: digest,
          prevHash: head.hash,
        };
        const hash = linkHash(link);
        const { count } = await tx.auditEvent.createMany({ data: [{ ...link, hash }], skipDuplicates: true });
        if (count === 0) return { duplicate: true }; // redelivery: no new link
        await tx.auditChainHead.update({ where: { id: 1 }, data: { seq: link.chainSeq, hash } });
      switch (stage) {
        case 'received':
          await this.writeStudy(tx, env as Envelope<StudyReceived>);
          break;
        case 'inference':
          await this.writeInference(tx, env as Envelope<InferenceCompleted>);
          break;
        case 'priority':
          await this.writePriority(tx, env as Envelope<PriorityDecided>);
          break;
        case 'report':
          await this.writeReport(tx, env as Envelope<ReportIssued>);
          break;
      }
      return { duplicate: false };
      },
      { maxWait: 10_000, timeout: 30_000 },
    );
  }

  /** The ordered timeline of a trace, or of a study's latest trace; null when nothing is recorded. */
  async lineage(query: LineageQuery): Promise<Lineage | null> {
    if ('accessionNumber' in query) {
      // An accession names one order; if it was ever reused, the most recently received study wins.
      const study = await this.prisma.study.findFirst({ where: { accessionNumber: query.accessionNumber }, orderBy: { receivedAt: 'desc' } });
      return study ? this.lineage({ studyInstanceUid: study.studyInstanceUid }) : null;
    }
    let traceId: string;
    let otherTraceIds: string[] = [];
    if ('traceId' in query) {
      traceId = query.traceId;
    } else {
      const traces = await this.tracesOfStudy(query.studyInstanceUid);
      if (traces.length === 0) return null;
      [traceId, ...otherTraceIds] = traces;
    }
    const events = await this.prisma.auditEvent.findMany({
      where: { traceId },
      orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }],
      include: { inferenceRuns: { include: { findings: true } }, priorityDecision: true, report: true },
    });
    if (events.length === 0) return null;
    const subject = events[0].subject;
    const study = await this.prisma.study.findUnique({ where: { studyInstanceUid: subject } });
    if ('traceId' in query) otherTraceIds = (await this.tracesOfStudy(subject)).filter((t) => t !== traceId);
    return buildLineage(traceId, events, study, otherTraceIds);
  }

  /** Trace ids under which a study was seen, the most recently active first. */
  private async tracesOfStudy(studyInstanceUid: string): Promise<string[]> {
    const rows = await this.prisma.auditEvent.groupBy({
      by: ['traceId'],
      where: { subject: studyInstanceUid },
      _max: { occurredAt: true },
      orderBy: { _max: { occurredAt: 'desc' } },
    });
    return rows.map((r) => r.traceId);
  }

  private async writeStudy(tx: Tx, env: Envelope<StudyReceived>): Promise<void> {
    const p = env.payload;
    const row = {
      traceId: env.traceId,
      eventId: env.eventId,
      accessionNumber: p.study.accessionNumber ?? null,
      modalities: p.study.modalities,
      instanceCount: p.instanceCount,
      receivedAt: new Date(p.study.receivedAt),
      originProtocol: p.origin.protocol,
    };
    const studyInstanceUid = p.study.studyInstanceUid;
    const created = await tx.study.createMany({ data: [{ studyInstanceUid, ...row }], skipDuplicates: true });
    if (created.count === 0) {
      // A study re-sent or completed in parts: the newest study.received wins, whatever the delivery order.
      await tx.study.updateMany({
        where: { studyInstanceUid, event: { occurredAt: { lte: new Date(env.occurredAt) } } },
        data: row,
      });
    }
  }

  private async writeInference(tx: Tx, env: Envelope<InferenceCompleted>): Promise<void> {
    const p = env.payload;
    for (const [runIndex, run] of p.runs.entries()) {
      await tx.inferenceRun.create({
        data: {
          eventId: env.eventId,
          runIndex,
          traceId: env.traceId,
          studyInstanceUid: p.study.studyInstanceUid,
          modelId: run.modelId,
          modelVersion: run.modelVersion,
          modelSha256: run.modelSha256,
          mode: run.mode,
          status: run.status,
          error: run.error ?? null,
          startedAt: new Date(run.startedAt),
          latencyMs: run.latencyMs,
          findings: {
            create: run.findings.map((f) => ({
              label: f.label,
              kind: f.kind,
              codeSystem: f.code.system,
              code: f.code.code,
              codeDisplay: f.code.display ?? null,
              probability: f.probability,
              threshold: f.threshold,
              positive: f.positive,
              critical: f.critical,
            })),
          },
        },
      });
    }
  }

  private async writePriority(tx: Tx, env: Envelope<PriorityDecided>): Promise<void> {
    const p = env.payload;
    await tx.priorityDecision.create({
      data: {
        eventId: env.eventId,
        traceId: env.traceId,
        studyInstanceUid: p.study.studyInstanceUid,
        priority: p.priority,
        score: p.score,
        reasons: p.reasons.map((r) => ({ ruleId: r.ruleId, text: r.text })),
        ruleSetVersion: p.ruleSetVersion,
        decidedAt: new Date(p.decidedAt),
      },
    });
  }

  private async writeReport(tx: Tx, env: Envelope<ReportIssued>): Promise<void> {
    const p = env.payload;
    await tx.report.create({
      data: {
        eventId: env.eventId,
        traceId: env.traceId,
        studyInstanceUid: p.study.studyInstanceUid,
        reportId: p.reportId,
        status: p.status,
        priority: p.priority,
        issuedAt: new Date(p.issuedAt),
        resource: p.diagnosticReport as Prisma.InputJsonObject,
      },
    });
  }
}
