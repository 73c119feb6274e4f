import { Inject, Injectable } from '@nestjs/common';
import { createEnvelope, encodeEnvelope, type Envelope, type EventDefinition, type ServiceName } from '@triage/contracts';
import type { EventBus } from '@triage/messaging';
import type { z } from 'zod';
import { EVENT_BUS } from './tokens';

export interface PublishOptions {
  source: ServiceName;
  /** The message key: the StudyInstanceUID. */
  subject: string;
  /** The trace this event belongs to (the handled event's traceId, or a new trace at ingest). */
  traceId: string;
  /** Deterministic event id, when a redelivered input must produce the same output event id. */
  eventId?: string;
}

/** Publishes contract-checked envelopes on the event bus; resolves once the bus has accepted them. */
@Injectable()
export class EventPublisher {
  constructor(@Inject(EVENT_BUS) private readonly bus: EventBus) {}

  async publish<S extends z.ZodType>(event: EventDefinition<S>, payload: z.input<S>, opts: PublishOptions): Promise<Envelope<z.infer<S>>> {
    const env = createEnvelope(event, payload, {
      source: opts.source,
      subject: opts.subject,
      trace: { traceId: opts.traceId },
      eventId: opts.eventId,
    });
    await this.bus.publish(event.topic, [encodeEnvelope(env)]);
    return env;
  }
}
