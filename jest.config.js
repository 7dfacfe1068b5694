/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  // Azurite (Table Storage) in memory on a free loopback port, once per run: see test/support/azurite.ts.
  // The emulator traffic of the end-to-end and alerting tests is recorded (LOCKDOWN_TRAFFIC_DIR)
  // and validated against the specs after the run: see test/support/trafficCheck.ts.
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  testTimeout: 30000,
};
