import { Inject, Injectable } from '@nestjs/common';
import { ContractViolationError, EVENTS, type EventDefinition } from '@triage/contracts';
import { EventPublisher, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import type { OutboxItem } from '@triage/routing-domain';
import { RoutingStore } from './routing.store';
import { ROUTING_CLOCK, ROUTING_OPTIONS, type Clock, type RoutingOptions } from './routing.options';
import { sendWebhook } from './webhook.sender';

type EventItem = Extract<OutboxItem, { kind: 'event' }>;
type WebhookItem = Extract<OutboxItem, { kind: 'webhook' }>;

/**
 * Sends what the journal says must be sent: events in journal order (deterministic event ids, so a resend
 * after a crash is a duplicate consumers drop), webhooks with retries and exponential backoff. An item
 * leaves the outbox (journalled) only once sent, or once a webhook has failed for good.
 */
@Injectable()
export class RoutingOutbox {
  private readonly logger: Logger;
  private events: Promise<void> | undefined;
  private webhooksRunning = false;
  private readonly retries = new Map<string, { attempts: number; nextAt: number }>();

  constructor(
    private readonly store: RoutingStore,
    private readonly publisher: EventPublisher,
    @Inject(ROUTING_OPTIONS) private readonly options: RoutingOptions,
    @Inject(ROUTING_CLOCK) private readonly clock: Clock,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'routing-outbox' });
  }

  /** Publishes pending events (resolves when none is left, rejects when the bus refused one) and starts webhook deliveries. */
  async flush(): Promise<void> {
    this.kickWebhooks();
    // One publisher at a time keeps journal order; a caller arriving mid-flush runs another pass after it.
    while (this.events) await this.events.catch(() => undefined);
    this.events = this.publishPending().finally(() => {
      this.events = undefined;
    });
    await this.events;
  }

  /** Ids of events still waiting to be published. */
  pendingEvents(): string[] {
    return [...this.store.state.outbox.values()].filter((i) => i.kind === 'event').map((i) => i.id);
  }

  private async publishPending(): Promise<void> {
    const done: Array<{ id: string; outcome: 'sent' | 'failed' }> = [];
    try {
      for (const item of [...this.store.state.outbox.values()]) {
        if (item.kind !== 'event' || !this.store.state.outbox.has(item.id)) continue;
        try {
          await this.publish(item);
          done.push({ id: item.id, outcome: 'sent' });
        } catch (err) {
          // A payload that breaks its contract is a bug no retry fixes: record it and keep the outbox moving.
          if (!(err instanceof ContractViolationError)) throw err;
          this.logger.error({ eventId: item.eventId, event: item.event, reason: err.message }, 'routing event breaks its contract: not sent');
          done.push({ id: item.id, outcome: 'failed' });
        }
      }
    } finally {
      // One journal write for the whole pass; what was sent before a failure is recorded all the same.
      if (done.length > 0) await this.store.exclusive(() => this.store.commit(done.map((d) => ({ t: 'outbox-done' as const, ...d }))));
    }
  }

  private publish(item: EventItem) {
    // The payload was built against this event's schema; publish() parses it again before it leaves.
    const def = EVENTS[item.event] as EventDefinition;
    return this.publisher.publish(def, item.payload, { source: 'routing', subject: item.subject, traceId: item.traceId, eventId: item.eventId });
  }

  private kickWebhooks(): void {
    if (this.webhooksRunning) return;
    this.webhooksRunning = true;
    this.deliverDue()
      .catch((err: unknown) => this.logger.error({ reason: err instanceof Error ? err.message : String(err) }, 'webhook delivery pass failed'))
      .finally(() => {
        this.webhooksRunning = false;
      });
  }

  private async deliverDue(): Promise<void> {
    const now = this.clock().getTime();
    const due = [...this.store.state.outbox.values()].filter(
      (i): i is WebhookItem => i.kind === 'webhook' && (this.retries.get(i.id)?.nextAt ?? 0) <= now,
    );
    await Promise.all(due.map((item) => this.deliver(item)));
  }

  private async deliver(item: WebhookItem): Promise<void> {
    const { secret, timeoutMs, maxAttempts, retryBaseMs } = this.options.webhooks;
    const attempts = (this.retries.get(item.id)?.attempts ?? 0) + 1;
    const outcome = secret
      ? await sendWebhook(item.url, secret, item.id, item.eventType, item.body, timeoutMs, this.clock())
      : { ok: false as const, permanent: true, detail: 'no ROUTING_WEBHOOK_SECRET' };
    const log = { deliveryId: item.id, target: item.target, eventType: item.eventType, attempt: attempts };
    if (outcome.ok) {
      this.retries.delete(item.id);
      this.logger.info({ ...log, status: outcome.status }, 'webhook delivered');
      await this.store.exclusive(() => this.store.commit([{ t: 'outbox-done', id: item.id, outcome: 'sent' }]));
      return;
    }
    if (outcome.permanent || attempts >= maxAttempts) {
      this.retries.delete(item.id);
      this.logger.error({ ...log, detail: outcome.detail }, 'webhook failed for good');
      await this.store.exclusive(() => this.store.commit([{ t: 'outbox-done', id: item.id, outcome: 'failed' }]));
      return;
    }
    // Exponential backoff with ±20 % jitter.
    const delay = retryBaseMs * 2 ** (attempts - 1) * (0.8 + Math.random() * 0.4);
    this.retries.set(item.id, { attempts, nextAt: this.clock().getTime() + delay });
    this.logger.warn({ ...log, detail: outcome.detail, retryInMs: Math.round(delay) }, 'webhook attempt failed');
  }
}
