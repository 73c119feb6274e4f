import { isAeTitle, parseDimseSources } from '@triage/ingest-domain';
import { z } from 'zod';

/** Ingest's own settings, validated once at start-up (the mesh-wide ones are in @triage/config). */
export const IngestConfigSchema = z.object({
  /** Largest STOW-RS request body in bytes (default 2 GiB); larger requests get 413. */
  STOW_MAX_BYTES: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).default(2 * 1024 ** 3),
  /** Largest single instance read into memory for parsing (default 512 MiB); larger parts fail with 0xA700. */
  INGEST_MAX_INSTANCE_BYTES: z.coerce.number().int().positive().default(512 * 1024 ** 2),
  /** C-STORE / C-ECHO listen port; the DIMSE acceptor is off when unset. */
  DIMSE_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Listen address of the DIMSE acceptor. */
  DIMSE_HOST: z.string().min(1).default('127.0.0.1'),
  /** The mesh's own AE title: associations calling another title are rejected. */
  DIMSE_AE_TITLE: z.string().refine(isAeTitle, 'not a valid AE title (1-16 characters, no backslash)').default('TRIAGE_MESH'),
  /** Calling-AE allow-list: `AE[@host][=quietMs]`, comma-separated; `*` admits any calling AE. */
  DIMSE_SOURCES: z
    .string()
    .default('*')
    .superRefine((v, ctx) => {
      for (const problem of parseDimseSources(v).problems) ctx.addIssue({ code: 'custom', message: problem });
    }),
  /** Associations served at once; one more is answered A-ASSOCIATE-RJ (transient, local limit exceeded). */
  DIMSE_MAX_ASSOCIATIONS: z.coerce.number().int().min(1).max(1024).default(16),
  /** Maximum P-DATA-TF PDU length the acceptor announces (and enforces). */
  DIMSE_MAX_PDU_BYTES: z.coerce.number().int().min(4096).max(16 * 1024 ** 2).default(256 * 1024),
  /** An association idle this long (no PDU, or no A-ASSOCIATE-RQ after connect) is aborted. */
  DIMSE_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
  /**
   * The instance journal's checkpoint runs once a segment is full (64 MiB) or after this long without a new
   * instance: it fsyncs the files written since and deletes the segment. Longer means fewer, larger syncs
   * and more to replay after a crash.
   */
  INGEST_JOURNAL_IDLE_MS: z.coerce.number().int().min(10).max(3_600_000).default(1000),
  /** Default quiet period: a study received over C-STORE is handed on this long after its last instance. */
  STUDY_QUIET_PERIOD_MS: z.coerce.number().int().min(0).default(10_000),
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
