import { readFileSync } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import { derivedEventId, EVENTS, type Envelope, type InferenceCompleted } from '@triage/contracts';
import { EventPublisher, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { decidePriority, DEFAULT_RULE_SET, parseRuleSet, type RuleSet } from '@triage/routing-domain';

/** Loads the rule set named by ROUTING_RULES_FILE, or the shipped default. */
export function loadRuleSet(path = process.env.ROUTING_RULES_FILE): RuleSet {
  if (!path) return DEFAULT_RULE_SET;
  return parseRuleSet(JSON.parse(readFileSync(path, 'utf8')));
}

/** Turns a study's inference results into a priority decision and publishes it. */
@Injectable()
export class RoutingService {
  private readonly logger: Logger;
  private readonly ruleSet = loadRuleSet();

  constructor(
    private readonly publisher: EventPublisher,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ component: 'routing' });
  }

  async onInferenceCompleted(env: Envelope<InferenceCompleted>): Promise<void> {
    const { study, runs } = env.payload;
    const now = new Date();
    const decision = decidePriority(this.ruleSet, study, runs, now);
    await this.publisher.publish(
      EVENTS.priorityDecided,
      { study, runs, ...decision, decidedAt: now.toISOString() },
      {
        source: 'routing',
        subject: study.studyInstanceUid,
        traceId: env.traceId,
        eventId: derivedEventId(env.eventId, EVENTS.priorityDecided.type),
      },
    );
    this.logger.info({ priority: decision.priority, score: decision.score, rules: decision.reasons.map((r) => r.ruleId), ruleSetVersion: decision.ruleSetVersion }, 'priority decided');
  }
}
