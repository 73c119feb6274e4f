import type { TopicSpec } from '@triage/contracts';
import { ConfigResourceTypes, type Admin } from 'kafkajs';

/** A topic as the broker has it. */
export interface ExistingTopic {
  partitions: number;
  replicationFactor: number;
  /** retention.ms as the broker reports it, when known. */
  retentionMs?: string;
}

export type TopicPlan =
  | { kind: 'create'; spec: TopicSpec }
  | { kind: 'add-partitions'; spec: TopicSpec; current: ExistingTopic }
  | { kind: 'unchanged'; spec: TopicSpec; current: ExistingTopic };

export interface ProvisionOptions {
  replicationFactor: number;
  /** Apply nothing, only report what would be done. */
  dryRun?: boolean;
  /** Per admin request (default 30 s). */
  timeoutMs?: number;
}

export interface ProvisionResult {
  topic: string;
  partitions: number;
  replicationFactor: number;
  retentionMs: string;
  action: string;
}

/** Decides per topic: create it, add partitions (never fewer: Kafka cannot shrink), or leave it alone. */
export function planTopics(specs: TopicSpec[], existing: ReadonlyMap<string, ExistingTopic>): TopicPlan[] {
  return specs.map((spec) => {
    const current = existing.get(spec.topic);
    if (!current) return { kind: 'create', spec };
    if (current.partitions < spec.partitions) return { kind: 'add-partitions', spec, current };
    return { kind: 'unchanged', spec, current };
  });
}

/** Topic configs for a new topic. acks=all producers need min.insync.replicas below the replica count to survive one broker. */
export function topicConfig(spec: TopicSpec, replicationFactor: number): Record<string, string> {
  return {
    'retention.ms': String(spec.retentionMs),
    'min.insync.replicas': String(replicationFactor >= 3 ? 2 : 1),
  };
}

async function describeExisting(admin: Admin, topics: string[]): Promise<Map<string, ExistingTopic>> {
  const out = new Map<string, ExistingTopic>();
  if (topics.length === 0) return out;
  const meta = await admin.fetchTopicMetadata({ topics });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms'] })),
  });
  const retention = new Map(
    configs.resources.map((r) => [r.resourceName, r.configEntries.find((e) => e.configName === 'retention.ms')?.configValue]),
  );
  for (const t of meta.topics) {
    out.set(t.name, {
      partitions: t.partitions.length,
      replicationFactor: t.partitions[0]?.replicas.length ?? 0,
      retentionMs: retention.get(t.name),
    });
  }
  return out;
}

/** kafkajs reports per-topic failures as an aggregate ("Topic creation errors"); name each topic and reason. */
async function explained<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const parts = (err as { errors?: unknown }).errors;
    if (!Array.isArray(parts) || parts.length === 0) throw err;
    const details = parts.map((e: { topic?: string; message?: string }) => `${e.topic ?? '?'}: ${e.message ?? String(e)}`);
    throw new Error(`${what} failed: ${details.join('; ')}`, { cause: err });
  }
}

/**
 * Creates missing topics with their partitions, replication factor and retention; adds partitions where the
 * spec asks for more; leaves everything else alone (a differing retention is reported, not changed).
 */
export async function provisionTopics(admin: Admin, specs: TopicSpec[], opts: ProvisionOptions): Promise<ProvisionResult[]> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const names = new Set(await admin.listTopics());
  const existing = await describeExisting(admin, specs.map((s) => s.topic).filter((t) => names.has(t)));
  const plan = planTopics(specs, existing);
  const dry = opts.dryRun ? ' (dry run)' : '';

  const toCreate = plan.filter((p) => p.kind === 'create');
  if (toCreate.length > 0 && !opts.dryRun) {
    await explained('creating topics', () => admin.createTopics({
      waitForLeaders: true,
      timeout: timeoutMs,
      topics: toCreate.map(({ spec }) => ({
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor: opts.replicationFactor,
        configEntries: Object.entries(topicConfig(spec, opts.replicationFactor)).map(([name, value]) => ({ name, value })),
      })),
    }));
  }
  const toGrow = plan.filter((p) => p.kind === 'add-partitions');
  if (toGrow.length > 0 && !opts.dryRun) {
    await explained('adding partitions', () =>
      admin.createPartitions({
        timeout: timeoutMs,
        validateOnly: false,
        topicPartitions: toGrow.map(({ spec }) => ({ topic: spec.topic, count: spec.partitions })),
      }),
    );
  }

  return plan.map((p): ProvisionResult => {
    switch (p.kind) {
      case 'create':
        return {
          topic: p.spec.topic,
          partitions: p.spec.partitions,
          replicationFactor: opts.replicationFactor,
          retentionMs: String(p.spec.retentionMs),
          action: `created${dry}`,
        };
      case 'add-partitions':
        return {
          topic: p.spec.topic,
          partitions: p.spec.partitions,
          replicationFactor: p.current.replicationFactor,
          retentionMs: p.current.retentionMs ?? '?',
          action: `partitions ${p.current.partitions} -> ${p.spec.partitions}${dry}`,
        };
      case 'unchanged': {
        const notes: string[] = [];
        if (p.current.partitions > p.spec.partitions) notes.push(`spec asks ${p.spec.partitions} partitions; Kafka cannot shrink`);
        if (p.current.retentionMs !== undefined && p.current.retentionMs !== String(p.spec.retentionMs)) {
          notes.push(`retention.ms differs from spec ${p.spec.retentionMs}, left alone`);
        }
        return {
          topic: p.spec.topic,
          partitions: p.current.partitions,
          replicationFactor: p.current.replicationFactor,
          retentionMs: p.current.retentionMs ?? '?',
          action: notes.length > 0 ? `exists (${notes.join('; ')})` : 'exists',
        };
      }
    }
  });
}

function humanMs(ms: string): string {
  const n = Number(ms);
  if (!Number.isFinite(n) || n <= 0) return ms;
  const day = 86_400_000;
  const hour = 3_600_000;
  if (n % day === 0) return `${n / day}d`;
  if (n % hour === 0) return `${n / hour}h`;
  return `${n}ms`;
}

/** A plain-text table of what was done, one row per topic. */
export function formatTable(results: ProvisionResult[]): string {
  const header = ['TOPIC', 'PARTITIONS', 'RF', 'RETENTION', 'ACTION'];
  const rows = results.map((r) => [r.topic, String(r.partitions), String(r.replicationFactor), humanMs(r.retentionMs), r.action]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
