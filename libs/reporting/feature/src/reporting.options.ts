import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MeshConfig } from '@triage/config';
import type { Hl7Parties } from '@triage/reporting-domain';
import { z } from 'zod';
import type { OutboxPolicy } from './delivery/outbox';
import type { FhirAuthConfig } from './delivery/smart-auth';

/** Injection token of the reporting service's settings. */
export const REPORTING_OPTIONS = Symbol('REPORTING_OPTIONS');

const EnvSchema = z.object({
  REPORTING_FHIR_BASE_URL: z.url().optional(),
  REPORTING_FHIR_AUTH: z.enum(['none', 'static', 'smart']).optional(),
  REPORTING_FHIR_TOKEN: z.string().min(1).optional(),
  REPORTING_FHIR_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  REPORTING_SMART_TOKEN_URL: z.url().optional(),
  REPORTING_SMART_CLIENT_ID: z.string().min(1).optional(),
  REPORTING_SMART_KEY_FILE: z.string().min(1).optional(),
  REPORTING_SMART_ALG: z.enum(['RS384', 'ES384', 'RS256', 'ES256']).default('RS384'),
  REPORTING_SMART_KID: z.string().min(1).optional(),
  REPORTING_SMART_SCOPE: z.string().min(1).default('system/DiagnosticReport.write system/Observation.write system/ImagingStudy.write system/Device.write system/Endpoint.write system/Practitioner.write system/Provenance.write'),
  REPORTING_MLLP_HOST: z.string().min(1).optional(),
  REPORTING_MLLP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  REPORTING_HL7_ACK_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  REPORTING_HL7_ADT_EVENT: z.string().regex(/^A\d\d$/, 'an ADT trigger event such as A08').default('A08'),
  REPORTING_HL7_SENDING_APP: z.string().min(1).max(180).default('TRIAGE-MESH'),
  REPORTING_HL7_SENDING_FACILITY: z.string().min(1).max(180).default('TRIAGE'),
  REPORTING_HL7_RECEIVING_APP: z.string().min(1).max(180).default('EHR'),
  REPORTING_HL7_RECEIVING_FACILITY: z.string().min(1).max(180).default('EHR'),
  REPORTING_SUBSCRIPTION_ALLOWED_ORIGINS: z.string().optional(),
  REPORTING_RETRY_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(1_000),
  REPORTING_RETRY_MAX_MS: z.coerce.number().int().min(1).max(3_600_000).default(60_000),
  REPORTING_DELIVERY_MAX_AGE_MS: z.coerce.number().int().min(1).default(24 * 3_600_000),
  REPORTING_DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(100_000),
});

export interface ReportingOptions {
  /** Outbox and per-study state live here (DATA_DIR/reporting). */
  dataDir: string;
  fhir?: { baseUrl: string; auth: FhirAuthConfig; timeoutMs: number };
  mllp?: { host: string; port: number; ackTimeoutMs: number };
  hl7: { parties: Hl7Parties; adtEvent: string };
  policy: OutboxPolicy;
  /** Origins Subscription rest-hook endpoints may point at; empty = any. */
  subscriptionOrigins: string[];
}

/** Reads the reporting settings from the environment (validated); FHIR and MLLP delivery are off unless configured. */
export function loadReportingOptions(env: NodeJS.ProcessEnv, config: Pick<MeshConfig, 'DATA_DIR'>): ReportingOptions {
  const picked = Object.fromEntries(Object.keys(EnvSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = EnvSchema.safeParse(picked);
  const fail = (problems: string[]) => new Error(`invalid reporting configuration: ${problems.join('; ')}`);
  if (!parsed.success) throw fail(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const e = parsed.data;
  const authKind = e.REPORTING_FHIR_AUTH ?? (e.REPORTING_SMART_CLIENT_ID ? 'smart' : e.REPORTING_FHIR_TOKEN ? 'static' : 'none');
  let auth: FhirAuthConfig = { kind: 'none' };
  if (authKind === 'static') {
    if (!e.REPORTING_FHIR_TOKEN) throw fail(['REPORTING_FHIR_TOKEN: required with REPORTING_FHIR_AUTH=static']);
    auth = { kind: 'static', token: e.REPORTING_FHIR_TOKEN };
  } else if (authKind === 'smart') {
    const missing = (['REPORTING_SMART_TOKEN_URL', 'REPORTING_SMART_CLIENT_ID', 'REPORTING_SMART_KEY_FILE'] as const).filter((k) => !e[k]);
    if (missing.length) throw fail(missing.map((k) => `${k}: required with REPORTING_FHIR_AUTH=smart`));
    let privateKey: string;
    try {
      privateKey = readFileSync(e.REPORTING_SMART_KEY_FILE as string, 'utf8');
    } catch {
      throw fail(['REPORTING_SMART_KEY_FILE: cannot be read']);
    }
    auth = {
      kind: 'smart',
      tokenUrl: e.REPORTING_SMART_TOKEN_URL as string,
      clientId: e.REPORTING_SMART_CLIENT_ID as string,
      privateKey,
      alg: e.REPORTING_SMART_ALG,
      ...(e.REPORTING_SMART_KID ? { kid: e.REPORTING_SMART_KID } : {}),
      scope: e.REPORTING_SMART_SCOPE,
    };
  }
  const subscriptionOrigins: string[] = [];
  for (const o of (e.REPORTING_SUBSCRIPTION_ALLOWED_ORIGINS ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
    try {
      subscriptionOrigins.push(new URL(o).origin);
    } catch {
      throw fail(['REPORTING_SUBSCRIPTION_ALLOWED_ORIGINS: each entry must be a URL origin']);
    }
  }
  if ((e.REPORTING_MLLP_HOST === undefined) !== (e.REPORTING_MLLP_PORT === undefined)) {
    throw fail(['REPORTING_MLLP_HOST / REPORTING_MLLP_PORT: set both or neither']);
  }
  return {
    dataDir: join(config.DATA_DIR, 'reporting'),
    ...(e.REPORTING_FHIR_BASE_URL ? { fhir: { baseUrl: e.REPORTING_FHIR_BASE_URL, auth, timeoutMs: e.REPORTING_FHIR_TIMEOUT_MS } } : {}),
    ...(e.REPORTING_MLLP_HOST && e.REPORTING_MLLP_PORT
      ? { mllp: { host: e.REPORTING_MLLP_HOST, port: e.REPORTING_MLLP_PORT, ackTimeoutMs: e.REPORTING_HL7_ACK_TIMEOUT_MS } }
      : {}),
    hl7: {
      parties: {
        sendingApplication: e.REPORTING_HL7_SENDING_APP,
        sendingFacility: e.REPORTING_HL7_SENDING_FACILITY,
        receivingApplication: e.REPORTING_HL7_RECEIVING_APP,
        receivingFacility: e.REPORTING_HL7_RECEIVING_FACILITY,
      },
      adtEvent: e.REPORTING_HL7_ADT_EVENT,
    },
    subscriptionOrigins,
    policy: {
      retryBaseMs: e.REPORTING_RETRY_BASE_MS,
      retryMaxMs: e.REPORTING_RETRY_MAX_MS,
      maxAgeMs: e.REPORTING_DELIVERY_MAX_AGE_MS,
      maxAttempts: e.REPORTING_DELIVERY_MAX_ATTEMPTS,
    },
  };
}
