import { consumerGroupId, ALL_EVENTS, type ServiceName } from '@triage/contracts';
import { Kafka, logLevel } from 'kafkajs';

/**
 * Commits, for fresh consumer groups, the current end of every topic they consume, so a test's services
 * start after what earlier runs left on the shared topics (and nothing published after now is missed).
 *
 * One short-lived member per group joins with all of the group's topics, commits their ends and leaves;
 * the groups go in parallel. (kafkajs's admin.setOffsets runs a consumer per topic until its first fetch,
 * which on an idle topic waits the whole 5 s fetch wait: about 85 s for the mesh's 17 group-topic pairs.)
 */
export async function fastForwardGroups(brokers: string[], groupPrefix: string, services: ServiceName[]): Promise<void> {
  const kafka = new Kafka({ brokers, clientId: 'e2e-admin', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await Promise.all(
      services.map(async (service) => {
        const topics = ALL_EVENTS.filter((e) => e.consumers.includes(service)).map((e) => e.topic);
        if (topics.length === 0) return;
        const ends = await Promise.all(topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) })));
        const consumer = kafka.consumer({ groupId: consumerGroupId(service, groupPrefix), maxWaitTimeInMs: 100 });
        await consumer.connect();
        try {
          const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
          await consumer.subscribe({ topics, fromBeginning: false });
          // Nothing is handled or committed by this member but the ends below.
          await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
          await joined;
          await consumer.commitOffsets(ends.flatMap((e) => e.partitions.map((p) => ({ topic: e.topic, partition: p.partition, offset: p.high }))));
        } finally {
          await consumer.disconnect();
        }
      }),
    );
  } finally {
    await admin.disconnect();
  }
}
