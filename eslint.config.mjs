// Lint: Nx module boundaries with real constraints, type-aware rules for floating promises and
// exhaustive switches. Domain libraries may not import frameworks, brokers, databases or HTTP clients.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const IO_PACKAGES = [
  '@nestjs/*',
  'kafkajs',
  '@prisma/*',
  'prisma',
  'pg',
  '@electric-sql/*',
  'pglite-prisma-adapter',
  'onnxruntime-node',
  'fhir-kit-client',
  'dicomweb-client',
  'express',
  'axios',
  'node-fetch',
  'undici',
];

const BOUNDARIES = {
  enforceBuildableLibDependency: false,
  allow: [],
  banTransitiveDependencies: false,
  depConstraints: [
    // Type layers
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:domain', 'type:contracts', 'type:util'] },
    { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:testing', 'type:contracts', 'type:util', 'type:domain'] },
    { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:domain', 'type:contracts', 'type:util'] },
    { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:util'] },
    { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:util'], bannedExternalImports: IO_PACKAGES },
    { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [], bannedExternalImports: IO_PACKAGES },
    { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contracts'] },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:util', 'type:contracts', 'type:domain', 'type:data-access'] },
    // Scopes: a service's code uses its own libraries and the shared ones; only the embedded
    // runner (scope:mesh) composes several services.
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
    { sourceTag: 'scope:ingest', onlyDependOnLibsWithTags: ['scope:ingest', 'scope:shared'] },
    { sourceTag: 'scope:inference', onlyDependOnLibsWithTags: ['scope:inference', 'scope:shared'] },
    { sourceTag: 'scope:routing', onlyDependOnLibsWithTags: ['scope:routing', 'scope:shared'] },
    { sourceTag: 'scope:reporting', onlyDependOnLibsWithTags: ['scope:reporting', 'scope:shared'] },
    { sourceTag: 'scope:audit', onlyDependOnLibsWithTags: ['scope:audit', 'scope:shared'] },
    { sourceTag: 'scope:mesh', onlyDependOnLibsWithTags: ['scope:ingest', 'scope:inference', 'scope:routing', 'scope:reporting', 'scope:audit', 'scope:shared', 'scope:mesh'] },
  ],
};

/** Tests may also use the testing helpers (type:testing); production code may not. */
function boundaryRule(allowTesting) {
  if (!allowTesting) return ['error', BOUNDARIES];
  return [
    'error',
    {
      ...BOUNDARIES,
      depConstraints: BOUNDARIES.depConstraints.map((c) =>
        c.sourceTag.startsWith('type:') ? { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:testing'] } : c,
      ),
    },
  ];
}

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/var/**', '**/tmp/**', '**/generated/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': boundaryRule(false),
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.integration-spec.ts', '**/*.e2e-spec.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@nx/enforce-module-boundaries': boundaryRule(true) },
  },
];
