import type { FeatureContext } from '@triage/nest-platform';
import { AuditFeatureModule } from '@triage/audit-feature';
import { InferenceFeatureModule } from '@triage/inference-feature';
import { IngestFeatureModule } from '@triage/ingest-feature';
import { ReportingFeatureModule } from '@triage/reporting-feature';
import { RoutingFeatureModule } from '@triage/routing-feature';

/** The embedded default: all five services' modules in one process, each under its own consumer group. */
export function meshModules(_ctx: FeatureContext) {
  return [IngestFeatureModule, InferenceFeatureModule, RoutingFeatureModule, ReportingFeatureModule, AuditFeatureModule];
}
