// Writes docs/configuration.md from the configuration schema (packages/server/src/config/schema.ts).
// Run `npm run docs:config`, which builds first: this imports the compiled schema from packages/server/dist.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_DOCS_PATH, configurationMarkdown } from '../packages/server/dist/config/docs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, CONFIG_DOCS_PATH);
writeFileSync(target, configurationMarkdown());
process.stdout.write(`wrote ${CONFIG_DOCS_PATH}\n`);
