import type { WireMessage } from '@triage/contracts';
import type { Logger } from '@triage/observability';
import { Kafka, logLevel, type Admin, type Consumer, type IHeaders, type KafkaConfig, type LogEntry, type Producer, type SASLOptions } from 'kafkajs';
import type { EventBus, InboundMessage, Subscription } from './bus';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  ssl?: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  logger: Logger;
  /** Start a new consumer group at the earliest offset, so nothing published before it joined is missed. */
  fromBeginning?: boolean;
}

const MAX_BATCH_BYTES = 512 * 1024;

function toHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

/** Routes kafkajs's own logs into the service's JSON logger. */
function logCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      const fields = { kafkajs: true, broker: extra.broker, groupId: extra.groupId, error: extra.error };
      if (level === logLevel.ERROR) logger.error(fields, message);
      else if (level === logLevel.WARN) logger.warn(fields, message);
      else logger.debug(fields, message);
    };
}

/**
 * Kafka through kafkajs: an idempotent producer (acks=all) and one consumer per consumer group.
 * Offsets are resolved only after the handler resolves, and only resolved offsets are committed.
 */
export class KafkaEventBus implements EventBus {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly consumers: Consumer[] = [];
  private connected = false;
  private flushing = false;
  private readonly pending: Array<{ topic: string; messages: WireMessage[]; resolve: () => void; reject: (err: unknown) => void }> = [];
  private crashed: string | undefined;
  /** Consumer groups that have not yet joined for the first time (readiness waits for them). */
  private readonly notYetJoined = new Set<string>();
  private admin: Admin | undefined;

  constructor(private readonly opts: KafkaBusOptions) {
    const config: KafkaConfig = {
      clientId: opts.clientId,
      brokers: opts.brokers,
      ssl: opts.ssl,
      sasl: opts.sasl as SASLOptions | undefined,
      logLevel: logLevel.WARN,
      logCreator: logCreator(opts.logger),
      retry: { initialRetryTime: 200, retries: 8 },
    };
    this.kafka = new Kafka(config);
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  /** The kafkajs client, for admin work (topic provisioning, health). */
  get client(): Kafka {
    return this.kafka;
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  /**
   * Publishes are coalesced: everything published while a send is in flight goes out in the next
   * single produce request. The idempotent producer allows one request in flight, so without this a
   * busy service would pay one broker round trip per event. Order is kept (FIFO per bus).
   */
  publish(topic: string, messages: WireMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ topic, messages, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        // Bounded so one produce request stays well under the broker's message.max.bytes (1 MiB by default).
        let take = 0;
        let bytes = 0;
        while (take < this.pending.length && (take === 0 || bytes < MAX_BATCH_BYTES)) {
          for (const m of this.pending[take].messages) bytes += m.value.length + m.key.length + 64;
          take += 1;
        }
        const batch = this.pending.splice(0, take);
        const byTopic = new Map<string, Array<{ key: string; value: Buffer; headers: Record<string, string> }>>();
        for (const p of batch) {
          const list = byTopic.get(p.topic) ?? [];
          for (const m of p.messages) list.push({ key: m.key, value: m.value, headers: m.headers });
          byTopic.set(p.topic, list);
        }
        try {
          await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([t, msgs]) => ({ topic: t, messages: msgs })) });
          for (const p of batch) p.resolve();
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  async subscribe(sub: Subscription): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: sub.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      allowAutoTopicCreation: false,
    });
    this.notYetJoined.add(sub.groupId);
    consumer.on(consumer.events.GROUP_JOIN, () => this.notYetJoined.delete(sub.groupId));
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) this.crashed = `consumer ${sub.groupId} crashed`;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: sub.topics, fromBeginning: this.opts.fromBeginning ?? true });
    this.consumers.push(consumer);
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: 1000,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: sub.concurrency ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        const inbound = (m: (typeof batch.messages)[number]): InboundMessage => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? m.key.toString('utf8') : null,
          value: m.value,
          headers: toHeaders(m.headers),
        });
        const size = sub.batch ? Math.max(1, sub.batch.maxSize) : 1;
        for (let i = 0; i < batch.messages.length; i += size) {
          if (!isRunning() || isStale()) break;
          const run = batch.messages.slice(i, i + size);
          if (sub.batch) await sub.batch.handler(run.map(inbound), { heartbeat });
          else await sub.handler(inbound(run[0]), { heartbeat });
          resolveOffset(run[run.length - 1].offset);
          await commitOffsetsIfNecessary();
        }
        await commitOffsetsIfNecessary();
      },
    });
  }

  async disconnect(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
    await Promise.allSettled(this.consumers.map((c) => c.disconnect()));
    this.consumers.length = 0;
    if (this.connected) await this.producer.disconnect();
    this.connected = false;
  }

  async checkHealth(): Promise<void> {
    if (!this.connected) throw new Error('kafka producer not connected');
    if (this.crashed) throw new Error(this.crashed);
    if (this.notYetJoined.size > 0) throw new Error(`consumer group(s) not joined yet: ${[...this.notYetJoined].join(', ')}`);
    // One admin connection, kept: a probe every few seconds should not open a new connection each time.
    try {
      if (!this.admin) {
        this.admin = this.kafka.admin();
        await this.admin.connect();
      }
      await this.admin.describeCluster();
    } catch (err) {
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
      throw err;
    }
  }
}
