// Test support: how an attacker with write access to the database would tamper with the audit chain.
// Each function runs inside an interactive transaction that the caller rolls back, so the shared test
// database keeps an intact chain. Used by the PGlite unit tests and the PostgreSQL integration tests.
import { randomUUID } from 'node:crypto';
import { EVENTS, type Envelope } from '@triage/contracts';
import type { AuditRepository } from '../audit.repository';
import type { Prisma, PrismaClient } from '../generated/prisma/client';
import { buildThinFlowEnvelopes } from '../thin-flow.fixture';
import { verifyChain, type ChainVerification } from './chain.verifier';
import { linkHash, type ChainLinkFields } from './hash-chain';

type Tx = Prisma.TransactionClient;

class Rollback extends Error {}

/** Runs tamper(tx) then check(tx) in one transaction, rolls it back, and returns check's answer. */
export async function checkAfterTampering<T>(prisma: PrismaClient, tamper: (tx: Tx) => Promise<unknown>, check: (tx: Tx) => Promise<T>): Promise<T> {
  let answer: { value: T } | undefined;
  try {
    await prisma.$transaction(
      async (tx) => {
        await tamper(tx);
        answer = { value: await check(tx) };
        throw new Rollback();
      },
      { timeout: 60_000 },
    );
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
  if (!answer) throw new Error('tampering did not reach the check');
  return answer.value;
}

/** Runs tamper(tx) then verifyChain(tx) in one transaction, rolls it back, and returns the verdict. */
export function verifyAfterTampering(prisma: PrismaClient, tamper: (tx: Tx) => Promise<unknown>): Promise<ChainVerification> {
  return checkAfterTampering(prisma, tamper, (tx) => verifyChain(tx));
}

/** Records n thin flows (4 links each) and returns their event ids in recording order. */
export async function appendFlows(repo: AuditRepository, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const flow = buildThinFlowEnvelopes();
    await repo.record(flow.received as Envelope, EVENTS.studyReceived.topic);
    await repo.record(flow.inference as Envelope, EVENTS.inferenceCompleted.topic);
    await repo.record(flow.priority as Envelope, EVENTS.priorityDecided.topic);
    await repo.record(flow.report as Envelope, EVENTS.reportIssued.topic);
    ids.push(flow.received.eventId, flow.inference.eventId, flow.priority.eventId, flow.report.eventId);
  }
  return ids;
}

/** The row of an event: id and chain position. */
export async function linkOf(tx: Tx | PrismaClient, eventId: string): Promise<{ id: bigint; chainSeq: bigint }> {
  return tx.auditEvent.findUniqueOrThrow({ where: { eventId }, select: { id: true, chainSeq: true } });
}

/** Edits one field of a row in place (its stored hash left as it was). */
export async function editRow(tx: Tx, eventId: string): Promise<void> {
  await tx.$executeRaw`UPDATE audit_event SET source = 'forged' WHERE event_id = ${eventId}::uuid`;
}

/** Deletes a row (and the stage rows that hang off it, so foreign keys allow it). */
export async function deleteRow(tx: Tx, eventId: string): Promise<void> {
  for (const table of ['study', 'priority_decision', 'report']) {
    await tx.$executeRawUnsafe(`DELETE FROM ${table} WHERE event_id = $1::uuid`, eventId);
  }
  await tx.$executeRaw`DELETE FROM finding WHERE run_id IN (SELECT id FROM inference_run WHERE event_id = ${eventId}::uuid)`;
  await tx.$executeRaw`DELETE FROM inference_run WHERE event_id = ${eventId}::uuid`;
  await tx.$executeRaw`DELETE FROM audit_event WHERE event_id = ${eventId}::uuid`;
}

/** Swaps the chain positions of two rows. */
export async function swapRows(tx: Tx, a: string, b: string): Promise<void> {
  const [la, lb] = [await linkOf(tx, a), await linkOf(tx, b)];
  await tx.$executeRaw`UPDATE audit_event SET chain_seq = -1 WHERE id = ${la.id}`;
  await tx.$executeRaw`UPDATE audit_event SET chain_seq = ${la.chainSeq} WHERE id = ${lb.id}`;
  await tx.$executeRaw`UPDATE audit_event SET chain_seq = ${lb.chainSeq} WHERE id = ${la.id}`;
}

/**
 * Inserts a forged row right after `afterEventId`, correctly hashed onto it (the attacker knows the
 * algorithm), shifting the later rows up by one and moving the chain head. Returns the forged event id.
 */
export async function insertForgedAfter(tx: Tx, afterEventId: string): Promise<string> {
  const anchor = await tx.auditEvent.findUniqueOrThrow({ where: { eventId: afterEventId } });
  const shift = 1_000_000_000_000n; // two steps: a unique index is checked row by row in PostgreSQL
  await tx.$executeRaw`UPDATE audit_event SET chain_seq = chain_seq + ${shift} WHERE chain_seq > ${anchor.chainSeq}`;
  await tx.$executeRaw`UPDATE audit_event SET chain_seq = chain_seq - ${shift - 1n} WHERE chain_seq > ${shift}`;
  const link = {
    chainSeq: anchor.chainSeq + 1n,
    eventId: randomUUID(),
    topic: anchor.topic,
    type: anchor.type,
    schemaVersion: anchor.schemaVersion,
    source: anchor.source,
    traceId: anchor.traceId,
    subject: anchor.subject,
    occurredAt: anchor.occurredAt,
    recordedAt: anchor.recordedAt,
    envelopeSha256: anchor.envelopeSha256,
    prevHash: anchor.hash,
  };
  await tx.auditEvent.create({ data: { ...link, hash: linkHash(link) } });
  await tx.$executeRaw`UPDATE audit_chain_head SET seq = seq + 1 WHERE id = 1`;
  return link.eventId;
}

/**
 * A superuser's rewrite: edits the row of `eventId` and re-hashes it and every later link, moving the
 * head, so the chain verifies again. Only a checkpoint taken before can tell.
 */
export async function rewriteChainFrom(tx: Tx, eventId: string): Promise<void> {
  await editRow(tx, eventId);
  const from = await linkOf(tx, eventId);
  const prev = await tx.auditEvent.findFirst({ where: { chainSeq: from.chainSeq - 1n }, select: { hash: true } });
  let prevHash = prev?.hash ?? '0'.repeat(64);
  const rows = await tx.auditEvent.findMany({ where: { chainSeq: { gte: from.chainSeq } }, orderBy: { chainSeq: 'asc' } });
  for (const row of rows) {
    const hash = linkHash({ ...row, prevHash });
    await tx.auditEvent.update({ where: { id: row.id }, data: { prevHash, hash } });
    prevHash = hash;
  }
  await tx.auditChainHead.update({ where: { id: 1 }, data: { hash: prevHash } });
}

/** An audit_event row as raw SQL returns it (snake_case; bigints as strings). */
export interface AuditEventSqlRow {
  chain_seq: string;
  event_id: string;
  topic: string;
  type: string;
  schema_version: number;
  source: string;
  trace_id: string;
  subject: string;
  occurred_at: Date;
  recorded_at: Date;
  envelope_sha256: string | null;
  prev_hash: string;
  hash: string;
}

/** The link fields of a raw row, to recompute its hash independently of the repository. */
export function linkFieldsOfRow(r: AuditEventSqlRow): ChainLinkFields {
  return {
    chainSeq: BigInt(r.chain_seq),
    eventId: r.event_id,
    topic: r.topic,
    type: r.type,
    schemaVersion: r.schema_version,
    source: r.source,
    traceId: r.trace_id,
    subject: r.subject,
    occurredAt: r.occurred_at,
    recordedAt: r.recorded_at,
    envelopeSha256: r.envelope_sha256,
    prevHash: r.prev_hash,
  };
}
