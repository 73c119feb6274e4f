import { assertRecordable, envelopeSha256, type AuditRepository, type RecordInput, type RecordResult } from '@triage/audit-data-access';

interface Waiting {
  items: RecordInput[];
  resolve: (results: RecordResult[]) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for the audit store: batches handed over by concurrent partition consumers while a
 * transaction is in flight are written together in the next one, so the chain lock and the
 * transaction's round trips are paid once per group instead of once per partition. A caller's promise
 * settles only when the transaction holding its events has committed (or failed): at-least-once
 * delivery is kept. No timer: the first batch is written at once, so an idle mesh adds no latency.
 */
export class GroupCommitter {
  private readonly waiting: Waiting[] = [];
  private flushing = false;

  constructor(
    private readonly repository: AuditRepository,
    private readonly maxEvents: number,
  ) {}

  record(items: RecordInput[]): Promise<RecordResult[]> {
    // A bad event fails its own batch only, before it can share a transaction with anyone else's.
    assertRecordable(items);
    // Hashing the envelopes here, while another group's transaction runs, keeps it off the serial path.
    const hashed = items.map((i) => ({ ...i, envelopeSha256: i.envelopeSha256 ?? envelopeSha256(i.env) }));
    return new Promise<RecordResult[]>((resolve, reject) => {
      this.waiting.push({ items: hashed, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        let take = 0;
        let events = 0;
        while (take < this.waiting.length && (take === 0 || events + this.waiting[take].items.length <= this.maxEvents)) {
          events += this.waiting[take].items.length;
          take += 1;
        }
        const group = this.waiting.splice(0, take);
        try {
          const results = await this.repository.recordBatch(group.flatMap((g) => g.items));
          let at = 0;
          for (const g of group) {
            g.resolve(results.slice(at, at + g.items.length));
            at += g.items.length;
          }
        } catch (err) {
          if (group.length === 1) {
            group[0].reject(err);
            continue;
          }
          // One caller's event must not fail the others': each batch of the group in its own transaction.
          for (const g of group) await this.repository.recordBatch(g.items).then(g.resolve, g.reject);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
