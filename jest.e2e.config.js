// Tier 3: end-to-end tests that drive the running mesh (embedded and distributed) like a user would.
module.exports = {
  ...require('./jest.preset.js'),
  displayName: 'e2e',
  testMatch: ['**/*.e2e-spec.ts'],
  maxWorkers: 1,
  testTimeout: 300000,
};
