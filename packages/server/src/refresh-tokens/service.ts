import type { OAuthClientRecord } from '../clients/repository.js';
import { WardenError } from '../errors/warden-error.js';
import { hashApiKeySecret, newSalt, verifyApiKeySecret } from '../issue/api-key-hash.js';
import type { AuditRepository } from '../store/audit.js';
import { randomBase62 } from '../util/base62.js';
import { mintRefreshToken, parseRefreshToken } from './format.js';
import type { RefreshTokenRecord, RefreshTokenRepository } from './repository.js';

/** Where the access tokens of a revoked family go: the jti deny-list. */
export interface AccessTokenRevoker {
  revoke(entries: readonly { jti: string; expiresAt: number }[]): Promise<void>;
}

export interface RefreshTokenServiceOptions {
  repository: RefreshTokenRepository;
  audit: AuditRepository;
  revoker: AccessTokenRevoker;
  pepper: Buffer;
  /** Absolute lifetime of a family (`tokens.refresh_token_ttl`), ms. */
  familyTtlMs: number;
  /** Idle lifetime of each token (`tokens.refresh_token_idle_ttl`), ms. */
  idleTtlMs: number;
  now: () => number;
}

/** What a new refresh token is issued for: the grant it continues, and the access token issued beside it. */
export interface RefreshTokenGrantState {
  client: OAuthClientRecord;
  subject: string;
  scopes: readonly string[];
  audience: string;
  access: { jti: string; expiresAt: number };
  /** The family it joins by rotation; absent: a new grant starts a new family. */
  family?: { id: string; expiresAt: number };
}

/**
 * Refresh tokens (RFC 6749 section 6, RFC 9700 section 4.14): opaque, stored as HMAC-SHA256 digests, rotated on
 * every use. A token already exchanged that comes back is a replay: the whole family (every token descending
 * from the same grant) is revoked, with the access tokens issued from it, and the event audited. A family ends
 * at its absolute lifetime however often it rotates; each token also expires when unused for the idle lifetime.
 */
export class RefreshTokenService {
  /** What a presented secret is compared with when no row matches its id: the same work either way. */
  private readonly unmatchable: { hash: string; salt: string };

  constructor(private readonly options: RefreshTokenServiceOptions) {
    const salt = newSalt();
    this.unmatchable = { salt, hash: hashApiKeySecret(options.pepper, salt, randomBase62(43)) };
  }

  /** A new refresh token for this grant state; the plaintext is returned once. */
  async issue(state: RefreshTokenGrantState): Promise<string> {
    const now = this.options.now();
    const minted = mintRefreshToken();
    const familyExpiresAt = state.family?.expiresAt ?? now + this.options.familyTtlMs;
    const salt = newSalt();
    await this.options.repository.insert({
      id: minted.id,
      familyId: state.family?.id ?? randomBase62(16),
      clientId: state.client.id,
      subject: state.subject,
      secret: { salt, hash: hashApiKeySecret(this.options.pepper, salt, minted.secret) },
      scopes: [...state.scopes],
      audience: state.audience,
      accessJti: state.access.jti,
      accessExpiresAt: state.access.expiresAt,
      createdAt: now,
      expiresAt: Math.min(now + this.options.idleTtlMs, familyExpiresAt),
      familyExpiresAt,
      rotatedAt: null,
      revokedAt: null,
      revokedReason: null,
    });
    // A replay of the token this one replaces may have revoked the family while this one was being issued: that
    // revocation missed the new row, so do it again, now that the row is there, and refuse.
    if (state.family !== undefined && (await this.options.repository.familyRevoked(state.family.id))) {
      const accessTokens = await this.options.repository.revokeFamily(state.family.id, 'reuse', now);
      await this.options.revoker.revoke(accessTokens);
      throw new WardenError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
    }
    return minted.token;
  }

  /**
   * The refresh grant's check of a presented token, for the authenticated `client`: the record, now marked as
   * exchanged, or `invalid_grant`. Replay of an exchanged token revokes the family before it refuses. `check`
   * sees the record before it is spent and may refuse the request (a scope beyond the grant): the token then
   * stays usable.
   */
  async redeem<T>(
    presented: string,
    client: OAuthClientRecord,
    peer: string | null,
    check: (record: RefreshTokenRecord) => T,
  ): Promise<{ record: RefreshTokenRecord; checked: T }> {
    const record = await this.find(presented);
    const refused = new WardenError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
    // Another client's token is refused like an unknown one (SECURITY.md #25): it says nothing about the token.
    if (record === null || record.clientId !== client.id || record.revokedAt !== null) throw refused;
    const now = this.options.now();
    if (record.rotatedAt !== null) {
      await this.revokeFamily(record, 'reuse', peer);
      throw refused;
    }
    if (now >= record.expiresAt || now >= record.familyExpiresAt) throw refused;
    const checked = check(record);
    // Two requests racing with one token: the loser is a replay too (RFC 9700: one use only).
    if (!(await this.options.repository.markRotated(record.id, now))) {
      await this.revokeFamily(record, 'reuse', peer);
      throw refused;
    }
    return { record, checked };
  }

  /**
   * RFC 7009 for a refresh token: revokes its family (and the grant's access tokens) when it belongs to
   * `clientId`. False when it is not a refresh token of that client: nothing happens, and the caller answers
   * 200 all the same.
   */
  async revoke(presented: string, clientId: string, actor: string, peer: string | null): Promise<boolean> {
    const record = await this.find(presented);
    if (record === null || record.clientId !== clientId) return false;
    if (record.revokedAt === null) await this.revokeFamily(record, 'revoked', peer, actor);
    return true;
  }

  /** The record of a refresh token that would be accepted now (not revoked, rotated or expired); else null. */
  async active(presented: string): Promise<RefreshTokenRecord | null> {
    const record = await this.find(presented);
    const now = this.options.now();
    if (record === null || record.revokedAt !== null || record.rotatedAt !== null) return null;
    return now < record.expiresAt && now < record.familyExpiresAt ? record : null;
  }

  /** Deletes the families that ended a day ago or more: nothing in them can be used or asked about. */
  async deleteEnded(): Promise<void> {
    await this.options.repository.deleteEndedBefore(this.options.now() - 86_400_000);
  }

  /** The record whose secret the presented token holds, or null; the secret is compared in constant time. */
  private async find(presented: string): Promise<RefreshTokenRecord | null> {
    const parsed = parseRefreshToken(presented);
    if (parsed === null) return null;
    const record = await this.options.repository.findById(parsed.id);
    const stored = record?.secret ?? this.unmatchable;
    const matches = verifyApiKeySecret(this.options.pepper, stored.salt, parsed.secret, stored.hash);
    return record !== null && matches ? record : null;
  }

  private async revokeFamily(
    record: RefreshTokenRecord,
    reason: 'reuse' | 'revoked',
    peer: string | null,
    actor?: string,
  ): Promise<void> {
    const now = this.options.now();
    const accessTokens = await this.options.repository.revokeFamily(record.familyId, reason, now);
    await this.options.revoker.revoke(accessTokens);
    await this.options.audit.record({
      at: now,
      action: 'refresh_token.revoke',
      outcome: reason === 'reuse' ? 'failure' : 'success',
      actor: actor ?? record.clientId,
      peer,
      targetType: 'refresh_token_family',
      targetId: record.familyId,
      reason: reason === 'reuse' ? 'a rotated refresh token was presented again: the family is revoked' : null,
      details: { client_id: record.clientId, access_tokens_revoked: accessTokens.length },
    });
  }
}
