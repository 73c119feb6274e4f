import type { PrismaClient } from '../generated/prisma/client';
import { GENESIS_HASH, linkHash, type ChainLinkFields } from './hash-chain';

/** Why a link is broken. */
export type BrokenLinkReason =
  /** The row's fields no longer hash to its stored hash, or it was rewritten and re-hashed (the next link no longer points at it). */
  | 'edited'
  /** A row is missing before this one (sequence gap, prev_hash names no row), or rows were cut off the end of the chain. */
  | 'deleted'
  /** This row's prev_hash names a row that sits later in the chain: rows were swapped. */
  | 'reordered'
  /** This row is not part of the chain: the next row links to the row before it. */
  | 'inserted';

export interface BrokenLink {
  /** audit_event.id (a string: BigInt is not JSON). */
  id: string;
  eventId: string;
  chainSeq: string;
  reason: BrokenLinkReason;
  detail: string;
}

export interface ChainVerification {
  ok: boolean;
  /** Links checked (the whole chain when ok). */
  checked: number;
  /** The last link's hash and seq when ok: what a checkpoint records. */
  head?: { id: string; chainSeq: string; hash: string };
  firstBrokenLink?: BrokenLink;
}

/** What the verifier reads: a PrismaClient or an interactive transaction's client. */
export type ChainReader = Pick<PrismaClient, 'auditEvent' | 'auditChainHead'>;

type LinkRow = ChainLinkFields & { id: bigint; hash: string };

const SELECT = {
  id: true,
  chainSeq: true,
  eventId: true,
  topic: true,
  type: true,
  schemaVersion: true,
  source: true,
  traceId: true,
  subject: true,
  occurredAt: true,
  recordedAt: true,
  envelopeSha256: true,
  prevHash: true,
  hash: true,
} as const;

/** Reads the chain in chain_seq order, in pages, as one stream of rows. */
async function* chainRows(prisma: ChainReader, pageSize: number, untilSeq?: bigint): AsyncGenerator<LinkRow> {
  let after: bigint | undefined;
  for (;;) {
    const where = {
      ...(after !== undefined || untilSeq !== undefined
        ? { chainSeq: { ...(after !== undefined ? { gt: after } : {}), ...(untilSeq !== undefined ? { lte: untilSeq } : {}) } }
        : {}),
    };
    const page = await prisma.auditEvent.findMany({ where, orderBy: { chainSeq: 'asc' }, take: pageSize, select: SELECT });
    for (const row of page) yield row;
    if (page.length < pageSize) return;
    after = page[page.length - 1].chainSeq;
  }
}

export interface VerifyChainOptions {
  pageSize?: number;
  /** Verify only up to this seq (a checkpoint's), and skip the chain-head comparison. */
  untilSeq?: bigint;
}

/**
 * Walks the audit hash chain in chain_seq order and names the first broken link: an edited row, a deleted
 * row (gap), two reordered rows, or a forged inserted row. Also compares the last link with the chain head.
 */
export async function verifyChain(prisma: ChainReader, opts: VerifyChainOptions = {}): Promise<ChainVerification> {
  const rows = chainRows(prisma, opts.pageSize ?? 1000, opts.untilSeq);
  // A window of three: the previous link, the one under test, and the next (whose prev_hash tells
  // whether the current row was edited or is a forged insert).
  let before: LinkRow | undefined;
  let prev: LinkRow | undefined;
  let cur = (await rows.next()).value as LinkRow | undefined;
  let checked = 0;
  while (cur) {
    const next = (await rows.next()).value as LinkRow | undefined;
    const broken = await judge(prisma, before, prev, cur, next);
    if (broken) return { ok: false, checked, firstBrokenLink: broken };
    checked++;
    before = prev;
    prev = cur;
    cur = next;
  }
  if (opts.untilSeq === undefined) {
    const head = await prisma.auditChainHead.findUnique({ where: { id: 1 } });
    const lastSeq = prev?.chainSeq ?? 0n;
    const lastHash = prev?.hash ?? GENESIS_HASH;
    if (!head || head.seq !== lastSeq || head.hash !== lastHash) {
      return {
        ok: false,
        checked,
        firstBrokenLink: {
          id: prev ? prev.id.toString() : '',
          eventId: prev?.eventId ?? '',
          chainSeq: lastSeq.toString(),
          reason: 'deleted',
          detail: `the chain ends at seq ${lastSeq} but its head records seq ${head?.seq ?? 'none'}: rows were removed from the end`,
        },
      };
    }
  }
  return { ok: true, checked, ...(prev ? { head: { id: prev.id.toString(), chainSeq: prev.chainSeq.toString(), hash: prev.hash } } : {}) };
}

/** The verdict on one row, knowing its neighbours; undefined when the link holds. */
async function judge(
  prisma: ChainReader,
  before: LinkRow | undefined,
  prev: LinkRow | undefined,
  cur: LinkRow,
  next: LinkRow | undefined,
): Promise<BrokenLink | undefined> {
  const expectedPrev = prev?.hash ?? GENESIS_HASH;
  const expectedSeq = (prev?.chainSeq ?? 0n) + 1n;
  const selfValid = linkHash(cur) === cur.hash;
  const linked = cur.prevHash === expectedPrev;
  if (selfValid && linked && cur.chainSeq === expectedSeq) return undefined;
  const at = (row: LinkRow, reason: BrokenLinkReason, detail: string): BrokenLink => ({
    id: row.id.toString(),
    eventId: row.eventId,
    chainSeq: row.chainSeq.toString(),
    reason,
    detail,
  });
  if (!linked) {
    const later = await prisma.auditEvent.findFirst({ where: { hash: cur.prevHash, chainSeq: { gt: cur.chainSeq } }, select: { chainSeq: true } });
    if (later) return at(cur, 'reordered', `its previous link sits later in the chain, at seq ${later.chainSeq}`);
  }
  // A well-forged row links correctly itself; it shows only when the row after it skips it.
  if (prev && !linked && cur.prevHash === (before?.hash ?? GENESIS_HASH)) {
    return at(prev, 'inserted', 'the next row links to the row before this one: this row is not part of the chain');
  }
  if (next && next.prevHash === expectedPrev) return at(cur, 'inserted', 'the next row links to the row before this one: this row is not part of the chain');
  if (!linked) {
    if (cur.chainSeq !== expectedSeq) return at(cur, 'deleted', `seq ${expectedSeq}${cur.chainSeq - expectedSeq > 1n ? `..${cur.chainSeq - 1n}` : ''} is missing before this row`);
    const known = await prisma.auditEvent.findFirst({ where: { hash: cur.prevHash }, select: { id: true } });
    if (!known && prev) return at(prev, 'edited', 'this row was rewritten and re-hashed: the next link no longer points at it');
    return at(cur, 'deleted', 'its previous link names no row of the chain');
  }
  if (cur.chainSeq !== expectedSeq) return at(cur, 'edited', `its seq is ${cur.chainSeq}, expected ${expectedSeq}`);
  return at(cur, 'edited', 'its fields no longer hash to its stored hash');
}
