import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources directly; the packages' exports maps point here under this condition.
    conditions: ['warden-source'],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: run files in parallel, but not so many that timing-sensitive tests starve.
    maxWorkers: 2,
  },
});
