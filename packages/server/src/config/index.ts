export { ConfigError } from './errors.js';
export type { ConfigFlags, LoadedConfig } from './load.js';
export { formatConfigIssues, loadConfig, parseConfig } from './load.js';
export { REDACTED, redactConfig } from './redact.js';
export type { StaticKeyIdentity, WardenConfig, WardenConfigInput } from './schema.js';
export { configSchema } from './schema.js';
