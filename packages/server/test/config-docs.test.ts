import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOCS_COMMAND, CONFIG_DOCS_PATH, configurationMarkdown } from '../src/config/docs.js';
import { configFields } from '../src/config/fields.js';
import { REPO_ROOT } from './helpers/cli.js';

describe('docs/configuration.md', () => {
  it('is the text generated from the configuration schema', () => {
    const committed = readFileSync(join(REPO_ROOT, CONFIG_DOCS_PATH), 'utf8');
    expect(
      committed,
      `${CONFIG_DOCS_PATH} is out of date with packages/server/src/config/schema.ts: run \`${CONFIG_DOCS_COMMAND}\` and commit the result`,
    ).toBe(configurationMarkdown());
  });

  it('lists every key by its full path, with its environment variable and flag', () => {
    const text = configurationMarkdown();
    for (const field of configFields().filter((item) => !item.section)) {
      expect(text).toContain(`| \`${field.path}\` |`);
    }
    expect(text).toContain(
      '| `server.port` | integer, 0 to 65535 | `8080` | `WARDEN_PORT` | `--port` | Port to listen on. |',
    );
    expect(text).toContain('| `api_keys.cache.ttl` | duration | `5m` |');
    for (const name of ['WARDEN_CONFIG', 'WARDEN_API_KEY', 'WARDEN_PEPPER', 'WARDEN_MASTER_KEY']) {
      expect(text).toContain(`\`${name}\``);
    }
  });
});

describe('the metadata of the schema', () => {
  it('gives the environment variables the loader reads, each once', () => {
    const env = configFields()
      .filter((field) => field.env)
      .map((field) => [field.env, field.path]);
    expect(env).toEqual([
      ['WARDEN_DATA_DIR', 'data_dir'],
      ['WARDEN_HOST', 'server.host'],
      ['WARDEN_PORT', 'server.port'],
      ['WARDEN_WORKERS', 'server.workers'],
      ['WARDEN_ISSUER', 'issuer'],
      ['WARDEN_DATABASE_URL', 'database.url'],
      ['WARDEN_PEPPER', 'secrets.pepper'],
      ['WARDEN_MASTER_KEY', 'secrets.master_key'],
      ['WARDEN_LOG_LEVEL', 'log.level'],
      ['WARDEN_API_KEY_PREFIX', 'api_keys.prefix'],
    ]);
  });

  it('gives the flags, the secrets, and which values are whole numbers', () => {
    const fields = configFields();
    expect(fields.filter((field) => field.flag).map((field) => [field.flag, field.path])).toEqual([
      ['--data-dir', 'data_dir'],
      ['--host', 'server.host'],
      ['--port', 'server.port'],
      ['--workers', 'server.workers'],
      ['--database', 'database.url'],
      ['--log-level', 'log.level'],
    ]);
    expect(fields.filter((field) => field.secret).map((field) => field.path)).toEqual([
      'secrets.pepper',
      'secrets.master_key',
    ]);
    expect(fields.filter((field) => field.integer && field.env).map((field) => field.env)).toEqual([
      'WARDEN_PORT',
      'WARDEN_WORKERS',
    ]);
  });
});
