import { parseRuleSet, type RuleSet } from './rule-set.schema';

/** The rule set shipped with the mesh. Sites replace it with their own versioned document. */
export const DEFAULT_RULE_SET: RuleSet = parseRuleSet({
  id: 'default',
  version: '2026.11.0',
  description: 'Reference triage rules: critical AI findings first, then STAT and emergency context.',
  rules: [
    {
      id: 'critical-ai-finding',
      when: { finding: { positive: true, critical: true, kind: 'finding' } },
      then: { priority: 'critical', score: 100 },
      reason: 'AI pre-read flags {label} (probability {probability}, threshold {threshold}, model {model})',
    },
    {
      id: 'positive-ai-finding',
      when: { finding: { positive: true, critical: false, kind: 'finding' } },
      then: { priority: 'urgent', score: 40 },
      reason: 'AI pre-read flags {label} (probability {probability}, threshold {threshold}, model {model})',
    },
    {
      id: 'stat-order',
      when: { context: { orderPriority: ['stat'] } },
      then: { priority: 'urgent', score: 60 },
      reason: 'Ordered STAT',
    },
    {
      id: 'emergency-patient',
      when: { context: { patientClass: ['emergency'] } },
      then: { priority: 'urgent', score: 50 },
      reason: 'Emergency department patient',
    },
  ],
  fallback: { priority: 'routine', score: 0, reason: 'No AI finding or order context raised the priority' },
});
