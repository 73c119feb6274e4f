import { PrioritySchema } from '@triage/contracts';
import { z } from 'zod';
import { ServiceLevelsSchema } from './sla.schema';

/** Conditions over one AI finding; a rule with a finding condition fires once per matching finding. */
const FindingCondition = z
  .object({
    labels: z.array(z.string()).optional(),
    positive: z.boolean().optional(),
    critical: z.boolean().optional(),
    minProbability: z.number().min(0).max(1).optional(),
    kind: z.enum(['finding', 'quality']).optional(),
  })
  .strict();

const ContextCondition = z
  .object({
    patientClass: z.array(z.enum(['emergency', 'inpatient', 'outpatient', 'unknown'])).optional(),
    orderPriority: z.array(z.enum(['stat', 'asap', 'routine', 'unknown'])).optional(),
    modalities: z.array(z.string()).optional(),
    bodyParts: z.array(z.string()).optional(),
    minAgeYears: z.number().int().min(0).optional(),
    maxAgeYears: z.number().int().min(0).optional(),
  })
  .strict();

export const RuleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
    description: z.string().optional(),
    when: z.object({ finding: FindingCondition.optional(), context: ContextCondition.optional() }).strict(),
    then: z.object({ priority: PrioritySchema, score: z.number() }).strict(),
    /** Reason template; {label}, {probability}, {model}, {threshold} are filled from the matching finding. */
    reason: z.string().min(1).max(256),
  })
  .strict();

export const RuleSetSchema = z
  .object({
    id: z.string().min(1),
    version: z.string().min(1).max(64),
    description: z.string().optional(),
    rules: z.array(RuleSchema).min(1),
    /** Reason given when no rule fires. */
    fallback: z.object({ priority: PrioritySchema, score: z.number(), reason: z.string() }).strict(),
    /** Waiting-time service levels; DEFAULT_SERVICE_LEVELS when absent. */
    serviceLevels: ServiceLevelsSchema.optional(),
  })
  .strict()
  .superRefine((rs, ctx) => {
    const seen = new Set<string>();
    for (const r of rs.rules) {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules'], message: `duplicate rule id ${r.id}` });
      seen.add(r.id);
    }
  });

export type Rule = z.infer<typeof RuleSchema>;
export type RuleSet = z.infer<typeof RuleSetSchema>;

/** Parses a rule set document (JSON already decoded); throws with every problem listed. */
export function parseRuleSet(doc: unknown): RuleSet {
  const parsed = RuleSetSchema.safeParse(doc);
  if (!parsed.success) {
    throw new Error(`invalid rule set: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
