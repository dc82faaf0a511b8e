import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/errors.js';
import type { SettingsRepository } from '../store/settings.js';

/** Minimum length of a configured pepper or master key: 32 characters (e.g. `openssl rand -base64 32`). */
export const MIN_SECRET_LENGTH = 32;

export interface ServerSecrets {
  /** HMAC key for API key and client secret digests. */
  pepper: Buffer;
  /** AES-256-GCM key for private signing keys at rest (derived with HKDF from the configured value). */
  masterKey: Buffer;
  /** Where each came from, for `config check` (never the value). */
  sources: { pepper: string; masterKey: string };
}

/**
 * Reads a secret from configuration, or else from `<dataDir>/<file>`, generating that file (mode 0600) on first
 * use. Creation uses O_EXCL so two processes starting at once agree on one value.
 */
function resolveSecret(configured: string | undefined, envName: string, dataDir: string, file: string) {
  if (configured !== undefined) {
    if (configured.length < MIN_SECRET_LENGTH) {
      throw new ConfigError(`${envName} is too short: at least ${MIN_SECRET_LENGTH} characters are required`);
    }
    return { value: configured, source: 'configuration' };
  }
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

export function loadServerSecrets(secrets: { pepper?: string; master_key?: string }, dataDir: string): ServerSecrets {
  const pepper = resolveSecret(secrets.pepper, 'WARDEN_PEPPER (secrets.pepper)', dataDir, 'pepper');
  const master = resolveSecret(secrets.master_key, 'WARDEN_MASTER_KEY (secrets.master_key)', dataDir, 'master.key');
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
        'set WARDEN_PEPPER (or the data directory) to the original value',
    );
  }
}
