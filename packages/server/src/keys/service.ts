import { z } from 'zod';
import type { ApiKeyAuthenticator } from '../authn/api-key.js';
import type { ApiKeyCache } from '../authn/api-key-cache.js';
import type { AuthResult } from '../authn/types.js';
import type { LastUsedWriter } from '../cluster/last-used-writer.js';
import { WardenError } from '../errors/warden-error.js';
import { generateApiKey } from '../issue/api-key-format.js';
import { hashApiKeySecret, newSalt } from '../issue/api-key-hash.js';
import type { ApiKeyRecord, ApiKeyRepository } from '../store/api-keys.js';
import type { AuditEvent, AuditRepository } from '../store/audit.js';
import { parseInput } from '../util/parse-input.js';
import {
  type CreateKeyInput,
  createKeyInput,
  type ListKeysInput,
  listKeysInput,
  revokeKeyInput,
  rotatedNames,
  rotateKeyInput,
} from './inputs.js';
import { type ApiKeyView, toApiKeyView } from './view.js';

export interface KeyServiceDeps {
  repository: ApiKeyRepository;
  audit: AuditRepository;
  cache: ApiKeyCache;
  authenticator: ApiKeyAuthenticator;
  lastUsed: LastUsedWriter;
  pepper: Buffer;
  prefix: string;
  defaultExpiresIn: number | undefined;
  now: () => number;
}

/**
 * Who asks for a change, as recorded in the audit log: a principal subject, `cli`, `bootstrap`, or
 * `programmatic`.
 */
export interface Actor {
  actor: string;
  peer?: string | null;
}

/** The actor of a change made by code that embeds the engine and does not say whom it acts for. */
export const PROGRAMMATIC_ACTOR: Actor = Object.freeze({ actor: 'programmatic' });

/**
 * The arguments that are not request bodies. The admin API and the CLI always pass well-typed ones; these
 * schemas are for plain JavaScript callers of the programmatic API, who get `invalid_request` instead of a
 * TypeError from deep inside (or a query with a number for an id).
 */
const actorArgument = z.strictObject({ actor: z.string().min(1), peer: z.string().nullable().optional() });
const keyIdArgument = z.string().min(1);
const presentedKeyArgument = z.string();

/** The plaintext key appears exactly once: in the result of create or rotate. */
export interface IssuedKey {
  key: string;
  record: ApiKeyView;
}

/**
 * API key management: create, list, show, revoke, rotate, verify. Every change is audited and evicts caches.
 * Every argument is validated at run time (the programmatic API is called from plain JavaScript too), and every
 * refusal is a {@link WardenError}: `invalid_request`, `not_found` or `conflict`.
 */
export class ApiKeyService {
  constructor(private readonly deps: KeyServiceDeps) {}

  async create(input: CreateKeyInput, by: Actor = PROGRAMMATIC_ACTOR): Promise<IssuedKey> {
    const fields = parseInput(createKeyInput, input);
    const actor = parseInput(actorArgument, by, 'by');
    const now = this.deps.now();
    if (fields.expiresIn !== undefined && fields.expiresAt !== undefined) {
      throw new WardenError('invalid_request', 'give either expiresIn or expiresAt, not both');
    }
    let expiresAt: number | null = null;
    if (fields.expiresAt !== undefined) expiresAt = Date.parse(fields.expiresAt);
    else if (fields.expiresIn !== undefined) expiresAt = now + fields.expiresIn;
    else if (this.deps.defaultExpiresIn !== undefined) expiresAt = now + this.deps.defaultExpiresIn;
    if (expiresAt !== null && expiresAt <= now)
      throw new WardenError('invalid_request', 'expiresAt must be in the future');

    const { key, stored } = this.mintKey();
    const record: ApiKeyRecord = {
      ...stored,
      name: fields.name ?? null,
      subject: fields.subject,
      subjectType: fields.subjectType,
      tenant: fields.tenant ?? null,
      admin: fields.admin,
      roles: fields.roles,
      scopes: fields.scopes,
      metadata: fields.metadata,
      createdAt: now,
      createdBy: actor.actor,
      expiresAt,
      revokedAt: null,
      revokedReason: null,
      lastUsedAt: null,
      rotatedFrom: null,
      rotatedTo: null,
    };
    await this.deps.repository.insert(record, now);
    this.deps.cache.evict(record.id);
    await this.auditKeyChange('api_key.create', record.id, actor, now, {
      details: { subject: record.subject, admin: record.admin, scopes: record.scopes, expiresAt },
    });
    return { key, record: toApiKeyView(record, now) };
  }

  async list(input: ListKeysInput = {}): Promise<ApiKeyView[]> {
    const filter = parseInput(listKeysInput, input);
    const now = this.deps.now();
    const records = await this.deps.repository.list({ ...filter, now });
    return records.map((record) => toApiKeyView(record, now, this.deps.lastUsed.pendingFor(record.id)));
  }

  async show(id: string): Promise<ApiKeyView> {
    const record = await this.require(parseInput(keyIdArgument, id, 'id'));
    return toApiKeyView(record, this.deps.now(), this.deps.lastUsed.pendingFor(id));
  }

  async revoke(
    id: string,
    input: { reason?: string | undefined } = {},
    by: Actor = PROGRAMMATIC_ACTOR,
  ): Promise<ApiKeyView> {
    parseInput(keyIdArgument, id, 'id');
    const { reason } = parseInput(revokeKeyInput, input);
    const actor = parseInput(actorArgument, by, 'by');
    const now = this.deps.now();
    const revoked = await this.deps.repository.revoke(id, now, reason ?? null);
    this.deps.cache.evict(id);
    const record = await this.require(id);
    if (!revoked) throw new WardenError('conflict', `API key ${id} is already revoked`);
    await this.auditKeyChange('api_key.revoke', id, actor, now, { reason: reason ?? null });
    return toApiKeyView(record, now);
  }

  /**
   * Issues a replacement with the same identity and scopes. The old key keeps working for `overlap` (default: it
   * stops at once), so callers can roll the new key out without an outage.
   */
  async rotate(
    id: string,
    input: { overlap?: string | undefined; expiresIn?: string | undefined } = {},
    by: Actor = PROGRAMMATIC_ACTOR,
  ): Promise<IssuedKey & { previous: ApiKeyView }> {
    parseInput(keyIdArgument, id, 'id');
    const { overlap, expiresIn } = parseInput(rotateKeyInput, input);
    const actor = parseInput(actorArgument, by, 'by');
    const overlapMs = typeof overlap === 'number' ? overlap : 0;
    const old = await this.require(id);
    const now = this.deps.now();
    if (old.revokedAt !== null) throw new WardenError('conflict', `API key ${id} is revoked and cannot be rotated`);
    if (old.rotatedTo !== null)
      throw new WardenError('conflict', `API key ${id} was already rotated to ${old.rotatedTo}`);
    if (old.expiresAt !== null && old.expiresAt <= now) throw new WardenError('conflict', `API key ${id} has expired`);
    const { subject, name, tenant, roles, scopes } = old;
    const names = rotatedNames.safeParse({ subject, name: name ?? undefined, tenant, roles, scopes });
    if (!names.success) {
      const fields = [...new Set(names.error.issues.map((issue) => String(issue.path[0])))].join(', ');
      throw new WardenError(
        'conflict',
        `API key ${id} was stored with names that break today's rules (${fields}); revoke it and create a new key`,
      );
    }

    const { key, stored } = this.mintKey();
    const lifetime = expiresIn ?? this.deps.defaultExpiresIn;
    const replacement: ApiKeyRecord = {
      ...old,
      ...stored,
      expiresAt: lifetime !== undefined ? now + lifetime : old.expiresAt,
      createdAt: now,
      createdBy: actor.actor,
      lastUsedAt: null,
      rotatedFrom: old.id,
      rotatedTo: null,
    };
    const oldExpiresAt = Math.min(old.expiresAt ?? Number.MAX_SAFE_INTEGER, now + overlapMs);
    const rotated = await this.deps.repository.rotate(old.id, replacement, oldExpiresAt, now);
    this.deps.cache.evict(old.id);
    if (!rotated) throw new WardenError('conflict', `API key ${id} changed while rotating; try again`);
    await this.auditKeyChange('api_key.rotate', old.id, actor, now, {
      details: { replacement: replacement.id, overlapMs, oldExpiresAt },
    });
    return {
      key,
      record: toApiKeyView(replacement, now),
      previous: toApiKeyView({ ...old, expiresAt: oldExpiresAt, rotatedTo: replacement.id }, now),
    };
  }

  /**
   * Verifies a presented key exactly as the decision endpoint does: an answer (`{ok: false, code}` for a bad
   * key) is a value; only an argument that is not a string is refused.
   */
  async verify(presented: string): Promise<AuthResult> {
    return this.deps.authenticator.verify(parseInput(presentedKeyArgument, presented, 'key'));
  }

  /** A new key: the plaintext (returned once) and what the store keeps of it (id, prefix, salt, digest). */
  private mintKey(): { key: string; stored: Pick<ApiKeyRecord, 'id' | 'prefix' | 'salt' | 'secretHash'> } {
    const { key, parsed } = generateApiKey(this.deps.prefix);
    const salt = newSalt();
    return {
      key,
      stored: {
        id: parsed.id,
        prefix: parsed.prefix,
        salt,
        secretHash: hashApiKeySecret(this.deps.pepper, salt, parsed.secret),
      },
    };
  }

  private auditKeyChange(
    action: 'api_key.create' | 'api_key.revoke' | 'api_key.rotate',
    id: string,
    by: Actor,
    at: number,
    extra: Pick<AuditEvent, 'reason' | 'details'>,
  ): Promise<void> {
    return this.deps.audit.record({
      at,
      action,
      outcome: 'success',
      actor: by.actor,
      peer: by.peer ?? null,
      targetType: 'api_key',
      targetId: id,
      ...extra,
    });
  }

  private async require(id: string): Promise<ApiKeyRecord> {
    const record = await this.deps.repository.findById(id);
    if (!record) {
      // Only something shaped like a key id is quoted back: a mistyped argument may be a pasted secret.
      const which = /^[0-9A-Za-z]{1,32}$/.test(id) ? `id ${JSON.stringify(id)}` : 'this id';
      throw new WardenError('not_found', `no API key with ${which}`);
    }
    return record;
  }
}
