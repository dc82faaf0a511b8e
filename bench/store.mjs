// Test data for the benchmark: real keys through the engine, background keys straight into SQLite.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32 } from 'node:zlib';
import Database from 'better-sqlite3';
import { ROOT } from './harness.mjs';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random base62 ids of `length` chars (ids are the public lookup key; 12 chars like real keys). */
function randomIds(count, length) {
  const ids = new Array(count);
  const bytes = randomBytes(count * length);
  for (let i = 0; i < count; i++) {
    let id = '';
    // 62 * 4 = 248 < 256: the modulo bias is irrelevant for filler rows.
    for (let j = 0; j < length; j++) id += BASE62[bytes[i * length + j] % 62];
    ids[i] = id;
  }
  return ids;
}

/**
 * Creates `count` real API keys through the engine (the same code path as the CLI and the admin API) and
 * returns their plaintexts. The engine runs with background tasks off and is closed before the load starts.
 */
export async function createRealKeys(createWarden, config, count) {
  const warden = await createWarden({ config, background: false, migrate: false });
  try {
    const keys = [];
    for (let i = 0; i < count; i++) {
      const issued = await warden.keys.create(
        {
          subject: `bench-svc-${i}`,
          name: `bench key ${i}`,
          subjectType: 'service',
          tenant: i % 2 === 0 ? 'tenant-a' : 'tenant-b',
          roles: ['reader'],
          scopes: ['orders.read', 'orders.write'],
          metadata: { bench: true, n: i },
        },
        { actor: 'bench' },
      );
      keys.push(issued.key);
    }
    return keys;
  } finally {
    await warden.close();
  }
}

/**
 * Bulk-inserts `count` filler keys into `api_keys` (schema: packages/server/src/store/migrations.ts) in one
 * transaction with one prepared statement. Their digests are dummies, so no presented key ever verifies
 * against them; they only make the table (and its indexes) big. updated_at lies an hour in the past so the
 * cache-invalidation poller, which looks back a few seconds, does not see them as a bulk change.
 */
export function insertFillerKeys(dbPath, count) {
  const db = new Database(dbPath);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    const insert = db.prepare(
      `insert into api_keys (id, prefix, name, subject, subject_type, tenant, admin, roles, scopes, metadata,
         salt, secret_hash, created_at, created_by, expires_at, revoked_at, revoked_reason, last_used_at,
         rotated_from, rotated_to, updated_at)
       values (?, 'wdn', ?, ?, 'service', ?, 0, '["reader"]', '["orders.read"]', '{}', ?, ?, ?, 'bench', null,
         null, null, null, null, null, ?)`,
    );
    const past = Date.now() - 3_600_000;
    const salt = randomBytes(16).toString('hex');
    const hash = randomBytes(32).toString('hex');
    // Sorted ids append to the primary-key B-tree instead of splitting pages all over it: several times faster.
    const ids = randomIds(count, 12).sort();
    const run = db.transaction(() => {
      for (let k = 0; k < count; k++) {
        // No `or ignore`: a duplicate of a 71-bit random id would be a bug worth seeing.
        insert.run(ids[k], `filler ${k}`, `filler-${k % 10_000}`, `tenant-${k % 100}`, salt, hash, past, past);
      }
    });
    run();
    db.pragma('wal_checkpoint(TRUNCATE)');
    return db.prepare('select count(*) as n from api_keys').get().n;
  } finally {
    db.close();
  }
}

/**
 * Each key with its id kept and a wrong secret (a valid checksum, so it passes the format check): the most
 * expensive denial, proven in full (lookup, HMAC, failure audit within its budgets).
 */
export async function withWrongSecrets(keys) {
  const dist = (file) => pathToFileURL(join(ROOT, 'packages/server/dist', file)).href;
  const { encodeBase62Fixed, randomBase62 } = await import(dist('util/base62.js'));
  const { KEY_CHECKSUM_LENGTH } = await import(dist('issue/api-key-format.js'));
  return keys.map((key) => {
    const body = `${key.split('_').slice(0, 2).join('_')}_${randomBase62(22)}`;
    return body + encodeBase62Fixed(crc32(body), KEY_CHECKSUM_LENGTH);
  });
}
