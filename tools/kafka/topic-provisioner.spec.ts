import type { TopicSpec } from '@triage/contracts';
import { formatTable, planTopics, topicConfig, type ExistingTopic } from './topic-provisioner';

const spec = (topic: string, partitions: number): TopicSpec => ({ topic, partitions, retentionMs: 86_400_000, deadLetter: false });

describe('planTopics', () => {
  it('creates what is missing, grows what has fewer partitions, leaves the rest alone', () => {
    const existing = new Map<string, ExistingTopic>([
      ['grow', { partitions: 2, replicationFactor: 1 }],
      ['same', { partitions: 6, replicationFactor: 1 }],
      ['bigger', { partitions: 12, replicationFactor: 1 }],
    ]);
    const plan = planTopics([spec('new', 6), spec('grow', 6), spec('same', 6), spec('bigger', 6)], existing);
    expect(plan.map((p) => [p.spec.topic, p.kind])).toEqual([
      ['new', 'create'],
      ['grow', 'add-partitions'],
      ['same', 'unchanged'],
      ['bigger', 'unchanged'],
    ]);
  });
});

describe('topicConfig', () => {
  it('sets retention and keeps one replica of slack for acks=all producers', () => {
    expect(topicConfig(spec('t', 1), 1)).toEqual({ 'retention.ms': '86400000', 'min.insync.replicas': '1' });
    expect(topicConfig(spec('t', 1), 3)).toEqual({ 'retention.ms': '86400000', 'min.insync.replicas': '2' });
  });
});

describe('formatTable', () => {
  it('prints one aligned row per topic with a readable retention', () => {
    const table = formatTable([
      { topic: 'triage.a.v1', partitions: 6, replicationFactor: 1, retentionMs: '604800000', action: 'created' },
      { topic: 'triage.a.v1.dlq', partitions: 1, replicationFactor: 1, retentionMs: '5400000', action: 'exists' },
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^TOPIC\s+PARTITIONS\s+RF\s+RETENTION\s+ACTION$/);
    expect(lines[2]).toMatch(/^triage\.a\.v1\s+6\s+1\s+7d\s+created$/);
    expect(lines[3]).toMatch(/^triage\.a\.v1\.dlq\s+1\s+1\s+5400000ms\s+exists$/);
    expect(lines[2].indexOf('created')).toBe(lines[3].indexOf('exists'));
  });
});
