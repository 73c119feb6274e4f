import type { MeshConfig } from '@triage/config';
import { z } from 'zod';

/** Injection token of the inference service's settings. */
export const INFERENCE_OPTIONS = Symbol('INFERENCE_OPTIONS');

const EnvSchema = z.object({
  INFERENCE_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  INFERENCE_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  INFERENCE_FETCH_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
  INFERENCE_FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  MODELS_MANIFESTS_DIR: z.string().min(1).default('models/manifests'),
});

export interface InferenceOptions {
  /** Where `<id>.json` manifests are read. */
  manifestsDir: string;
  /** Where the weights files named by the manifests are read (MESH_CONFIG.MODELS_DIR). */
  modelsDir: string;
  /** ONNX Runtime intra-op threads per session (INFERENCE_THREADS). */
  intraOpNumThreads: number;
  /** Model executions at once across all studies. */
  maxConcurrentRuns: number;
  /** Instance retrievals at once per study. */
  fetchConcurrency: number;
  fetchTimeoutMs: number;
}

/** Reads the inference settings from the environment (validated) and the mesh configuration. */
export function loadInferenceOptions(env: NodeJS.ProcessEnv, config: Pick<MeshConfig, 'MODELS_DIR'>): InferenceOptions {
  const picked = Object.fromEntries(Object.keys(EnvSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = EnvSchema.safeParse(picked);
  if (!parsed.success) {
    throw new Error(`invalid inference configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  return {
    manifestsDir: e.MODELS_MANIFESTS_DIR,
    modelsDir: config.MODELS_DIR,
    intraOpNumThreads: e.INFERENCE_THREADS,
    maxConcurrentRuns: e.INFERENCE_CONCURRENCY,
    fetchConcurrency: e.INFERENCE_FETCH_CONCURRENCY,
    fetchTimeoutMs: e.INFERENCE_FETCH_TIMEOUT_MS,
  };
}
