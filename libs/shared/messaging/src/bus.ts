import type { WireMessage } from '@triage/contracts';

/** A message as a consumer receives it, from Kafka or from the in-process bus. */
export interface InboundMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface DeliveryControl {
  /** Tells the broker the consumer is alive; call during long work (see withPacemaker). */
  heartbeat(): Promise<void>;
  /** Which delivery attempt this is (1 = first), when the handler runs under reliableHandler. */
  attempt?: number;
  /**
   * True on the last attempt reliableHandler makes before it dead-letters the message: a handler whose
   * failure would leave a patient's study stranded can fall back to a degraded but complete answer.
   */
  finalAttempt?: boolean;
}

/** Handles one message. Resolving means "handled": only then is the offset committed. */
export type MessageHandler = (msg: InboundMessage, control: DeliveryControl) => Promise<void>;

/**
 * Handles a run of consecutive messages of one topic-partition at once (kafkajs eachBatch). Resolving
 * means every message in it is handled: only then is the offset of the last one committed.
 */
export type BatchMessageHandler = (msgs: InboundMessage[], control: DeliveryControl) => Promise<void>;

export interface BatchOptions {
  handler: BatchMessageHandler;
  /** At most this many messages per call. */
  maxSize: number;
}

export interface Subscription {
  groupId: string;
  topics: string[];
  /** Handles one message; with `batch` set, the bus calls `batch.handler` instead. */
  handler: MessageHandler;
  /** Partitions handled concurrently (messages within a partition stay in order). */
  concurrency?: number;
  /** Optional: deliver runs of messages of one partition to a batch handler (see reliableBatchHandler). */
  batch?: BatchOptions;
}

/**
 * What the services talk over. Two implementations carry the same bytes and headers: Kafka for the
 * distributed mesh and an in-process bus for the embedded default.
 */
export interface EventBus {
  readonly kind: 'kafka' | 'in-process';
  connect(): Promise<void>;
  /** Resolves once the messages are durably accepted (Kafka: acks=all). */
  publish(topic: string, messages: WireMessage[]): Promise<void>;
  /** Starts consuming; resolves when the consumer has joined. */
  subscribe(subscription: Subscription): Promise<void>;
  disconnect(): Promise<void>;
  /** Throws when the bus cannot currently serve (used by readiness probes). */
  checkHealth(): Promise<void>;
}
