import type { FeatureContext } from '@triage/nest-platform';
import { IngestFeatureModule } from '@triage/ingest-feature';

/** The modules the ingest service mounts. */
export function ingestModules(_ctx: FeatureContext) {
  return [IngestFeatureModule];
}
