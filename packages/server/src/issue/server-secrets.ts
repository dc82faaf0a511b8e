import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/errors.js';
import { configField } from '../config/fields.js';
import { parseConfig } from '../config/load.js';
import { MIN_SECRET_LENGTH } from '../config/schema.js';
import type { SettingsRepository } from '../store/settings.js';

/** Minimum length of a pepper or master key; the schema holds configured values to it (`secrets.pepper`). */
export { MIN_SECRET_LENGTH };

export interface ServerSecrets {
  /** HMAC key for API key and client secret digests. */
  pepper: Buffer;
  /** AES-256-GCM key for private signing keys at rest (derived with HKDF from the configured value). */
  masterKey: Buffer;
  /** Where each came from, for `config check` (never the value). */
  sources: { pepper: string; masterKey: string };
}

/**
 * A configured secret (already held to the schema by parseConfig), or else the one in `<dataDir>/<file>`,
 * generating that file (mode 0600) on first use. Creation uses O_EXCL so two processes starting at once agree on
 * one value.
 */
function resolveSecret(configured: string | undefined, dataDir: string, file: string) {
  if (configured !== undefined) return { value: configured, source: 'configuration' };
  const path = join(dataDir, file);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const value = readFileSync(path, 'utf8').trim();
  if (value.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`${path} is too short: at least ${MIN_SECRET_LENGTH} characters are required`);
  }
  return { value, source: path };
}

/**
 * The server secrets from `secrets` (a section of a parsed configuration) or the data directory. Configured values
 * are checked against the schema again, so a direct caller gets the same problems as `warden config check`.
 */
export function loadServerSecrets(secrets: { pepper?: string; master_key?: string }, dataDir: string): ServerSecrets {
  const configured = parseConfig({ secrets }).secrets;
  const pepper = resolveSecret(configured.pepper, dataDir, 'pepper');
  const master = resolveSecret(configured.master_key, dataDir, 'master.key');
  return {
    pepper: Buffer.from(pepper.value, 'utf8'),
    masterKey: Buffer.from(hkdfSync('sha256', master.value, 'warden', 'warden master key v1', 32)),
    sources: { pepper: pepper.source, masterKey: master.source },
  };
}

/**
 * Guards against a silent mismatch: a database first used with one pepper and later served with another would
 * reject every API key. The fingerprint reveals nothing about the pepper (HMAC of a fixed label).
 */
export async function checkPepperFingerprint(settings: SettingsRepository, pepper: Buffer): Promise<void> {
  const fingerprint = createHmac('sha256', pepper).update('warden pepper fingerprint v1').digest('hex').slice(0, 32);
  const stored = await settings.setIfAbsent('pepper_fingerprint', fingerprint);
  if (stored !== fingerprint) {
    throw new ConfigError(
      'the pepper differs from the one this database was first used with, so no stored API key would verify; ' +
        `set ${configField('secrets.pepper').env} (or the data directory) to the original value`,
    );
  }
}
