import { Inject, Injectable } from '@nestjs/common';
import { AuditRepository, type Lineage, type LineageQuery, type RecordInput, type RecordResult } from '@triage/audit-data-access';
import type { Envelope } from '@triage/contracts';
import { ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';

/** The audit service's use cases: record consumed events, answer lineage queries. */
@Injectable()
export class AuditService {
  private readonly log: Logger;

  constructor(
    private readonly repository: AuditRepository,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'audit' });
  }

  /** Records one consumed event (idempotent on eventId). Errors propagate so the transport retries. */
  async record(env: Envelope, topic: string): Promise<RecordResult> {
    const result = await this.repository.record(env, topic);
    // eventId and type only: the envelope's subject and payload carry identifiers and PHI.
    this.log.debug({ eventId: env.eventId, type: env.type, duplicate: result.duplicate }, result.duplicate ? 'duplicate event ignored' : 'event recorded');
    return result;
  }

  /** Records a run of consumed events in one transaction (idempotent on eventId). Errors propagate. */
  async recordBatch(items: RecordInput[]): Promise<RecordResult[]> {
    const results = await this.repository.recordBatch(items);
    const duplicates = results.filter((r) => r.duplicate).length;
    // Counts only: the envelopes' subjects and payloads carry identifiers and PHI.
    this.log.debug({ count: items.length, duplicates }, 'events recorded');
    return results;
  }

  lineage(query: LineageQuery): Promise<Lineage | null> {
    return this.repository.lineage(query);
  }
}
