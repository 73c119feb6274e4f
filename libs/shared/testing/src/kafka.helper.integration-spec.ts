import { Kafka, logLevel } from 'kafkajs';
import { freePort } from './free-port.helper';
import { assertKafkaReachable, consumeAll, createTopics, deleteTopics, kafkaBrokers } from './kafka.helper';
import { uniqueSuffix } from './wait-for.helper';

const brokers = kafkaBrokers();
const topic = `test.testing-helpers.${uniqueSuffix()}`;

beforeAll(() => assertKafkaReachable(brokers));
afterAll(() => deleteTopics(brokers, [topic]));

describe('Kafka test helpers against the real broker', () => {
  it('reports an unreachable broker with the address and how to start it', async () => {
    const port = await freePort();
    await expect(assertKafkaReachable([`127.0.0.1:${port}`], 2_000)).rejects.toThrow(
      `Kafka is not reachable at 127.0.0.1:${port}; run the tests with \`npm test\`, which starts it`,
    );
  });

  it('creates a topic once, then reads back what was produced, in order per partition', async () => {
    await createTopics(brokers, [{ topic, partitions: 2, config: { 'retention.ms': '3600000' } }]);
    await createTopics(brokers, [topic]); // already there: nothing to do, no error

    const kafka = new Kafka({ clientId: 'testing-helpers', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(meta.topics[0].partitions).toHaveLength(2);

    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({
      topic,
      messages: ['a', 'b', 'c'].map((v) => ({ key: 'study-1', value: v, headers: { 'x-test': v } })),
    });
    await producer.disconnect();

    const messages = await consumeAll(brokers, topic, { expected: 3, timeoutMs: 30_000 });
    expect(messages.map((m) => m.value)).toEqual(['a', 'b', 'c']);
    expect(messages.map((m) => m.headers['x-test'])).toEqual(['a', 'b', 'c']);
    expect(new Set(messages.map((m) => m.key))).toEqual(new Set(['study-1']));
  });

  it('says how many messages arrived when fewer than expected do', async () => {
    await expect(consumeAll(brokers, topic, { expected: 4, timeoutMs: 8_000 })).rejects.toThrow(
      `received 3 of 4 messages on ${topic} within 8000 ms`,
    );
  });
});
