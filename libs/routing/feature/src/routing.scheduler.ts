import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { RoutingService } from './routing.service';
import { ROUTING_OPTIONS, type RoutingOptions } from './routing.options';

/** Runs RoutingService.tick every ROUTING_TICK_MS (holds, waiting-time promotion, escalation, outbox); one pass at a time. */
@Injectable()
export class RoutingScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly logger: Logger;

  constructor(
    private readonly routing: RoutingService,
    @Inject(ROUTING_OPTIONS) private readonly options: RoutingOptions,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'routing-scheduler' });
  }

  onApplicationBootstrap(): void {
    const o = this.options;
    // Settings without secrets or URLs (a URL may carry a token): counts and names only.
    this.logger.info(
      {
        ruleSet: `${o.ruleSet.id} ${o.ruleSet.version}`,
        readers: o.readers.length,
        silentSites: o.silent.sites,
        silentModels: o.silent.models,
        tickMs: o.tickMs,
        assignTtlMinutes: o.assignTtlMinutes,
        claimTtlMinutes: o.claimTtlMinutes,
        ackMinutes: o.escalation.ackMinutes,
        priorityWebhooks: o.webhooks.priorityUrls.length,
        pagerWebhook: o.webhooks.pagerUrl !== undefined,
      },
      'routing settings',
    );
    // The first pass sends what the journal left in the outbox before a restart.
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.running = this.routing
        .tick()
        .catch((err: unknown) => this.logger.error({ reason: err instanceof Error ? err.message : String(err) }, 'routing tick failed'))
        .finally(() => {
          this.running = undefined;
          if (this.timer) this.schedule(this.options.tickMs);
        });
    }, ms);
  }
}
