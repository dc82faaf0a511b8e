import { WardenError } from '../errors/warden-error.js';
import type { Actor } from '../keys/service.js';
import type { AuditRepository } from '../store/audit.js';
import type { SigningAlgorithm } from './algorithms.js';
import { decryptPrivateKey, encryptPrivateKey } from './encryption.js';
import { generateSigningKey } from './generation.js';
import type { SigningKeyRecord, SigningKeyRepository } from './repository.js';
import { type SigningKeyView, toSigningKeyView } from './view.js';

/** The `signing_keys` section of the configuration, in milliseconds. */
export interface SigningKeySettings {
  algorithm: SigningAlgorithm;
  rsaModulusLength: number;
  /** How long a rotation publishes the next key before it signs. */
  publishAhead: number;
  /** How long a retired key stays published: at least the longest access token lifetime. */
  retainAfterRetire: number;
  /** Automatic rotation period; 0 never rotates automatically. */
  rotateEvery: number;
  /** How stale an instance's copy of the keys may be: the bound on seeing another instance's rotation. */
  refreshInterval: number;
}

export interface RotationResult {
  /** The key that signs next (or, on a new deployment, the first key). */
  key: SigningKeyView;
  /** The key it replaces, with its retirement and expiry; null for the first key. */
  previous: SigningKeyView | null;
}

export interface RotationOptions {
  /** Activate the new key at once instead of after `publish_ahead`: for emergencies (a leaked key). */
  immediately?: boolean;
}

/** Who creates keys on their own: the first key and the automatic rotations. */
export const SCHEDULER_ACTOR: Actor = Object.freeze({ actor: 'scheduler' });

/**
 * The life of signing keys: the first key (active at once), manual rotations and automatic ones. Every rotation
 * publishes the next key first; it signs from `activatedAt`, and its predecessor retires at that same moment and
 * stays published for `retainAfterRetire` more (plus `refreshInterval`, the longest another instance may go on
 * signing with it before it sees an immediate rotation). Safe with many instances: the store lets a key have one
 * successor only, so two instances rotating at once publish one next key.
 */
export class SigningKeyRotation {
  constructor(
    private readonly deps: {
      repository: SigningKeyRepository;
      audit: AuditRepository;
      masterKey: Buffer;
      settings: SigningKeySettings;
      now: () => number;
    },
  ) {}

  /** Creates the first key, active at once, when there is none; the key when this call created it, else null. */
  async ensureFirstKey(by: Actor = SCHEDULER_ACTOR): Promise<SigningKeyRecord | null> {
    const { repository } = this.deps;
    if (!(await repository.isEmpty())) return null;
    const now = this.deps.now();
    const first = await this.newKey(null, now, now);
    if (!(await repository.insertFirst(first, now))) return null;
    await this.record('signing_key.create', now, by, first.kid, { algorithm: first.algorithm });
    return first;
  }

  /**
   * Rotates now (`warden signing-keys rotate`, the admin API). With a rotation already pending, `immediately`
   * activates the pending key at once; without it the answer is `conflict`.
   */
  async rotate(options: RotationOptions, by: Actor): Promise<RotationResult> {
    const first = await this.ensureFirstKey(by);
    if (first) return { key: toSigningKeyView(first, this.deps.now()), previous: null };
    const now = this.deps.now();
    const head = await this.deps.repository.head();
    if (head === null) throw new Error('the signing key chain has no head');
    if (head.activatedAt > now) {
      if (!options.immediately) {
        throw new WardenError(
          'conflict',
          `a rotation is already pending: ${head.kid} starts signing at ${new Date(head.activatedAt).toISOString()}; ` +
            'rotate with --now (API: {"now": true}) to activate it at once',
        );
      }
      return this.activatePending(head, now, by);
    }
    const activatesAt = options.immediately ? now : now + this.deps.settings.publishAhead;
    const result = await this.publishSuccessor(head, now, activatesAt, by, Boolean(options.immediately));
    if (result === null) {
      throw new WardenError(
        'conflict',
        `another rotation replaced ${head.kid} at the same moment; see warden signing-keys list`,
      );
    }
    return result;
  }

  /**
   * Automatic rotation (`signing_keys.rotate_every`): when the active key has signed for `rotate_every` minus
   * `publish_ahead`, the next key is published, so it starts signing `rotate_every` after its predecessor did.
   * Null when nothing was due, or when another instance rotated first.
   */
  async rotateIfDue(): Promise<RotationResult | null> {
    const { rotateEvery, publishAhead } = this.deps.settings;
    if (rotateEvery === 0) return null;
    const now = this.deps.now();
    const head = await this.deps.repository.head();
    if (head === null || head.activatedAt > now) return null;
    if (now < head.activatedAt + rotateEvery - publishAhead) return null;
    return this.publishSuccessor(head, now, now + publishAhead, SCHEDULER_ACTOR, false);
  }

  /** When a key retired at `retiredAt` leaves the JWKS. */
  private expiryOfKeyRetiredAt(retiredAt: number): number {
    const { retainAfterRetire, refreshInterval } = this.deps.settings;
    return retiredAt + retainAfterRetire + refreshInterval;
  }

  private async publishSuccessor(
    head: SigningKeyRecord,
    now: number,
    activatesAt: number,
    by: Actor,
    immediately: boolean,
  ): Promise<RotationResult | null> {
    this.requireMasterKeyOf(head);
    const next = await this.newKey(head.kid, now, activatesAt);
    const headExpiresAt = this.expiryOfKeyRetiredAt(activatesAt);
    if (!(await this.deps.repository.insertSuccessor(next, headExpiresAt, now))) return null;
    await this.record('signing_key.rotate', now, by, next.kid, {
      algorithm: next.algorithm,
      previous: head.kid,
      activatesAt: new Date(activatesAt).toISOString(),
      previousExpiresAt: new Date(headExpiresAt).toISOString(),
      immediately,
    });
    const previous = { ...head, retiredAt: activatesAt, expiresAt: headExpiresAt };
    return { key: toSigningKeyView(next, now), previous: toSigningKeyView(previous, now) };
  }

  private async activatePending(pending: SigningKeyRecord, now: number, by: Actor): Promise<RotationResult> {
    const { repository } = this.deps;
    this.requireMasterKeyOf(pending);
    const previousExpiresAt = this.expiryOfKeyRetiredAt(now);
    if (!(await repository.activateNow(pending, previousExpiresAt, now))) {
      throw new WardenError('conflict', `${pending.kid} is no longer pending; see warden signing-keys list`);
    }
    await this.record('signing_key.rotate', now, by, pending.kid, {
      algorithm: pending.algorithm,
      previous: pending.predecessor,
      activatesAt: new Date(now).toISOString(),
      previousExpiresAt: new Date(previousExpiresAt).toISOString(),
      immediately: true,
      wasPending: true,
    });
    const [key, previous] = await Promise.all([
      repository.find(pending.kid),
      pending.predecessor === null ? null : repository.find(pending.predecessor),
    ]);
    return {
      key: toSigningKeyView(key ?? { ...pending, activatedAt: now }, now),
      previous: previous === null ? null : toSigningKeyView(previous, now),
    };
  }

  /**
   * A process with another master key (a CLI run without the server's secrets) must not write a key the servers
   * cannot decrypt: it proves it can decrypt the newest key first, or fails with `master_key_mismatch`.
   */
  private requireMasterKeyOf(key: SigningKeyRecord): void {
    decryptPrivateKey(this.deps.masterKey, key.kid, key.privateKeyEncrypted);
  }

  private async newKey(predecessor: string | null, now: number, activatesAt: number): Promise<SigningKeyRecord> {
    const { settings, masterKey } = this.deps;
    const generated = await generateSigningKey(settings.algorithm, settings.rsaModulusLength);
    return {
      kid: generated.kid,
      predecessor,
      algorithm: generated.algorithm,
      publicJwk: generated.publicJwk,
      privateKeyEncrypted: encryptPrivateKey(masterKey, generated.kid, JSON.stringify(generated.privateJwk)),
      createdAt: now,
      publishedAt: now,
      activatedAt: activatesAt,
      retiredAt: null,
      expiresAt: null,
    };
  }

  private record(
    action: 'signing_key.create' | 'signing_key.rotate',
    at: number,
    by: Actor,
    kid: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.deps.audit.record({
      at,
      action,
      outcome: 'success',
      actor: by.actor,
      peer: by.peer ?? null,
      targetType: 'signing_key',
      targetId: kid,
      details,
    });
  }
}
