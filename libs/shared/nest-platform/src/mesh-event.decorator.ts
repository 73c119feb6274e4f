import { EventPattern } from '@nestjs/microservices';
import type { EventDefinition, ServiceName } from '@triage/contracts';

export interface MeshHandlerExtras {
  meshService: ServiceName;
  meshEvent: EventDefinition;
}

/**
 * Marks a Nest message-controller method as `service`'s handler of `event`. The transport subscribes it
 * under that service's consumer group, parses the envelope at the edge (schema failures go to the
 * dead-letter topic) and calls the method with the typed envelope as `@Payload()`.
 */
export function MeshEventHandler(event: EventDefinition, service: ServiceName): MethodDecorator {
  const extras: MeshHandlerExtras = { meshService: service, meshEvent: event };
  return EventPattern(event.topic, extras);
}
