import { consumerGroupId, ALL_EVENTS, type ServiceName } from '@triage/contracts';
import { Kafka, logLevel } from 'kafkajs';

/**
 * Commits, for fresh consumer groups, the current end of every topic they consume, so a test's services
 * start after what earlier runs left on the shared topics (and nothing published after now is missed).
 */
export async function fastForwardGroups(brokers: string[], groupPrefix: string, services: ServiceName[]): Promise<void> {
  const admin = new Kafka({ brokers, clientId: 'e2e-admin', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    for (const service of services) {
      const topics = ALL_EVENTS.filter((e) => e.consumers.includes(service)).map((e) => e.topic);
      for (const topic of topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        await admin.setOffsets({
          groupId: consumerGroupId(service, groupPrefix),
          topic,
          partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
        });
      }
    }
  } finally {
    await admin.disconnect();
  }
}
