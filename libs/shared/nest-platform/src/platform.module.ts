import { Global, Module, type DynamicModule, type OnModuleInit, Inject } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { ServiceName } from '@triage/contracts';
import type { MeshConfig } from '@triage/config';
import type { EventBus } from '@triage/messaging';
import type { Logger } from '@triage/observability';
import { EventPublisher } from './event-publisher.service';
import { FhirErrorFilter } from './fhir-error.filter';
import { HealthHttpController } from './health.http.controller';
import { HealthRegistry } from './health.registry';
import { RuntimeInfo } from './runtime-info';
import { EVENT_BUS, MESH_CONFIG, MESH_SERVICES, ROOT_LOGGER } from './tokens';

export interface PlatformModuleOptions {
  services: ServiceName[];
  config: MeshConfig;
  bus: EventBus;
  logger: Logger;
  runtime: RuntimeInfo;
}

/** Process-wide plumbing: configuration, logger, event bus, publisher and health endpoints. */
@Global()
@Module({})
export class MeshPlatformModule implements OnModuleInit {
  constructor(
    private readonly health: HealthRegistry,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  static forRoot(opts: PlatformModuleOptions): DynamicModule {
    return {
      module: MeshPlatformModule,
      controllers: [HealthHttpController],
      providers: [
        { provide: MESH_CONFIG, useValue: opts.config },
        { provide: EVENT_BUS, useValue: opts.bus },
        { provide: ROOT_LOGGER, useValue: opts.logger },
        { provide: MESH_SERVICES, useValue: opts.services },
        { provide: RuntimeInfo, useValue: opts.runtime },
        HealthRegistry,
        EventPublisher,
        { provide: APP_FILTER, useClass: FhirErrorFilter },
      ],
      exports: [MESH_CONFIG, EVENT_BUS, ROOT_LOGGER, MESH_SERVICES, RuntimeInfo, HealthRegistry, EventPublisher],
    };
  }

  onModuleInit(): void {
    this.health.register(`bus:${this.bus.kind}`, () => this.bus.checkHealth());
  }
}
