import { Server, type CustomTransportStrategy, type MessageHandler as NestHandler } from '@nestjs/microservices';
import { consumerGroupId, decodeEnvelope, type EventDefinition, type ServiceName } from '@triage/contracts';
import { reliableBatchHandler, reliableHandler, type BatchOptions, type DeliveryControl, type EventBus, type InboundMessage, type RetryPolicy } from '@triage/messaging';
import { runInTraceScope, type Logger } from '@triage/observability';
import { lastValueFrom } from 'rxjs';
import type { MeshBatchHandlerExtras, MeshBatchItem, MeshHandlerExtras } from './mesh-event.decorator';
import { MeshEventContext } from './mesh-event.context';

interface BoundHandler {
  extras: MeshHandlerExtras;
  call: NestHandler;
}

interface BoundBatchHandler {
  event: EventDefinition;
  maxBatchSize: number;
  call: NestHandler;
}

interface GroupHandlers {
  single: Map<string, BoundHandler[]>;
  batch: Map<string, BoundBatchHandler>;
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
 * A service may instead declare one `@MeshEventBatchHandler` for all of its topics: it is then handed
 * runs of messages per partition (Kafka eachBatch).
 */
export class MeshServer extends Server implements CustomTransportStrategy {
  constructor(private readonly opts: MeshServerOptions) {
    super();
  }

  /** Handlers grouped by consumer group and topic, walking Nest's chain of event handlers per pattern. */
  private handlersByGroup(): Map<ServiceName, GroupHandlers> {
    const groups = new Map<ServiceName, GroupHandlers>();
    const groupOf = (service: ServiceName) => {
      const g = groups.get(service) ?? { single: new Map<string, BoundHandler[]>(), batch: new Map<string, BoundBatchHandler>() };
      groups.set(service, g);
      return g;
    };
    for (const [pattern, head] of this.messageHandlers) {
      const chain: NestHandler[] = [];
      for (let h: NestHandler | undefined = head; h; h = h.next) chain.push(h);
      for (const h of chain) {
        // Nest calls a handler's `next` along with it; each service's handler must run alone, under its own group.
        h.next = undefined;
        const batchExtras = h.extras as Partial<MeshBatchHandlerExtras> | undefined;
        if (batchExtras?.meshService && batchExtras.meshBatchEvents) {
          const g = groupOf(batchExtras.meshService);
          for (const event of batchExtras.meshBatchEvents) {
            if (g.batch.has(event.topic)) throw new Error(`two batch handlers for ${event.topic} in service ${batchExtras.meshService}`);
            g.batch.set(event.topic, { event, maxBatchSize: batchExtras.maxBatchSize ?? 1, call: h });
          }
          continue;
        }
        const extras = h.extras as Partial<MeshHandlerExtras> | undefined;
        if (!extras?.meshService || !extras.meshEvent) {
          throw new Error(`handler for ${pattern} is not declared with @MeshEventHandler`);
        }
        const byTopic = groupOf(extras.meshService).single;
        const list = byTopic.get(pattern) ?? [];
        list.push({ extras: extras as MeshHandlerExtras, call: h });
        byTopic.set(pattern, list);
      }
    }
    for (const [service, g] of groups) {
      if (g.batch.size > 0 && g.single.size > 0) {
        throw new Error(`service ${service} mixes @MeshEventBatchHandler and @MeshEventHandler: one consumer group takes one or the other`);
      }
    }
    return groups;
  }

  private async invoke(call: NestHandler, data: unknown, ctx: MeshEventContext): Promise<void> {
    const result = await call(data, ctx);
    await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }

  private context(msg: InboundMessage, groupId: string, control?: DeliveryControl): MeshEventContext {
    const attempt = control?.attempt ?? 1;
    return new MeshEventContext([{ topic: msg.topic, partition: msg.partition, offset: msg.offset, groupId, headers: msg.headers, attempt, finalAttempt: control?.finalAttempt ?? false }]);
  }

  /** The bus handlers of a group of batch handlers: runs per partition, and one message at a time as the fallback. */
  private batchDispatch(groupId: string, handlers: Map<string, BoundBatchHandler>): { one: (msg: InboundMessage) => Promise<void>; many: (msgs: InboundMessage[]) => Promise<void> } {
    const many = async (msgs: InboundMessage[]) => {
      const byTopic = new Map<string, InboundMessage[]>();
      for (const m of msgs) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
      for (const [topic, list] of byTopic) {
        const bound = handlers.get(topic);
        if (!bound) continue;
        // A message that does not parse fails the run; the one-by-one fallback dead-letters it alone.
        const items: MeshBatchItem[] = list.map((m) => ({ topic, partition: m.partition, offset: m.offset, envelope: decodeEnvelope(bound.event, m.value) }));
        await this.invoke(bound.call, items, this.context(list[list.length - 1], groupId));
      }
    };
    const one = async (msg: InboundMessage, control?: DeliveryControl) => {
      const bound = handlers.get(msg.topic);
      if (!bound) return;
      const envelope = decodeEnvelope(bound.event, msg.value);
      await runInTraceScope({ traceId: envelope.traceId, eventId: envelope.eventId }, () =>
        this.invoke(bound.call, [{ topic: msg.topic, partition: msg.partition, offset: msg.offset, envelope }], this.context(msg, groupId, control)),
      );
    };
    return { one, many };
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      for (const [service, { single, batch }] of this.handlersByGroup()) {
        const groupId = consumerGroupId(service, this.opts.groupPrefix);
        const reliable = { bus: this.opts.bus, groupId, policy: this.opts.retry, logger: this.opts.logger };
        let handler;
        let batchOptions: BatchOptions | undefined;
        const topics = [...(batch.size ? batch.keys() : single.keys())];
        if (batch.size) {
          const { one, many } = this.batchDispatch(groupId, batch);
          handler = reliableHandler(one, reliable);
          const maxSize = Math.min(...[...batch.values()].map((b) => b.maxBatchSize));
          batchOptions = { maxSize, handler: reliableBatchHandler(many, handler, { logger: this.opts.logger }) };
        } else {
          handler = reliableHandler(async (msg: InboundMessage, control: DeliveryControl) => {
            for (const bound of single.get(msg.topic) ?? []) {
              const env = decodeEnvelope(bound.extras.meshEvent, msg.value);
              await runInTraceScope({ traceId: env.traceId, eventId: env.eventId }, () => this.invoke(bound.call, env, this.context(msg, groupId, control)));
            }
          }, reliable);
        }
        await this.opts.bus.subscribe({ groupId, topics, concurrency: this.opts.concurrency, handler, ...(batchOptions ? { batch: batchOptions } : {}) });
        this.opts.logger.info({ groupId, topics, batch: batchOptions ? batchOptions.maxSize : undefined }, 'consumer group subscribed');
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
