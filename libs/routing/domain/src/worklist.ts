import type { Priority } from '@triage/contracts';
import { PRIORITY_RANK } from './priority-engine';

/** What the worklist orders by; one row per open study. */
export interface WorklistKey {
  studyInstanceUid: string;
  priority: Priority;
  score: number;
  /** When the mesh accepted the study (ISO); older is read sooner within a priority and score. */
  receivedAt: string;
}

/** Worklist order: priority (critical first), then score (higher first), then age (oldest first), then UID. */
export function compareWorklist(a: WorklistKey, b: WorklistKey): number {
  return (
    PRIORITY_RANK[b.priority] - PRIORITY_RANK[a.priority] ||
    b.score - a.score ||
    Date.parse(a.receivedAt) - Date.parse(b.receivedAt) ||
    (a.studyInstanceUid < b.studyInstanceUid ? -1 : a.studyInstanceUid > b.studyInstanceUid ? 1 : 0)
  );
}

interface Slot<T> {
  rank: number;
  score: number;
  received: number;
  uid: string;
  row: T;
}

function cmpSlot<T>(a: Slot<T>, b: Slot<T>): number {
  return b.rank - a.rank || b.score - a.score || a.received - b.received || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0);
}

/**
 * The open studies kept in worklist order as they change (binary insertion, O(log n) search), so a query
 * is a scan of an already ordered array instead of a sort per request.
 */
export class SortedWorklist<T extends WorklistKey> {
  private readonly slots: Slot<T>[] = [];
  private readonly byUid = new Map<string, Slot<T>>();

  get size(): number {
    return this.slots.length;
  }

  get(uid: string): T | undefined {
    return this.byUid.get(uid)?.row;
  }

  /** Inserts the row, or moves it when its priority, score or age changed. */
  upsert(row: T): void {
    this.remove(row.studyInstanceUid);
    const slot: Slot<T> = { rank: PRIORITY_RANK[row.priority], score: row.score, received: Date.parse(row.receivedAt), uid: row.studyInstanceUid, row };
    this.slots.splice(this.search(slot), 0, slot);
    this.byUid.set(slot.uid, slot);
  }

  remove(uid: string): boolean {
    const slot = this.byUid.get(uid);
    if (!slot) return false;
    const i = this.search(slot);
    this.slots.splice(i, 1);
    this.byUid.delete(uid);
    return true;
  }

  /** Rows in worklist order that pass `keep`, at most `limit`. */
  list(keep: (row: T) => boolean = () => true, limit = Number.POSITIVE_INFINITY): T[] {
    const out: T[] = [];
    for (const s of this.slots) {
      if (out.length >= limit) break;
      if (keep(s.row)) out.push(s.row);
    }
    return out;
  }

  // First index whose slot does not sort before `slot` (its own index when present).
  private search(slot: Slot<T>): number {
    let lo = 0;
    let hi = this.slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmpSlot(this.slots[mid], slot) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
