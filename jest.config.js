/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  // Azurite (Table Storage) in memory on a free loopback port, once per run: see test/support/azurite.ts.
  globalSetup: '<rootDir>/test/support/azuriteGlobalSetup.ts',
  globalTeardown: '<rootDir>/test/support/azuriteGlobalTeardown.ts',
  testTimeout: 30000,
};
