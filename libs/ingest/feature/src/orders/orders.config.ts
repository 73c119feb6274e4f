import { z } from 'zod';

const port = z.union([z.literal(''), z.coerce.number().int().min(0).max(65535)]);

/** Settings of the order intake (HL7 v2 over MLLP, FHIR ServiceRequest) and of priors, validated at start-up. */
export const OrdersConfigSchema = z.object({
  /** MLLP listener port; empty (the default) leaves the listener off, 0 picks a free port (tests). */
  HL7_MLLP_PORT: port.default(''),
  HL7_MLLP_HOST: z.string().min(1).default('127.0.0.1'),
  /** Largest HL7 message accepted (bytes); a larger frame is answered AR and skipped. */
  HL7_MAX_MESSAGE_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  /** Connections beyond this many are closed at once (each sender keeps one or a few). */
  HL7_MLLP_MAX_CONNECTIONS: z.coerce.number().int().positive().default(64),
  /** An MLLP connection silent this long is closed (a sender stuck mid-frame frees its buffer). */
  HL7_MLLP_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().default(10 * 60_000),
  /** MSH-3 of ACKs the listener sends when the message had no usable MSH. */
  HL7_RECEIVING_APPLICATION: z.string().min(1).max(227).default('TRIAGE-MESH'),
  /** Largest FHIR request body (bytes); larger ones get 413 with an OperationOutcome. */
  FHIR_MAX_BODY_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  /** DICOMweb base of the PACS searched for priors (QIDO-RS), e.g. http://pacs:8042/dicom-web; empty: no lookup. */
  PRIORS_DICOMWEB_URL: z.union([z.literal(''), z.url()]).default(''),
  /** At most this many priors per study, newest first. */
  PRIORS_MAX: z.coerce.number().int().min(1).max(50).default(10),
  /** QIDO-RS request timeout. */
  PRIORS_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});

export type OrdersConfig = z.infer<typeof OrdersConfigSchema>;
export const ORDERS_CONFIG = Symbol('ORDERS_CONFIG');

/** Reads and validates the order intake settings; throws listing every problem. */
export function loadOrdersConfig(env: Record<string, string | undefined> = process.env): OrdersConfig {
  const parsed = OrdersConfigSchema.safeParse(Object.fromEntries(Object.keys(OrdersConfigSchema.shape).flatMap((k) => (env[k] === undefined ? [] : [[k, env[k]]]))));
  if (!parsed.success) throw new Error(`invalid order intake configuration:\n  ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n  ')}`);
  return parsed.data;
}
