// Creates every mesh topic and its dead-letter topic (idempotent), then prints what it did.
//   node -r @swc-node/register tools/kafka/provision-topics.ts [--dry-run]
// Env: KAFKA_BROKERS, KAFKA_SSL, KAFKA_SASL_* (as the services), KAFKA_REPLICATION_FACTOR (default 1; 3 in
// production), KAFKA_TOPIC_PARTITIONS (overrides the event topics' partition count).
import { loadConfig, type MeshConfig } from '@triage/config';
import { topicSpecs } from '@triage/contracts';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { formatTable, provisionTopics } from './topic-provisioner';

function positiveInt(name: string, raw: string | undefined, fallback?: number): number | undefined {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

/** kafkajs client settings from the validated mesh configuration (same TLS/SASL variables as the services). */
export function kafkaClientConfig(config: MeshConfig): KafkaConfig {
  const sasl =
    config.KAFKA_SASL_MECHANISM && config.KAFKA_SASL_USERNAME && config.KAFKA_SASL_PASSWORD
      ? ({ mechanism: config.KAFKA_SASL_MECHANISM, username: config.KAFKA_SASL_USERNAME, password: config.KAFKA_SASL_PASSWORD } as SASLOptions)
      : undefined;
  return {
    clientId: `${config.KAFKA_CLIENT_ID}-provisioner`,
    brokers: config.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean),
    ssl: config.KAFKA_SSL,
    sasl,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    // Bounded: a broker that is down fails the command in seconds instead of hanging a CI job.
    retry: { retries: 4, initialRetryTime: 300, maxRetryTime: 3_000 },
  };
}

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((a) => a !== '--dry-run');
  if (unknown.length > 0) throw new Error(`unknown argument(s): ${unknown.join(' ')} (usage: provision-topics.ts [--dry-run])`);
  const config = loadConfig();
  const replicationFactor = positiveInt('KAFKA_REPLICATION_FACTOR', process.env.KAFKA_REPLICATION_FACTOR, 1) ?? 1;
  const partitions = positiveInt('KAFKA_TOPIC_PARTITIONS', process.env.KAFKA_TOPIC_PARTITIONS);
  const clientConfig = kafkaClientConfig(config);

  const admin = new Kafka(clientConfig).admin();
  try {
    await admin.connect();
    const results = await provisionTopics(admin, topicSpecs(partitions ? { partitions } : {}), {
      replicationFactor,
      dryRun: argv.includes('--dry-run'),
    });
    console.log(`Kafka topics on ${clientConfig.brokers as string[]}:`);
    console.log(formatTable(results));
    return 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // The broker list is configuration, not a secret; SASL credentials are never part of the message.
    console.error(`provision-topics failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
