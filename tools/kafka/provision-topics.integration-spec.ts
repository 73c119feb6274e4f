import { topicSpecs, type TopicSpec } from '@triage/contracts';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { provisionTopics } from './topic-provisioner';

const ROOT = resolve(__dirname, '../..');
const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['-r', '@swc-node/register', 'tools/kafka/provision-topics.ts'],
      { cwd: ROOT, env: { ...process.env, KAFKA_BROKERS: brokers.join(','), ...env }, timeout: 90_000 },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function describeTopics(admin: Admin, topics: string[]): Promise<Map<string, { partitions: number; retentionMs?: string }>> {
  const meta = await admin.fetchTopicMetadata({ topics });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms'] })),
  });
  const retention = new Map(configs.resources.map((r) => [r.resourceName, r.configEntries[0]?.configValue]));
  return new Map(meta.topics.map((t) => [t.name, { partitions: t.partitions.length, retentionMs: retention.get(t.name) }]));
}

function closedPort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer().listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
    s.once('error', fail);
  });
}

const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const scratch = `test.provision.${suffix}`;
const admin = new Kafka({ clientId: 'provision-topics-spec', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3_000 }).admin();

beforeAll(async () => {
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    throw new Error(`Kafka is not reachable at ${brokers.join(',')}; run the tests with \`npm test\`, which starts it (${String(err)})`);
  }
});

afterAll(async () => {
  const existing = await admin.listTopics();
  if (existing.includes(scratch)) await admin.deleteTopics({ topics: [scratch] });
  await admin.disconnect();
});

describe('provision-topics against the real broker', () => {
  it('creates every event topic and dead-letter topic with its partitions and retention; a second run changes nothing', async () => {
    const specs = topicSpecs();
    const first = await runCli();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);

    const topics = specs.map((s) => s.topic);
    const after = await describeTopics(admin, topics);
    for (const s of specs) {
      expect({ topic: s.topic, ...after.get(s.topic) }).toEqual({
        topic: s.topic,
        partitions: s.partitions,
        retentionMs: String(s.retentionMs),
      });
    }
    expect(specs.filter((s) => s.deadLetter)).toHaveLength(specs.length / 2);

    const second = await runCli();
    expect(second.code).toBe(0);
    const rows = second.stdout.split('\n').filter((l) => topics.some((t) => l.startsWith(`${t} `)));
    expect(rows).toHaveLength(specs.length);
    for (const row of rows) expect(row).toMatch(/\sexists$/);
    expect(await describeTopics(admin, topics)).toEqual(after);
  });

  it('adds partitions when the spec asks for more, never removes any, and leaves retention alone', async () => {
    const spec = (partitions: number, retentionMs = 3_600_000): TopicSpec => ({ topic: scratch, partitions, retentionMs, deadLetter: false });

    const created = await provisionTopics(admin, [spec(2)], { replicationFactor: 1 });
    expect(created[0].action).toBe('created');
    expect((await describeTopics(admin, [scratch])).get(scratch)).toEqual({ partitions: 2, retentionMs: '3600000' });

    const grown = await provisionTopics(admin, [spec(4)], { replicationFactor: 1 });
    expect(grown[0].action).toBe('partitions 2 -> 4');
    expect((await describeTopics(admin, [scratch])).get(scratch)?.partitions).toBe(4);

    const kept = await provisionTopics(admin, [spec(3, 7_200_000)], { replicationFactor: 1 });
    expect(kept[0].action).toBe('exists (spec asks 3 partitions; Kafka cannot shrink; retention.ms differs from spec 7200000, left alone)');
    expect((await describeTopics(admin, [scratch])).get(scratch)).toEqual({ partitions: 4, retentionMs: '3600000' });
  });

  it('exits non-zero with a message when no broker answers', async () => {
    const port = await closedPort();
    const result = await runCli({ KAFKA_BROKERS: `127.0.0.1:${port}` });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('provision-topics failed:');
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
  });

  it('fails, creating nothing, when the replication factor exceeds the brokers', async () => {
    const topic = `${scratch}.rf`;
    await expect(
      provisionTopics(admin, [{ topic, partitions: 1, retentionMs: 3_600_000, deadLetter: false }], { replicationFactor: 3 }),
    ).rejects.toThrow(`creating topics failed: ${topic}: Replication-factor is invalid`);
    expect(await admin.listTopics()).not.toContain(topic);
  });
});
