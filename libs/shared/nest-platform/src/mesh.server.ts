import { Server, type CustomTransportStrategy, type MessageHandler as NestHandler } from '@nestjs/microservices';
import { consumerGroupId, decodeEnvelope, type ServiceName } from '@triage/contracts';
import { reliableHandler, type EventBus, type InboundMessage, type RetryPolicy } from '@triage/messaging';
import { runInTraceScope, type Logger } from '@triage/observability';
import { lastValueFrom } from 'rxjs';
import type { MeshHandlerExtras } from './mesh-event.decorator';
import { MeshEventContext } from './mesh-event.context';

interface BoundHandler {
  extras: MeshHandlerExtras;
  call: NestHandler;
}

export interface MeshServerOptions {
  bus: EventBus;
  logger: Logger;
  retry: RetryPolicy;
  groupPrefix: string;
  /** Partitions handled concurrently per consumer group. */
  concurrency?: number;
}

/**
 * The Nest microservice transport of the mesh (a @nestjs/microservices custom strategy). It subscribes
 * each service's `@MeshEventHandler` methods under that service's consumer group on the event bus
 * (Kafka, or in-process when embedded), so one codebase runs one service per process or all five in one.
 */
export class MeshServer extends Server implements CustomTransportStrategy {
  constructor(private readonly opts: MeshServerOptions) {
    super();
  }

  /** Handlers grouped by consumer group and topic, walking Nest's chain of event handlers per pattern. */
  private handlersByGroup(): Map<ServiceName, Map<string, BoundHandler[]>> {
    const groups = new Map<ServiceName, Map<string, BoundHandler[]>>();
    for (const [pattern, head] of this.messageHandlers) {
      const chain: NestHandler[] = [];
      for (let h: NestHandler | undefined = head; h; h = h.next) chain.push(h);
      for (const h of chain) {
        // Nest calls a handler's `next` along with it; each service's handler must run alone, under its own group.
        h.next = undefined;
        const extras = h.extras as Partial<MeshHandlerExtras> | undefined;
        if (!extras?.meshService || !extras.meshEvent) {
          throw new Error(`handler for ${pattern} is not declared with @MeshEventHandler`);
        }
        const byTopic = groups.get(extras.meshService) ?? new Map<string, BoundHandler[]>();
        const list = byTopic.get(pattern) ?? [];
        list.push({ extras: extras as MeshHandlerExtras, call: h });
        byTopic.set(pattern, list);
        groups.set(extras.meshService, byTopic);
      }
    }
    return groups;
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      for (const [service, byTopic] of this.handlersByGroup()) {
        const groupId = consumerGroupId(service, this.opts.groupPrefix);
        const dispatch = async (msg: InboundMessage) => {
          for (const bound of byTopic.get(msg.topic) ?? []) {
            const env = decodeEnvelope(bound.extras.meshEvent, msg.value);
            const ctx = new MeshEventContext([{ topic: msg.topic, partition: msg.partition, offset: msg.offset, groupId, headers: msg.headers }]);
            await runInTraceScope({ traceId: env.traceId, eventId: env.eventId }, async () => {
              const result = await bound.call(env, ctx);
              await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
            });
          }
        };
        await this.opts.bus.subscribe({
          groupId,
          topics: [...byTopic.keys()],
          concurrency: this.opts.concurrency,
          handler: reliableHandler(dispatch, { bus: this.opts.bus, groupId, policy: this.opts.retry, logger: this.opts.logger }),
        });
        this.opts.logger.info({ groupId, topics: [...byTopic.keys()] }, 'consumer group subscribed');
      }
      callback();
    } catch (err) {
      callback(err);
    }
  }

  async close(): Promise<void> {
    await this.opts.bus.disconnect();
  }

  on(): never {
    throw new Error('MeshServer has no events to listen to');
  }

  unwrap<T>(): T {
    return this.opts.bus as T;
  }
}
