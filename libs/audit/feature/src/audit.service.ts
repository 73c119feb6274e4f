import { Inject, Injectable } from '@nestjs/common';
import { AuditRepository, type Lineage, type LineageQuery, type RecordInput, type RecordResult } from '@triage/audit-data-access';
import type { Envelope } from '@triage/contracts';
import { ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { GroupCommitter } from './group-commit';

/** Events per group-commit transaction at most (the batch handler hands over at most 500 per call). */
const GROUP_COMMIT_MAX_EVENTS = 2_000;

/** The audit service's use cases: record consumed events, answer lineage queries. */
@Injectable()
export class AuditService {
  private readonly log: Logger;
  private readonly committer: GroupCommitter;

  constructor(
    private readonly repository: AuditRepository,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'audit' });
    this.committer = new GroupCommitter(repository, GROUP_COMMIT_MAX_EVENTS);
  }

  /** Records one consumed event (idempotent on eventId). Errors propagate so the transport retries. */
  async record(env: Envelope, topic: string): Promise<RecordResult> {
    const result = await this.repository.record(env, topic);
    // eventId and type only: the envelope's subject and payload carry identifiers and PHI.
    this.log.debug({ eventId: env.eventId, type: env.type, duplicate: result.duplicate }, result.duplicate ? 'duplicate event ignored' : 'event recorded');
    return result;
  }

  /**
   * Records a run of consumed events (idempotent on eventId), in one transaction with the runs other
   * partitions hand over meanwhile (group commit). Errors propagate, so the transport retries.
   */
  async recordBatch(items: RecordInput[]): Promise<RecordResult[]> {
    const results = await this.committer.record(items);
    const duplicates = results.filter((r) => r.duplicate).length;
    // Counts only: the envelopes' subjects and payloads carry identifiers and PHI.
    this.log.debug({ count: items.length, duplicates }, 'events recorded');
    return results;
  }

  lineage(query: LineageQuery): Promise<Lineage | null> {
    return this.repository.lineage(query);
  }
}
