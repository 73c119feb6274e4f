import { join } from 'node:path';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HealthRegistry, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { RoutingState, type JournalRecord } from '@triage/routing-domain';
import { RoutingJournal } from './routing.journal';
import { ROUTING_OPTIONS, type RoutingOptions } from './routing.options';

/**
 * The routing state (worklist, holds, reads, alerts, outbox) and its journal. Every change runs inside
 * `exclusive()`, is appended to the journal (fsync'd) and only then applied, so what the API or a handler
 * answered survives a crash. Single replica: two processes must not share DATA_DIR/routing.
 */
@Injectable()
export class RoutingStore implements OnModuleInit, OnModuleDestroy {
  readonly state = new RoutingState();
  private readonly journal: RoutingJournal;
  private readonly logger: Logger;
  private tail: Promise<unknown> = Promise.resolve();
  private snapshotLength = 0;

  constructor(
    @Inject(ROUTING_OPTIONS) private readonly options: RoutingOptions,
    @Inject(ROOT_LOGGER) root: Logger,
    private readonly health: HealthRegistry,
  ) {
    this.journal = new RoutingJournal(join(options.journalDir, 'journal.jsonl'));
    this.logger = root.child({ component: 'routing-store' });
  }

  async onModuleInit(): Promise<void> {
    const records = await this.journal.open();
    for (const r of records) this.state.apply(r);
    this.snapshotLength = records.length;
    this.health.register('routing-journal', async () => this.journal.check());
    this.logger.info(
      { records: records.length, open: this.state.worklist.size, alerts: [...this.state.alerts.values()].filter((a) => !a.acknowledged).length, outbox: this.state.outbox.size },
      'routing journal replayed',
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.tail.catch(() => undefined);
    await this.journal.close();
  }

  /** Runs `work` with no other change in between (a promise-chain lock). */
  exclusive<T>(work: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Rewrites the journal as a snapshot of the state (studies signed longer ago than the retention left out)
   * once it has grown past ROUTING_JOURNAL_COMPACT_LINES and twice its last snapshot. Call inside `exclusive()`.
   */
  async compactIfDue(now: Date): Promise<void> {
    const { compactLines, retentionHours } = this.options.journal;
    if (this.journal.length < Math.max(compactLines, 2 * this.snapshotLength)) return;
    const started = Date.now();
    const before = this.journal.length;
    const records = this.state.snapshot(new Date(now.getTime() - retentionHours * 3_600_000));
    await this.journal.rewrite(records);
    // Rebuild from the snapshot, so memory and journal agree on what was left out.
    const fresh = new RoutingState();
    for (const r of records) fresh.apply(r);
    this.replaceState(fresh);
    this.snapshotLength = records.length;
    this.logger.info({ before, after: records.length, ms: Date.now() - started }, 'routing journal compacted');
  }

  private replaceState(fresh: RoutingState): void {
    for (const uid of [...this.state.studies.keys()]) if (!fresh.studies.has(uid)) {
      this.state.studies.delete(uid);
      this.state.worklist.remove(uid);
    }
    for (const id of [...this.state.alerts.keys()]) if (!fresh.alerts.has(id)) this.state.alerts.delete(id);
    for (const id of [...this.state.handled.keys()]) if (!fresh.handled.has(id)) this.state.handled.delete(id);
  }

  /** Makes the records durable, then applies them. Call inside `exclusive()`. */
  async commit(records: readonly JournalRecord[]): Promise<void> {
    await this.journal.append(records);
    for (const r of records) this.state.apply(r);
  }
}
