import { ALL_EVENTS, deadLetterTopic } from './events';

/** Partitioning and retention the provisioning command applies; overridable per deployment. */
export interface TopicSpec {
  topic: string;
  partitions: number;
  retentionMs: number;
  deadLetter: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_PARTITIONS = 6;
export const DEFAULT_RETENTION_MS = 7 * DAY_MS;
/** Dead letters are kept longer: somebody has to look at them. */
export const DEFAULT_DLQ_RETENTION_MS = 30 * DAY_MS;

/** Every topic the mesh uses, event topics and their dead-letter topics. */
export function topicSpecs(overrides: Partial<Pick<TopicSpec, 'partitions'>> = {}): TopicSpec[] {
  return ALL_EVENTS.flatMap((e) => [
    { topic: e.topic, partitions: overrides.partitions ?? DEFAULT_PARTITIONS, retentionMs: DEFAULT_RETENTION_MS, deadLetter: false },
    { topic: deadLetterTopic(e.topic), partitions: 1, retentionMs: DEFAULT_DLQ_RETENTION_MS, deadLetter: true },
  ]);
}

/** Consumer group id of a service. One group per service: each service sees every event once. */
export function consumerGroupId(service: string, prefix = 'triage'): string {
  return `${prefix}.${service}`;
}
