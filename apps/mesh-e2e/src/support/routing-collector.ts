import { decodeEnvelope, type Envelope, type EventDefinition } from '@triage/contracts';
import { uniqueSuffix } from '@triage/testing';
import { Kafka, logLevel, type Consumer } from 'kafkajs';

/** Collects, decoded and checked against their contracts, the events of some topics whose key is one of `keys`. */
export class TopicCollector {
  readonly events = new Map<string, Envelope<unknown>[]>();
  private consumer: Consumer | undefined;

  constructor(
    private readonly brokers: string[],
    private readonly defs: EventDefinition[],
    private readonly keys: Set<string>,
  ) {}

  async start(): Promise<void> {
    this.consumer = new Kafka({ brokers: this.brokers, clientId: `e2e-collector-${uniqueSuffix()}`, logLevel: logLevel.NOTHING }).consumer({ groupId: `e2e-collector-${uniqueSuffix()}` });
    await this.consumer.connect();
    for (const d of this.defs) await this.consumer.subscribe({ topic: d.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const key = message.key?.toString('utf8');
        const def = this.defs.find((d) => d.topic === topic);
        if (!def || !key || !this.keys.has(key)) return;
        this.events.set(def.type, [...(this.events.get(def.type) ?? []), decodeEnvelope(def, message.value)]);
      },
    });
  }

  of<T>(def: EventDefinition, key?: string): Envelope<T>[] {
    return ((this.events.get(def.type) ?? []) as Envelope<T>[]).filter((e) => key === undefined || e.subject === key);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
