// Tier 1: unit tests (*.spec.ts beside the code). I/O is replaced at the repository boundary only.
module.exports = { ...require('./jest.preset.js'), displayName: 'unit', testMatch: ['**/*.spec.ts'] };
