import { z } from 'zod';

const Minutes = z.number().int().positive().max(60 * 24 * 31);

/**
 * Service levels: how long a study may wait at each priority before it is promoted. `promote` names the
 * priority an overdue study moves to; a priority without an entry is never promoted by waiting.
 */
export const ServiceLevelsSchema = z
  .object({
    minutes: z.object({ critical: Minutes, urgent: Minutes, routine: Minutes }).strict(),
    promote: z
      .object({ routine: z.enum(['urgent', 'critical']).optional(), urgent: z.literal('critical').optional() })
      .strict(),
  })
  .strict();

export type ServiceLevels = z.infer<typeof ServiceLevelsSchema>;

/**
 * Shipped service levels. Overdue routine studies become urgent; overdue urgent studies stay urgent, because
 * Critical starts the pager escalation chain and should mean "an AI finding or a rule says so", not "late".
 * A site that wants urgent → critical sets `promote.urgent: critical` in its rule set.
 */
export const DEFAULT_SERVICE_LEVELS: ServiceLevels = {
  minutes: { critical: 15, urgent: 60, routine: 24 * 60 },
  promote: { routine: 'urgent' },
};
