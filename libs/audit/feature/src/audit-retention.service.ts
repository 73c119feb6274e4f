import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { RetentionRepository, type PurgeResult } from '@triage/audit-data-access';
import { retentionCutoff, type RetentionPolicy } from '@triage/audit-domain';
import { ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { PeriodicJob } from './periodic-job';

export const AUDIT_RETENTION_POLICY = Symbol('AUDIT_RETENTION_POLICY');

/** Runs the retention purge every AUDIT_RETENTION_INTERVAL_MS when AUDIT_RETENTION_DAYS is set. */
@Injectable()
export class AuditRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log: Logger;
  private readonly job = new PeriodicJob(
    () => this.purgeOnce(),
    (err) => this.log.error({ err: err.message }, 'retention purge failed'),
  );

  constructor(
    private readonly repository: RetentionRepository,
    @Inject(AUDIT_RETENTION_POLICY) private readonly policy: RetentionPolicy,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'audit-retention' });
  }

  /** One purge now; undefined when no retention period is configured. */
  async purgeOnce(now: Date = new Date()): Promise<PurgeResult | undefined> {
    const cutoff = retentionCutoff(this.policy, now);
    if (!cutoff) return undefined;
    const result = await this.repository.purge(cutoff, now);
    this.log.info(result, 'retention purge done');
    return result;
  }

  onApplicationBootstrap(): void {
    if (this.policy.days <= 0 || this.policy.intervalMs <= 0) return;
    this.job.start(this.policy.intervalMs);
    this.log.info({ days: this.policy.days, intervalMs: this.policy.intervalMs }, 'retention purge scheduled');
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }
}
