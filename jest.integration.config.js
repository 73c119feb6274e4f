// Tier 2: integration tests against the real Kafka broker and PostgreSQL that tools/test/services.sh starts.
module.exports = {
  ...require('./jest.preset.js'),
  displayName: 'integration',
  testMatch: ['**/*.integration-spec.ts'],
  maxWorkers: 1,
  testTimeout: 120000,
};
