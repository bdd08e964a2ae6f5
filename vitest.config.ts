import { defineConfig } from 'vitest/config';

// Two projects: unit tests are pure and fast; integration tests need the local stack
// (`spillway stack up`, which .ci/run starts) and run one file at a time so two suites
// never compete for the 2 cores and the brokers at once.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          globalSetup: ['test/integration/global-setup.ts'],
          // Components log JSON at info; in tests only warnings and errors help a reader.
          env: { SPW_LOG_LEVEL: process.env.SPW_LOG_LEVEL ?? 'warn' },
        },
      },
    ],
  },
});
