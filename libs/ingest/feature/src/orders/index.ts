import { ContextJoinService } from './context-join.service';
import { Hl7IntakeService } from './hl7-intake.service';
import { PriorsService } from '../priors/priors.service';
import { MllpServer } from './mllp.server';
import { OrderStore } from './order-store.service';
import { loadOrdersConfig, ORDERS_CONFIG } from './orders.config';
import { ServiceRequestHttpController } from './service-request.http.controller';

export * from './orders.config';
export { PriorsService } from '../priors/priors.service';
export { ContextJoinService, Hl7IntakeService, MllpServer, OrderStore, ServiceRequestHttpController };

/** Providers of the order intake, for IngestFeatureModule (settings from `env`). */
export function orderProviders(env: Record<string, string | undefined>) {
  return [OrderStore, PriorsService, ContextJoinService, Hl7IntakeService, MllpServer, { provide: ORDERS_CONFIG, useFactory: () => loadOrdersConfig(env) }];
}

/** HTTP controllers of the order intake. */
export const ORDER_CONTROLLERS = [ServiceRequestHttpController];
