import { ContextJoinService } from './context-join.service';
import { Hl7IntakeService } from './hl7-intake.service';
import { DeidHttpController } from '../deid/deid.http.controller';
import { DeidService } from '../deid/deid.service';
import { PriorsService } from '../priors/priors.service';
import { MllpServer } from './mllp.server';
import { OrderStore } from './order-store.service';
import { loadOrdersConfig, ORDERS_CONFIG } from './orders.config';
import { ServiceRequestHttpController } from './service-request.http.controller';

export * from './orders.config';
export { PriorsService } from '../priors/priors.service';
export * from '../deid';
export { ContextJoinService, Hl7IntakeService, MllpServer, OrderStore, ServiceRequestHttpController };

/** Providers of the order intake, priors and de-identification, for IngestFeatureModule (settings from `env`). */
export function orderProviders(env: Record<string, string | undefined>) {
  return [OrderStore, PriorsService, DeidService, ContextJoinService, Hl7IntakeService, MllpServer, { provide: ORDERS_CONFIG, useFactory: () => loadOrdersConfig(env) }];
}

/** HTTP controllers of the order intake and the de-identified export. */
export const ORDER_CONTROLLERS = [ServiceRequestHttpController, DeidHttpController];
