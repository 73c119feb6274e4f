import type { WireMessage } from '@triage/contracts';
import type { Logger } from '@triage/observability';
import type { EventBus, InboundMessage, Subscription } from './bus';

interface Partition {
  queue: InboundMessage[];
  draining: boolean;
}

interface GroupState {
  sub: Subscription;
  partitions: Map<string, Partition>;
}

/** Java's String.hashCode-style hash: the same key always lands on the same partition. */
function partitionOf(key: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(31, h) + key.charCodeAt(i)) | 0;
  return Math.abs(h) % partitions;
}

/**
 * The embedded default's transport: the same wire messages (bytes and headers) as Kafka, delivered
 * in-process to every subscribed consumer group, in order per key, with the same commit semantics
 * (a message is done when its handler resolves). Nothing survives a restart of the process.
 */
export class InProcessEventBus implements EventBus {
  readonly kind = 'in-process' as const;
  private readonly groups = new Map<string, GroupState>();
  private readonly offsets = new Map<string, number>();
  private readonly idle = new Set<() => void>();
  private open = false;

  constructor(
    private readonly logger: Logger,
    private readonly partitions = 6,
  ) {}

  async connect(): Promise<void> {
    this.open = true;
  }

  async publish(topic: string, messages: WireMessage[]): Promise<void> {
    if (!this.open) throw new Error('in-process bus is not connected');
    for (const m of messages) {
      const partition = partitionOf(m.key, this.partitions);
      const offsetKey = `${topic}/${partition}`;
      const offset = this.offsets.get(offsetKey) ?? 0;
      this.offsets.set(offsetKey, offset + 1);
      for (const group of this.groups.values()) {
        if (!group.sub.topics.includes(topic)) continue;
        const msg: InboundMessage = {
          topic,
          partition,
          offset: String(offset),
          key: m.key,
          value: Buffer.from(m.value),
          headers: { ...m.headers },
        };
        this.enqueue(group, offsetKey, msg);
      }
    }
  }

  private enqueue(group: GroupState, partitionKey: string, msg: InboundMessage): void {
    let p = group.partitions.get(partitionKey);
    if (!p) {
      p = { queue: [], draining: false };
      group.partitions.set(partitionKey, p);
    }
    p.queue.push(msg);
    if (!p.draining) void this.drain(group, p);
  }

  private async drain(group: GroupState, p: Partition): Promise<void> {
    p.draining = true;
    // Yield first so publish() returns before any handler runs, as with a broker.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const control = { heartbeat: async () => undefined };
    const batch = group.sub.batch;
    while (p.queue.length > 0 && this.open) {
      const msg = p.queue[0];
      try {
        if (batch) {
          // A run of what is queued, as Kafka's eachBatch hands over what one fetch returned.
          const run = p.queue.slice(0, Math.max(1, batch.maxSize));
          await batch.handler(run, control);
          p.queue.splice(0, run.length);
        } else {
          await group.sub.handler(msg, control);
          p.queue.shift();
        }
      } catch (err) {
        // The handler could not even dead-letter: keep the message and try again shortly, as Kafka would.
        this.logger.error({ topic: msg.topic, groupId: group.sub.groupId, reason: String(err) }, 'delivery failed; will retry');
        await new Promise<void>((resolve) => setTimeout(resolve, 1000));
      }
    }
    p.draining = false;
    if (this.isIdle()) for (const fn of [...this.idle]) fn();
  }

  async subscribe(sub: Subscription): Promise<void> {
    if (this.groups.has(sub.groupId)) throw new Error(`consumer group ${sub.groupId} already subscribed`);
    this.groups.set(sub.groupId, { sub, partitions: new Map() });
  }

  /** True when no message is queued or being handled. */
  isIdle(): boolean {
    for (const g of this.groups.values()) for (const p of g.partitions.values()) if (p.draining || p.queue.length) return false;
    return true;
  }

  /** Resolves when every queued message has been handled (tests, graceful shutdown). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => {
      const fn = () => {
        this.idle.delete(fn);
        resolve();
      };
      this.idle.add(fn);
    });
  }

  async disconnect(): Promise<void> {
    this.open = false;
    this.groups.clear();
  }

  async checkHealth(): Promise<void> {
    if (!this.open) throw new Error('in-process bus is not connected');
  }
}
