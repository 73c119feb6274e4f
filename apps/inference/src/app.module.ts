import type { FeatureContext } from '@triage/nest-platform';
import { InferenceFeatureModule } from '@triage/inference-feature';

/** The modules the inference service mounts. */
export function inferenceModules(_ctx: FeatureContext) {
  return [InferenceFeatureModule];
}
