import { join } from 'node:path';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ROOT_LOGGER } from '@triage/nest-platform';
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

  constructor(@Inject(ROUTING_OPTIONS) options: RoutingOptions, @Inject(ROOT_LOGGER) root: Logger) {
    this.journal = new RoutingJournal(join(options.journalDir, 'journal.jsonl'));
    this.logger = root.child({ component: 'routing-store' });
  }

  async onModuleInit(): Promise<void> {
    const records = await this.journal.open();
    for (const r of records) this.state.apply(r);
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

  /** Makes the records durable, then applies them. Call inside `exclusive()`. */
  async commit(records: readonly JournalRecord[]): Promise<void> {
    await this.journal.append(records);
    for (const r of records) this.state.apply(r);
  }
}
