import { Kafka, logLevel, type Admin, type IHeaders } from 'kafkajs';
import { uniqueSuffix } from './wait-for.helper';

const DEFAULT_BROKERS = '127.0.0.1:9092';

/** Brokers the tests use: env KAFKA_BROKERS (comma-separated) or 127.0.0.1:9092. */
export function kafkaBrokers(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.KAFKA_BROKERS || DEFAULT_BROKERS)
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}

type Brokers = string | string[];
const toList = (brokers: Brokers): string[] => (Array.isArray(brokers) ? brokers : brokers.split(',').map((b) => b.trim()));

// Test clients stay quiet: a failing test reports its own error, kafkajs's retries are noise.
function client(brokers: Brokers, timeoutMs = 5_000, retries = 3): Kafka {
  return new Kafka({
    clientId: `triage-test-${uniqueSuffix()}`,
    brokers: toList(brokers),
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 3_000),
    requestTimeout: timeoutMs,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function withAdmin<T>(brokers: Brokers, timeoutMs: number, work: (admin: Admin) => Promise<T>, retries = 3): Promise<T> {
  const admin = client(brokers, timeoutMs, retries).admin();
  try {
    await admin.connect();
    return await work(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Throws a clear error when no broker answers (describeCluster, bounded by `timeoutMs`). */
export async function assertKafkaReachable(brokers: Brokers = kafkaBrokers(), timeoutMs = 5_000): Promise<void> {
  const list = toList(brokers).join(',');
  try {
    await withTimeout(withAdmin(brokers, timeoutMs, (admin) => admin.describeCluster(), 1), timeoutMs, 'describeCluster');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`Kafka is not reachable at ${list}; run the tests with \`npm test\`, which starts it (${why})`);
  }
}

export interface TestTopic {
  topic: string;
  partitions?: number;
  /** Topic configs, e.g. { 'retention.ms': '60000' }. */
  config?: Record<string, string>;
}

/** Creates the topics that do not exist yet (replication factor 1) and waits for their leaders. */
export async function createTopics(brokers: Brokers, topics: Array<string | TestTopic>, timeoutMs = 30_000): Promise<void> {
  const specs = topics.map((t) => (typeof t === 'string' ? { topic: t } : t));
  await withTimeout(
    withAdmin(brokers, timeoutMs, async (admin) => {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.topic));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        timeout: timeoutMs,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions ?? 1,
          replicationFactor: 1,
          configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }),
    timeoutMs,
    `creating topics ${specs.map((s) => s.topic).join(', ')}`,
  );
}

/** Deletes topics (missing ones are ignored): integration tests clean up what they created. */
export async function deleteTopics(brokers: Brokers, topics: string[], timeoutMs = 30_000): Promise<void> {
  await withTimeout(
    withAdmin(brokers, timeoutMs, async (admin) => {
      const existing = new Set(await admin.listTopics());
      const present = topics.filter((t) => existing.has(t));
      if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: timeoutMs });
    }),
    timeoutMs,
    `deleting topics ${topics.join(', ')}`,
  );
}

export interface ConsumedMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export interface ConsumeOptions {
  /** Read from the earliest offset (default true). */
  fromBeginning?: boolean;
  /** Upper bound on the whole call (default 15 s). */
  timeoutMs?: number;
  /** Return as soon as this many messages arrived; without it, collect until the timeout. */
  expected?: number;
  groupId?: string;
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

/**
 * Reads a topic with a throw-away consumer group. With `expected`, resolves once that many messages
 * arrived and throws (saying how many did arrive) if they do not within `timeoutMs`; without it,
 * returns whatever arrived within `timeoutMs`. Always disconnects.
 */
export async function consumeAll(brokers: Brokers, topic: string, opts: ConsumeOptions = {}): Promise<ConsumedMessage[]> {
  const { fromBeginning = true, timeoutMs = 15_000, expected } = opts;
  const consumer = client(brokers, timeoutMs).consumer({
    groupId: opts.groupId ?? `triage-test-${uniqueSuffix()}`,
    allowAutoTopicCreation: false,
  });
  const received: ConsumedMessage[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    const done = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        if (expected === undefined) resolve();
        else reject(new Error(`received ${received.length} of ${expected} messages on ${topic} within ${timeoutMs} ms`));
      }, timeoutMs);
      const run = async () => {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning });
        await consumer.run({
          eachMessage: async ({ partition, message }) => {
            received.push({
              partition,
              offset: message.offset,
              key: message.key?.toString('utf8') ?? null,
              value: message.value?.toString('utf8') ?? null,
              headers: headersOf(message.headers),
            });
            if (expected !== undefined && received.length >= expected) resolve();
          },
        });
      };
      run().catch(reject);
    });
    await done;
    return [...received];
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}
