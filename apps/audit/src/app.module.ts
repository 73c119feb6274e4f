import type { FeatureContext } from '@triage/nest-platform';
import { AuditFeatureModule } from '@triage/audit-feature';

/** The modules the audit service mounts. */
export function auditModules(_ctx: FeatureContext) {
  return [AuditFeatureModule];
}
