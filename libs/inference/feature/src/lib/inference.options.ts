import type { MeshConfig } from '@triage/config';
import { join } from 'node:path';
import { z } from 'zod';
import type { ReloadOptions } from './manifest-watcher';

/** Injection token of the inference service's settings. */
export const INFERENCE_OPTIONS = Symbol('INFERENCE_OPTIONS');

const EnvSchema = z.object({
  INFERENCE_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  INFERENCE_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  INFERENCE_FETCH_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
  INFERENCE_FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  INFERENCE_RUN_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(300_000),
  INFERENCE_QUEUE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(256),
  INFERENCE_PUBLIC_URL: z.url().optional(),
  MODELS_MANIFESTS_DIR: z.string().min(1).default('models/manifests'),
  /** Comma-separated origins pixels may be fetched from; defaults to INGEST_PUBLIC_URL's origin when that is set. */
  INFERENCE_DICOMWEB_ALLOWED_ORIGINS: z.string().optional(),
  MODELS_RELOAD_WATCH: z.enum(['true', 'false']).default('true'),
  MODELS_RELOAD_RESCAN_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
  MODELS_RELOAD_DEBOUNCE_MS: z.coerce.number().int().min(0).max(60_000).default(500),
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
  /** One model's run over one study, fetch to findings (INFERENCE_RUN_TIMEOUT_MS); past it the run fails. */
  runTimeoutMs?: number;
  /** Slice executions that may wait for a free slot (INFERENCE_QUEUE_LIMIT); beyond, the study is retried later. */
  queueLimit?: number;
  /** Where heatmap PNG files are written: <DATA_DIR>/heatmaps. */
  heatmapsDir: string;
  /** Base URL of this service in heatmap references (INFERENCE_PUBLIC_URL); else the address it listens on. */
  publicUrl?: string;
  /** Origins WADO-RS retrieval may reach; empty means any (embedded and local development). */
  allowedOrigins: string[];
  /** Reload manifests without a restart; absent = load once at start. */
  reload?: ReloadOptions;
}

/** Reads the inference settings from the environment (validated) and the mesh configuration. */
export function loadInferenceOptions(env: NodeJS.ProcessEnv, config: Pick<MeshConfig, 'MODELS_DIR' | 'INGEST_PUBLIC_URL' | 'DATA_DIR'>): InferenceOptions {
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
    runTimeoutMs: e.INFERENCE_RUN_TIMEOUT_MS,
    queueLimit: e.INFERENCE_QUEUE_LIMIT,
    heatmapsDir: join(config.DATA_DIR, 'heatmaps'),
    publicUrl: e.INFERENCE_PUBLIC_URL,
    allowedOrigins: allowedOrigins(e.INFERENCE_DICOMWEB_ALLOWED_ORIGINS, config.INGEST_PUBLIC_URL),
    reload: { watch: e.MODELS_RELOAD_WATCH === 'true', rescanMs: e.MODELS_RELOAD_RESCAN_MS, debounceMs: e.MODELS_RELOAD_DEBOUNCE_MS },
  };
}

function allowedOrigins(list: string | undefined, ingestPublicUrl: string | undefined): string[] {
  const raw = list ? list.split(',').map((o) => o.trim()).filter(Boolean) : ingestPublicUrl ? [ingestPublicUrl] : [];
  return raw.map((o) => {
    try {
      return new URL(o).origin;
    } catch {
      throw new Error(`invalid inference configuration: INFERENCE_DICOMWEB_ALLOWED_ORIGINS: ${o} is not a URL origin`);
    }
  });
}
