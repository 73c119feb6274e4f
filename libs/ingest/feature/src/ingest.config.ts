import { z } from 'zod';

/** Ingest's own settings, validated once at start-up (the mesh-wide ones are in @triage/config). */
export const IngestConfigSchema = z.object({
  /** Largest STOW-RS request body in bytes (default 2 GiB); larger requests get 413. */
  STOW_MAX_BYTES: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).default(2 * 1024 ** 3),
  /** Largest single instance read into memory for parsing (default 512 MiB); larger parts fail with 0xA700. */
  INGEST_MAX_INSTANCE_BYTES: z.coerce.number().int().positive().default(512 * 1024 ** 2),
});

export type IngestConfig = z.infer<typeof IngestConfigSchema>;

export const INGEST_CONFIG = Symbol('INGEST_CONFIG');

export class IngestConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid ingest configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'IngestConfigError';
  }
}

/** Reads and validates the ingest settings; throws IngestConfigError listing every problem. */
export function loadIngestConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): IngestConfig {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(IngestConfigSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const parsed = IngestConfigSchema.safeParse(picked);
  if (!parsed.success) throw new IngestConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  return parsed.data;
}
