import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyChain, type ChainReader } from './chain.verifier';
import { GENESIS_HASH } from './hash-chain';

/** A chain checkpoint: kept outside the database, so a rewrite of the whole chain is detectable. */
export interface ChainCheckpoint {
  /** audit_event.id of the last link ('' when the chain was empty). */
  lastId: string;
  lastHash: string;
  /** Links up to and including lastId (= its chain_seq). */
  count: number;
  /** ISO time the checkpoint was taken. */
  at: string;
}

export interface CheckpointVerification {
  ok: boolean;
  reason?: 'chain-broken' | 'checkpoint-row-missing' | 'hash-mismatch' | 'count-mismatch';
  detail?: string;
}

/** The file name of a checkpoint: sortable by time, one file per checkpoint (the old ones stay as evidence). */
function fileName(at: string): string {
  return `audit-checkpoint-${at.replace(/[:.]/g, '-')}.json`;
}

/**
 * Writes the chain's current last link as `{ lastId, lastHash, count, at }` to a new JSON file in dir
 * (written to a temp name, then renamed) and returns it. Verifies the chain first: a checkpoint of a
 * tampered chain would vouch for it. Throws when the chain is broken.
 */
export async function writeCheckpoint(prisma: ChainReader, dir: string, now: Date = new Date()): Promise<ChainCheckpoint & { file: string }> {
  const v = await verifyChain(prisma);
  if (!v.ok) throw new Error(`audit chain is broken at id ${v.firstBrokenLink?.id} (${v.firstBrokenLink?.reason}); no checkpoint written`);
  const checkpoint: ChainCheckpoint = {
    lastId: v.head?.id ?? '',
    lastHash: v.head?.hash ?? GENESIS_HASH,
    count: Number(v.head?.chainSeq ?? 0),
    at: now.toISOString(),
  };
  mkdirSync(dir, { recursive: true });
  const file = join(dir, fileName(checkpoint.at));
  writeFileSync(`${file}.tmp`, `${JSON.stringify(checkpoint, null, 2)}\n`, { mode: 0o644 });
  renameSync(`${file}.tmp`, file);
  return { ...checkpoint, file };
}

/**
 * Checks the chain against a checkpoint taken earlier: the chain up to the checkpoint's row must verify
 * and end in exactly the checkpoint's hash and count. A superuser who rewrote and re-hashed the whole
 * chain yields a consistent chain whose hash at lastId differs from the checkpoint.
 */
export async function verifyAgainstCheckpoint(prisma: ChainReader, checkpoint: ChainCheckpoint): Promise<CheckpointVerification> {
  if (checkpoint.lastId === '') return { ok: true };
  const row = await prisma.auditEvent.findUnique({ where: { id: BigInt(checkpoint.lastId) }, select: { chainSeq: true, hash: true } });
  if (!row) return { ok: false, reason: 'checkpoint-row-missing', detail: `audit_event ${checkpoint.lastId} no longer exists` };
  const v = await verifyChain(prisma, { untilSeq: row.chainSeq });
  if (!v.ok) return { ok: false, reason: 'chain-broken', detail: `${v.firstBrokenLink?.reason} at id ${v.firstBrokenLink?.id}` };
  if (row.hash !== checkpoint.lastHash) {
    return { ok: false, reason: 'hash-mismatch', detail: `the hash at id ${checkpoint.lastId} differs from the checkpoint of ${checkpoint.at}` };
  }
  if (Number(row.chainSeq) !== checkpoint.count || v.checked !== checkpoint.count) {
    return { ok: false, reason: 'count-mismatch', detail: `${v.checked} links up to id ${checkpoint.lastId}, the checkpoint recorded ${checkpoint.count}` };
  }
  return { ok: true };
}

/** Parses a checkpoint file's JSON, refusing anything that is not one. */
export function parseCheckpoint(text: string): ChainCheckpoint {
  const c = JSON.parse(text) as Partial<ChainCheckpoint>;
  if (typeof c.lastId !== 'string' || !/^\d*$/.test(c.lastId) || typeof c.lastHash !== 'string' || !/^[0-9a-f]{64}$/.test(c.lastHash)) {
    throw new Error('not an audit checkpoint: lastId (digits) and lastHash (64 hex) are required');
  }
  if (typeof c.count !== 'number' || !Number.isInteger(c.count) || c.count < 0 || typeof c.at !== 'string') {
    throw new Error('not an audit checkpoint: count (integer >= 0) and at (ISO time) are required');
  }
  return { lastId: c.lastId, lastHash: c.lastHash, count: c.count, at: c.at };
}
