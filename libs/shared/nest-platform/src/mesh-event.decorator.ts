import { applyDecorators, Catch, UseFilters, type RpcExceptionFilter } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { Envelope, EventDefinition, ServiceName } from '@triage/contracts';
import { throwError, type Observable } from 'rxjs';

export interface MeshHandlerExtras {
  meshService: ServiceName;
  meshEvent: EventDefinition;
}

/** What @MeshEventBatchHandler attaches to its handler. */
export interface MeshBatchHandlerExtras {
  meshService: ServiceName;
  meshBatchEvents: readonly EventDefinition[];
  maxBatchSize: number;
}

/** One message of a batch, as a batch handler receives it (`@Payload() items: MeshBatchItem[]`). */
export interface MeshBatchItem<T = unknown> {
  topic: string;
  partition: number;
  offset: string;
  envelope: Envelope<T>;
}

/** Default cap on messages per batch call. */
export const DEFAULT_MAX_BATCH_SIZE = 500;

/**
 * Hands a handler's error to the transport unchanged. Nest's default RPC filter would replace it with
 * "Internal server error", and the dead-letter record must say what really failed.
 */
@Catch()
export class PassErrorToTransportFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Marks a Nest message-controller method as `service`'s handler of `event`. The transport subscribes it
 * under that service's consumer group, parses the envelope at the edge (schema failures go to the
 * dead-letter topic) and calls the method with the typed envelope as `@Payload()`.
 */
export function MeshEventHandler(event: EventDefinition, service: ServiceName): MethodDecorator {
  const extras: MeshHandlerExtras = { meshService: service, meshEvent: event };
  return applyDecorators(EventPattern(event.topic, extras), UseFilters(new PassErrorToTransportFilter()));
}

/**
 * Marks a Nest message-controller method as `service`'s handler of runs of messages of `events` (kafkajs
 * eachBatch, or what the in-process bus has queued): it receives `MeshBatchItem[]`, envelopes already
 * parsed, at most `maxBatchSize` at a time, all of one topic-partition. If it throws, the transport hands
 * the messages to it again one at a time (retries, then the dead-letter topic per message), so the
 * handler must be atomic or idempotent. Every topic of the service's consumer group must then be
 * handled this way.
 */
export function MeshEventBatchHandler(events: readonly EventDefinition[], service: ServiceName, opts: { maxBatchSize?: number } = {}): MethodDecorator {
  if (events.length === 0) throw new Error('MeshEventBatchHandler needs at least one event');
  const extras: MeshBatchHandlerExtras = { meshService: service, meshBatchEvents: events, maxBatchSize: opts.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE };
  return applyDecorators(EventPattern(`mesh-batch:${service}:${events.map((e) => e.topic).join(',')}`, extras), UseFilters(new PassErrorToTransportFilter()));
}
