import { z } from 'zod';
import { configField, formatDuration } from '../config/fields.js';
import { WardenError } from '../errors/warden-error.js';
import { type Actor, PROGRAMMATIC_ACTOR } from '../keys/service.js';
import type { AuditAction, AuditRepository } from '../store/audit.js';
import { parseInput } from '../util/parse-input.js';
import {
  type CreateClientInput,
  createClientInput,
  type ListClientsInput,
  listClientsInput,
  type RotateClientSecretInput,
  rotateClientSecretInput,
} from './inputs.js';
import type { OAuthClientRecord, OAuthClientRepository } from './repository.js';
import { mintClientSecret, newClientId } from './secrets.js';
import { type OAuthClientView, toClientView } from './view.js';

export interface OAuthClientServiceOptions {
  repository: OAuthClientRepository;
  audit: AuditRepository;
  pepper: Buffer;
  /** The longest token lifetime a client may have: `signing_keys.retain_after_retire`, in ms. */
  maxTokenTtlMs: number;
  now: () => number;
}

/** The plaintext secret appears exactly once: in the answer of create or rotate-secret. */
export interface IssuedClientSecret {
  client_id: string;
  client_secret: string;
  client: OAuthClientView;
}

/** A private_key_jwt client has no secret, only its registered public keys. */
export interface IssuedKeyClient {
  client_id: string;
  client_secret: null;
  client: OAuthClientView;
}

/** What `create` answers for this input: a secret unless the client authenticates with its private key. */
export type IssuedClient<Input> = Input extends { authMethod: 'private_key_jwt' }
  ? IssuedKeyClient
  : Input extends { authMethod: 'client_secret_basic' | 'client_secret_post' }
    ? IssuedClientSecret
    : 'authMethod' extends keyof Input
      ? IssuedClientSecret | IssuedKeyClient
      : IssuedClientSecret;

/**
 * What is wrong with a client's token lifetime, or null: tokens may not outlive their signing key in the JWKS
 * (`maxTokenTtlMs` is `signing_keys.retain_after_retire`), or the signer would refuse every one of them.
 */
export function tokenTtlProblem(ttlMs: number, maxTokenTtlMs: number): string | null {
  if (ttlMs <= maxTokenTtlMs) return null;
  const setting = configField('signing_keys.retain_after_retire').path;
  return `must be at most ${formatDuration(maxTokenTtlMs)} (${setting}), or tokens would outlive their signing key`;
}

/** Arguments that are not request bodies, checked for plain JavaScript callers of the programmatic API. */
const actorArgument = z.strictObject({ actor: z.string().min(1), peer: z.string().nullable().optional() });
const clientIdArgument = z.string().min(1);

/**
 * OAuth 2.0 client (service account) management: create, list, show, rotate-secret, disable, enable, delete.
 * Every change is audited (never with a secret); every refusal is a {@link WardenError}. The token endpoint reads
 * clients from the store on every request, so a change is seen at once by every instance.
 */
export class OAuthClientService {
  constructor(private readonly options: OAuthClientServiceOptions) {}

  async create<Input extends CreateClientInput>(
    input: Input,
    by: Actor = PROGRAMMATIC_ACTOR,
  ): Promise<IssuedClient<Input>> {
    const fields = parseInput(createClientInput, input);
    const actor = parseInput(actorArgument, by, 'by');
    if (fields.tokenTtl !== undefined) this.checkTokenTtl(fields.tokenTtl);
    const now = this.options.now();
    const minted = fields.authMethod === 'private_key_jwt' ? null : mintClientSecret(this.options.pepper);
    const record: OAuthClientRecord = {
      id: newClientId(),
      name: fields.name,
      secret: minted?.stored ?? null,
      previousSecret: null,
      authMethod: fields.authMethod,
      jwks: fields.jwks ?? null,
      grantTypes: fields.grantTypes,
      scopes: fields.scopes,
      audiences: fields.audiences,
      tenant: fields.tenant ?? null,
      roles: fields.roles,
      admin: fields.admin,
      mayIntrospect: fields.introspect,
      tokenTtlMs: fields.tokenTtl ?? null,
      metadata: fields.metadata,
      createdAt: now,
      createdBy: actor.actor,
      disabledAt: null,
      updatedAt: now,
    };
    await this.options.repository.insert(record);
    await this.audited('oauth_client.create', record.id, actor, now, {
      name: record.name,
      grantTypes: record.grantTypes,
      scopes: record.scopes,
      audiences: record.audiences,
      admin: record.admin,
      introspect: record.mayIntrospect,
    });
    const issued = { client_id: record.id, client_secret: minted?.secret ?? null, client: toClientView(record, now) };
    return issued as IssuedClient<Input>;
  }

  async list(input: ListClientsInput = {}): Promise<OAuthClientView[]> {
    const filter = parseInput(listClientsInput, input);
    const now = this.options.now();
    return (await this.options.repository.list(filter)).map((record) => toClientView(record, now));
  }

  async show(id: string): Promise<OAuthClientView> {
    return toClientView(await this.require(parseInput(clientIdArgument, id, 'id')), this.options.now());
  }

  /**
   * A new secret. The replaced one keeps working for `overlap` (default: it stops at once), so the client can
   * roll the new one out without an outage; a secret replaced before, still in its window, stops at once.
   */
  async rotateSecret(
    id: string,
    input: RotateClientSecretInput = {},
    by: Actor = PROGRAMMATIC_ACTOR,
  ): Promise<IssuedClientSecret> {
    parseInput(clientIdArgument, id, 'id');
    const { overlap = 0 } = parseInput(rotateClientSecretInput, input);
    const actor = parseInput(actorArgument, by, 'by');
    const client = await this.require(id);
    if (client.secret === null) throw new WardenError('conflict', `client ${id} has no secret to rotate`);
    const now = this.options.now();
    const { secret, stored } = mintClientSecret(this.options.pepper);
    const previous = overlap > 0 ? { ...client.secret, expiresAt: now + overlap } : null;
    if (!(await this.options.repository.replaceSecret(id, client.secret, stored, previous, now))) {
      throw new WardenError('conflict', `client ${id} changed while its secret was rotated; try again`);
    }
    await this.audited('oauth_client.rotate_secret', id, actor, now, {
      overlapMs: overlap,
      previousSecretExpiresAt: previous?.expiresAt ?? null,
    });
    const rotated: OAuthClientRecord = { ...client, secret: stored, previousSecret: previous, updatedAt: now };
    return { client_id: id, client_secret: secret, client: toClientView(rotated, now) };
  }

  /** Refuses every token request of the client from now on; tokens it already has live until they expire. */
  async disable(id: string, by: Actor = PROGRAMMATIC_ACTOR): Promise<OAuthClientView> {
    return this.setDisabled(id, true, by);
  }

  async enable(id: string, by: Actor = PROGRAMMATIC_ACTOR): Promise<OAuthClientView> {
    return this.setDisabled(id, false, by);
  }

  /** Deletes the client; the answer is the client as it was. */
  async delete(id: string, by: Actor = PROGRAMMATIC_ACTOR): Promise<OAuthClientView> {
    parseInput(clientIdArgument, id, 'id');
    const actor = parseInput(actorArgument, by, 'by');
    const client = await this.require(id);
    const now = this.options.now();
    if (!(await this.options.repository.delete(id))) throw this.notFound(id);
    await this.audited('oauth_client.delete', id, actor, now, { name: client.name });
    return toClientView(client, now);
  }

  private async setDisabled(id: string, disable: boolean, by: Actor): Promise<OAuthClientView> {
    parseInput(clientIdArgument, id, 'id');
    const actor = parseInput(actorArgument, by, 'by');
    const now = this.options.now();
    const changed = await this.options.repository.setDisabled(id, disable ? now : null, now);
    const client = await this.require(id);
    if (!changed) throw new WardenError('conflict', `client ${id} is already ${disable ? 'disabled' : 'enabled'}`);
    await this.audited(disable ? 'oauth_client.disable' : 'oauth_client.enable', id, actor, now, null);
    return toClientView(client, now);
  }

  private checkTokenTtl(ttlMs: number): void {
    const problem = tokenTtlProblem(ttlMs, this.options.maxTokenTtlMs);
    if (problem !== null) throw new WardenError('invalid_request', `tokenTtl: ${problem}`);
  }

  private audited(
    action: AuditAction,
    id: string,
    by: Actor,
    at: number,
    details: Record<string, unknown> | null,
  ): Promise<void> {
    return this.options.audit.record({
      at,
      action,
      outcome: 'success',
      actor: by.actor,
      peer: by.peer ?? null,
      targetType: 'oauth_client',
      targetId: id,
      details,
    });
  }

  private async require(id: string): Promise<OAuthClientRecord> {
    const client = await this.options.repository.findById(id);
    if (!client) throw this.notFound(id);
    return client;
  }

  private notFound(id: string): WardenError {
    // Only something shaped like a client id is quoted back: a mistyped argument may be a pasted secret.
    const which = /^[0-9A-Za-z]{1,32}$/.test(id) ? `id ${JSON.stringify(id)}` : 'this id';
    return new WardenError('not_found', `no client with ${which}`);
  }
}
