import type { FeatureContext } from '@triage/nest-platform';
import { ReportingFeatureModule } from '@triage/reporting-feature';

/** The modules the reporting service mounts. */
export function reportingModules(_ctx: FeatureContext) {
  return [ReportingFeatureModule];
}
