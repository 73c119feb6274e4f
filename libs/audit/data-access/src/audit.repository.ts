import { ALL_EVENTS, type Envelope } from '@triage/contracts';
import { AuditErrorCode, AuditException } from './audit.exception';
import { insertMany, textArrayLiteral, type Column } from './db/bulk-insert';
import type { PrismaClient } from './generated/prisma/client';
import type { AuditDatabase } from './db/prisma-client.factory';
import { pgTransaction, prismaTransaction, type SqlTransaction } from './db/sql-transaction';
import { envelopeSha256, linkHash, type ChainLinkFields } from './chain/hash-chain';
import { buildLineage } from './lineage.builder';
import type { Lineage, LineageQuery, RecordResult } from './lineage.types';
import { STAGE_WRITERS } from './stage.writers';

/** One consumed event and the topic it arrived on. */
export interface RecordInput {
  env: Envelope;
  topic: string;
  /** sha256 of the canonical envelope, when the caller computed it already (off the chain lock's path). */
  envelopeSha256?: string;
}

type Link = ChainLinkFields & { hash: string };
const AUDIT_EVENT_COLUMNS: Array<Column<Link>> = [
  ['event_id', 'uuid', (l) => l.eventId],
  ['topic', 'text', (l) => l.topic],
  ['type', 'text', (l) => l.type],
  ['schema_version', 'int', (l) => l.schemaVersion],
  ['source', 'text', (l) => l.source],
  ['trace_id', 'text', (l) => l.traceId],
  ['subject', 'text', (l) => l.subject],
  ['occurred_at', 'timestamptz', (l) => l.occurredAt],
  ['recorded_at', 'timestamptz', (l) => l.recordedAt],
  ['chain_seq', 'bigint', (l) => l.chainSeq],
  ['envelope_sha256', 'text', (l) => l.envelopeSha256],
  ['prev_hash', 'text', (l) => l.prevHash],
  ['hash', 'text', (l) => l.hash],
];

const TOPIC_OF_TYPE = new Map(ALL_EVENTS.map((e) => [e.type, e.topic]));

/** Throws a non-retryable AuditException for an event of a type, or on a topic, the store does not take. */
export function assertRecordable(items: RecordInput[]): void {
  for (const { env, topic } of items) {
    const expected = TOPIC_OF_TYPE.get(env.type);
    if (!expected || !STAGE_WRITERS[env.type]) throw new AuditException(AuditErrorCode.UNKNOWN_EVENT_TYPE, `no lineage stage for event type ${env.type}`);
    if (topic !== expected) throw new AuditException(AuditErrorCode.TOPIC_MISMATCH, `${env.type} arrived on ${topic}, expected ${expected}`);
  }
}

/** The audit store: records consumed events with their stage rows, and answers lineage queries. */
export class AuditRepository {
  /** transaction: how recordBatch writes (pgTransaction on PostgreSQL); Prisma's own by default. */
  constructor(
    private readonly prisma: PrismaClient,
    private readonly transaction: SqlTransaction = prismaTransaction(prisma),
  ) {}

  /** The repository of an open store: on PostgreSQL, recordBatch writes on a pg connection of its pool. */
  static of(db: AuditDatabase): AuditRepository {
    return new AuditRepository(db.prisma, db.pool ? pgTransaction(db.pool) : undefined);
  }

  /** Records one consumed event; see recordBatch. */
  async record(env: Envelope, topic: string): Promise<RecordResult> {
    const [result] = await this.recordBatch([{ env, topic }]);
    return result;
  }

  /**
   * Records consumed events and the rows of their stages in one transaction that takes the chain head's
   * lock once. An eventId already recorded (or repeated within the batch) is a no-op (`{ duplicate:
   * true }`): under the lock no other append can run, so the check and the insert cannot race, and the
   * unique index on event_id backs it. Results are in input order. Any failure rolls the whole batch back.
   */
  async recordBatch(items: RecordInput[]): Promise<RecordResult[]> {
    assertRecordable(items);
    if (items.length === 0) return [];
    const digests = items.map((i) => i.envelopeSha256 ?? envelopeSha256(i.env));
    const ids = items.map((i) => i.env.eventId.toLowerCase());
    return this.transaction(async (q) => {
      // Every append (and every redelivery) takes the chain head's row lock first: appends serialise
      // on it, so links get consecutive sequence numbers and the chain cannot fork.
      const [head] = (await q('SELECT seq::text AS seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE', [])) as Array<{ seq: string; hash: string }>;
      if (!head) throw new AuditException(AuditErrorCode.CHAIN_HEAD_MISSING, 'audit_chain_head has no row: the hash_chain migration did not run');
      const known = (await q('SELECT event_id::text AS id FROM audit_event WHERE event_id = ANY($1::uuid[])', [textArrayLiteral([...new Set(ids)])])) as Array<{ id: string }>;
      const seen = new Set(known.map((r) => r.id));
      const results: RecordResult[] = [];
      const links: Link[] = [];
      const fresh: Envelope[] = [];
      let seq = BigInt(head.seq);
      let prevHash = head.hash;
      const recordedAt = new Date();
      for (const [i, { env, topic }] of items.entries()) {
        if (seen.has(ids[i])) {
          results.push({ duplicate: true }); // redelivery: no new link
          continue;
        }
        seen.add(ids[i]);
        seq += 1n;
        const link = {
          chainSeq: seq,
          eventId: env.eventId,
          topic,
          type: env.type,
          schemaVersion: env.schemaVersion,
          source: env.source,
          traceId: env.traceId,
          subject: env.subject,
          occurredAt: new Date(env.occurredAt),
          recordedAt,
          envelopeSha256: digests[i],
          prevHash,
        };
        prevHash = linkHash(link);
        links.push({ ...link, hash: prevHash });
        fresh.push(env);
        results.push({ duplicate: false });
      }
      if (links.length === 0) return results;
      await insertMany(q, 'audit_event', AUDIT_EVENT_COLUMNS, links);
      await q('UPDATE audit_chain_head SET seq = $1::bigint, hash = $2 WHERE id = 1', [seq.toString(), prevHash]);
      const byType = new Map<string, Envelope[]>();
      for (const env of fresh) byType.set(env.type, [...(byType.get(env.type) ?? []), env]);
      for (const [type, envs] of byType) await STAGE_WRITERS[type](q, envs);
      return results;
    });
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
      include: {
        inferenceRuns: { include: { findings: true } },
        priorityDecision: true,
        report: true,
        studyUpdate: true,
        assignment: true,
        alertStep: true,
        read: { include: { verdicts: true } },
        delivery: true,
      },
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
}
