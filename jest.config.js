/** Unit tests sit beside the code; integration tests that need the real Elasticsearch live in test/integration. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testMatch: ['<rootDir>/{common,ingest,detector,cli,bench,test}/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  globalSetup: '<rootDir>/test/harness/global-setup.ts',
  globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
  testTimeout: 120000,
  // Integration tests share one Elasticsearch, and some stop it on purpose: one test file at a time.
  maxWorkers: 1,
};
