import { createRequire } from 'node:module';

/**
 * The version of the `warden` package, read from its package.json, which is one folder up from both
 * `src/version.ts` and `dist/version.js`: one place for `warden --version` and the OpenAPI document.
 */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
