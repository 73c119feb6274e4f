// Shared Jest settings for the three test tiers. TypeScript is compiled by SWC with legacy decorators
// and decorator metadata, which NestJS dependency injection needs.
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace(/[/\-]/g, (c) => `\\${c}`)}$`,
    `<rootDir>/${target}`,
  ]),
);

module.exports = {
  rootDir: __dirname,
  // Node's own typed arrays in the test realm: onnxruntime-node checks `instanceof Float32Array`.
  testEnvironment: '<rootDir>/jest.node-realm-environment.js',
  transform: {
    '^.+\\.ts$|/node_modules/(jose|fhir-kit-client)/.+\\.js$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  // jose (SMART Backend Services JWTs) and fhir-kit-client ship ES modules only: SWC compiles them to CommonJS for the tests.
  transformIgnorePatterns: ['/node_modules/(?!(jose|fhir-kit-client)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  // Anchored at the repo root: a checkout that itself lives under /tmp or /var must still find its tests.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/dist/', '<rootDir>/var/', '<rootDir>/tmp/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/var/'],
};
