import { z } from 'zod';

/** Values marked secret are never printed: `describeConfig()` masks them. */
const SECRET_KEYS = new Set(['KAFKA_SASL_PASSWORD', 'DATABASE_URL']);

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);

export const ConfigSchema = z
  .object({
    MESH_MODE: z.enum(['embedded', 'distributed']).default('embedded'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    HTTP_HOST: z.string().default('127.0.0.1'),
    HTTP_PORT: port.optional(),
    /** Base URL other services use to reach ingest's DICOMweb endpoints. */
    INGEST_PUBLIC_URL: z.url().optional(),
    DATA_DIR: z.string().default('var'),
    MODELS_DIR: z.string().default('models/build'),
    KAFKA_BROKERS: z.string().default('127.0.0.1:9092'),
    KAFKA_CLIENT_ID: z.string().default('triage-mesh'),
    KAFKA_GROUP_PREFIX: z.string().default('triage'),
    KAFKA_SSL: bool.default(false),
    KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    KAFKA_SASL_USERNAME: z.string().optional(),
    KAFKA_SASL_PASSWORD: z.string().optional(),
    CONSUMER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
    CONSUMER_RETRY_BASE_MS: z.coerce.number().int().min(1).max(60000).default(200),
    /** PostgreSQL in distributed mode; empty in embedded mode, where PGlite under DATA_DIR is used. */
    DATABASE_URL: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    if (c.KAFKA_SASL_MECHANISM && (!c.KAFKA_SASL_USERNAME || !c.KAFKA_SASL_PASSWORD)) {
      ctx.addIssue({ code: 'custom', path: ['KAFKA_SASL_USERNAME'], message: 'SASL needs a username and a password' });
    }
  });

export type MeshConfig = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment once at start-up into a typed object; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): MeshConfig {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const parsed = ConfigSchema.safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
}

/** The configuration with secrets masked, for a start-up log line. */
export function describeConfig(config: MeshConfig): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, SECRET_KEYS.has(k) && v !== undefined ? '***' : v]),
  );
}
