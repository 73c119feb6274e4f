import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MeshConfig } from '@triage/config';
import {
  DEFAULT_ESCALATION_POLICY,
  DEFAULT_READERS,
  DEFAULT_RULE_SET,
  EscalationPolicySchema,
  parseReaders,
  parseRuleSet,
  type EscalationPolicy,
  type Reader,
  type RuleSet,
  type SilentMode,
} from '@triage/routing-domain';
import { z } from 'zod';

/** Injection token of the routing settings. */
export const ROUTING_OPTIONS = Symbol('ROUTING_OPTIONS');
/** Injection token of the clock (a function returning now); tests and benchmarks replace it. */
export const ROUTING_CLOCK = Symbol('ROUTING_CLOCK');
export type Clock = () => Date;

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

const EnvSchema = z.object({
  ROUTING_RULES_FILE: z.string().optional(),
  ROUTING_READERS_FILE: z.string().optional(),
  ROUTING_JURISDICTIONS: z.string().optional(),
  ROUTING_SILENT_SITES: z.string().optional(),
  ROUTING_SILENT_MODELS: z.string().optional(),
  ROUTING_TICK_MS: z.coerce.number().int().min(20).max(600_000).default(5_000),
  ROUTING_ASSIGN_TTL_MINUTES: z.coerce.number().positive().max(24 * 60).default(15),
  ROUTING_CLAIM_TTL_MINUTES: z.coerce.number().positive().max(24 * 60).default(60),
  ROUTING_ACK_MINUTES: z
    .string()
    .regex(/^\d+(\.\d+)?,\d+(\.\d+)?,\d+(\.\d+)?$/, 'three minutes values: assigned,next-qualified,supervisor (e.g. 5,5,10)')
    .optional(),
  ROUTING_JOURNAL_COMPACT_LINES: z.coerce.number().int().min(100).max(100_000_000).default(200_000),
  ROUTING_RETENTION_HOURS: z.coerce.number().positive().max(24 * 365).default(168),
  ROUTING_WEBHOOK_URLS: z.string().optional(),
  ROUTING_PAGER_URL: z.url().optional(),
  ROUTING_WEBHOOK_SECRET: z.string().min(16, 'at least 16 characters').optional(),
  ROUTING_WEBHOOK_INCLUDE_ACCESSION: z.enum(['true', 'false']).default('false'),
  ROUTING_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  ROUTING_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  ROUTING_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
});

export interface WebhookOptions {
  /** Tele-radiology / telemedicine platforms told about priority changes. */
  priorityUrls: string[];
  /** The pager/SMS gateway that pages alert recipients. */
  pagerUrl?: string;
  /** HMAC key (Standard Webhooks); never logged. */
  secret?: string;
  includeAccession: boolean;
  maxAttempts: number;
  retryBaseMs: number;
  timeoutMs: number;
}

export interface RoutingOptions {
  ruleSet: RuleSet;
  readers: Reader[];
  jurisdictions: Record<string, string>;
  silent: SilentMode;
  escalation: EscalationPolicy;
  tickMs: number;
  assignTtlMinutes: number;
  claimTtlMinutes: number;
  /** Where the journal lives: DATA_DIR/routing. */
  journalDir: string;
  /** Compaction threshold (lines) and how long signed studies are kept (hours; the topics keep events 7 days). */
  journal: { compactLines: number; retentionHours: number };
  webhooks: WebhookOptions;
}

function escalationPolicy([assigned, next, supervisor]: number[]): EscalationPolicy {
  const parsed = EscalationPolicySchema.safeParse({ ackMinutes: { assigned, 'next-qualified': next, supervisor } });
  if (!parsed.success) throw new Error('invalid routing configuration: ROUTING_ACK_MINUTES: every deadline must be above 0 minutes');
  return parsed.data;
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`invalid routing configuration: ${what} ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Loads the rule set named by ROUTING_RULES_FILE, or the shipped default. */
export function loadRuleSet(path = process.env.ROUTING_RULES_FILE): RuleSet {
  if (!path) return DEFAULT_RULE_SET;
  return parseRuleSet(readJson(path, 'ROUTING_RULES_FILE'));
}

/** Reads and validates the routing settings once at start-up; throws listing every problem. */
export function loadRoutingOptions(env: NodeJS.ProcessEnv, config: Pick<MeshConfig, 'DATA_DIR'>): RoutingOptions {
  const picked = Object.fromEntries(Object.keys(EnvSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = EnvSchema.safeParse(picked);
  if (!parsed.success) {
    throw new Error(`invalid routing configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  const priorityUrls = list(e.ROUTING_WEBHOOK_URLS);
  for (const u of priorityUrls) if (!z.url().safeParse(u).success) throw new Error(`invalid routing configuration: ROUTING_WEBHOOK_URLS: ${u} is not a URL`);
  if ((priorityUrls.length > 0 || e.ROUTING_PAGER_URL) && !e.ROUTING_WEBHOOK_SECRET) {
    throw new Error('invalid routing configuration: ROUTING_WEBHOOK_SECRET is required when ROUTING_WEBHOOK_URLS or ROUTING_PAGER_URL is set');
  }
  const jurisdictions: Record<string, string> = {};
  for (const pair of list(e.ROUTING_JURISDICTIONS)) {
    const [site, j] = pair.split('=').map((s) => s.trim());
    if (!site || !j) throw new Error(`invalid routing configuration: ROUTING_JURISDICTIONS: ${pair} is not site=jurisdiction`);
    jurisdictions[site] = j;
  }
  const ack = e.ROUTING_ACK_MINUTES?.split(',').map(Number);
  return {
    ruleSet: loadRuleSet(e.ROUTING_RULES_FILE),
    readers: e.ROUTING_READERS_FILE ? parseReaders(readJson(e.ROUTING_READERS_FILE, 'ROUTING_READERS_FILE')) : DEFAULT_READERS,
    jurisdictions,
    silent: { sites: list(e.ROUTING_SILENT_SITES), models: list(e.ROUTING_SILENT_MODELS) },
    escalation: ack ? escalationPolicy(ack) : DEFAULT_ESCALATION_POLICY,
    tickMs: e.ROUTING_TICK_MS,
    assignTtlMinutes: e.ROUTING_ASSIGN_TTL_MINUTES,
    claimTtlMinutes: e.ROUTING_CLAIM_TTL_MINUTES,
    journalDir: join(config.DATA_DIR, 'routing'),
    journal: { compactLines: e.ROUTING_JOURNAL_COMPACT_LINES, retentionHours: e.ROUTING_RETENTION_HOURS },
    webhooks: {
      priorityUrls,
      pagerUrl: e.ROUTING_PAGER_URL,
      secret: e.ROUTING_WEBHOOK_SECRET,
      includeAccession: e.ROUTING_WEBHOOK_INCLUDE_ACCESSION === 'true',
      maxAttempts: e.ROUTING_WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: e.ROUTING_WEBHOOK_RETRY_BASE_MS,
      timeoutMs: e.ROUTING_WEBHOOK_TIMEOUT_MS,
    },
  };
}
