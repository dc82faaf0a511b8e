import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests run the TypeScript sources directly: the packages' exports maps point at src/ under this condition.
  // Workspace packages live in node_modules (symlinks), which vitest leaves to Node's resolver unless they are
  // inlined, so both settings are needed for `@warden/sdk` and `warden` to resolve to sources, not to dist/.
  resolve: { conditions: ['warden-source'] },
  ssr: { resolve: { conditions: ['warden-source'], externalConditions: ['warden-source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    server: { deps: { inline: [/@warden\//, /packages\/(sdk|server)\//] } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: run files in parallel, but not so many that timing-sensitive tests starve.
    maxWorkers: 2,
  },
});
