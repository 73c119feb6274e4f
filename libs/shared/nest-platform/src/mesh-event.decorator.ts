import { applyDecorators, Catch, UseFilters, type RpcExceptionFilter } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { EventDefinition, ServiceName } from '@triage/contracts';
import { throwError, type Observable } from 'rxjs';

export interface MeshHandlerExtras {
  meshService: ServiceName;
  meshEvent: EventDefinition;
}

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
