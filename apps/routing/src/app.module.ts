import type { FeatureContext } from '@triage/nest-platform';
import { RoutingFeatureModule } from '@triage/routing-feature';

/** The modules the routing service mounts. */
export function routingModules(_ctx: FeatureContext) {
  return [RoutingFeatureModule];
}
