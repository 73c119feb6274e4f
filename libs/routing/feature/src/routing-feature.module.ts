import { Module, type DynamicModule } from '@nestjs/common';
import type { MeshConfig } from '@triage/config';
import { MESH_CONFIG } from '@triage/nest-platform';
import { AlertsHttpController } from './alerts.http.controller';
import { RoutingAlerts } from './routing.alerts';
import { RoutingMessageController } from './routing.message.controller';
import { loadRoutingOptions, ROUTING_CLOCK, ROUTING_OPTIONS, type Clock } from './routing.options';
import { RoutingOutbox } from './routing.outbox';
import { RoutingScheduler } from './routing.scheduler';
import { RoutingService } from './routing.service';
import { RoutingStore } from './routing.store';
import { SimulateHttpController } from './simulate.http.controller';
import { WorklistHttpController } from './worklist.http.controller';
import { WorklistService } from './worklist.service';

/**
 * The routing service: priority decisions (rule set, waiting-time promotion, silent mode), reader
 * assignment, the worklist API with signed reads, tiered alerts with escalation, and the simulate API.
 * State is a journal under DATA_DIR/routing (single replica). Settings: ROUTING_* (see routing.options.ts).
 */
@Module({
  controllers: [RoutingMessageController, WorklistHttpController, AlertsHttpController, SimulateHttpController],
  providers: [
    { provide: ROUTING_OPTIONS, inject: [MESH_CONFIG], useFactory: (config: MeshConfig) => loadRoutingOptions(process.env, config) },
    { provide: ROUTING_CLOCK, useValue: (() => new Date()) satisfies Clock },
    RoutingStore,
    RoutingOutbox,
    RoutingAlerts,
    RoutingService,
    WorklistService,
    RoutingScheduler,
  ],
  exports: [RoutingStore, RoutingService, WorklistService],
})
export class RoutingFeatureModule {
  /** The module with another environment or clock (tests, benchmarks); the plain module reads process.env and the system clock. */
  static forRoot(opts: { env?: NodeJS.ProcessEnv; clock?: Clock }): DynamicModule {
    const env = opts.env ?? process.env;
    return {
      module: RoutingFeatureModule,
      providers: [
        { provide: ROUTING_OPTIONS, inject: [MESH_CONFIG], useFactory: (config: MeshConfig) => loadRoutingOptions(env, config) },
        { provide: ROUTING_CLOCK, useValue: opts.clock ?? (() => new Date()) },
      ],
    };
  }
}
