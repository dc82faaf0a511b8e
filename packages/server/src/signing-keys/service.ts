import { z } from 'zod';
import { type Actor, PROGRAMMATIC_ACTOR } from '../keys/service.js';
import { parseInput } from '../util/parse-input.js';
import type { SigningKeyRepository } from './repository.js';
import type { RotationResult, SigningKeyRotation } from './rotation.js';
import { type SigningKeyView, toSigningKeyView } from './view.js';

/** The body of `POST /v1/admin/signing-keys/rotate` (`--now` on the CLI). */
export const rotateSigningKeyInput = z.strictObject({
  now: z
    .boolean()
    .optional()
    .describe('Activate the new key at once instead of after signing_keys.publish_ahead (for a leaked key)'),
});
export type RotateSigningKeyInput = z.input<typeof rotateSigningKeyInput>;

const actorArgument = z.strictObject({ actor: z.string().min(1), peer: z.string().nullable().optional() });

/** Signing key management behind the admin API, the CLI and `warden.signingKeys`: list and rotate. */
export class SigningKeyService {
  constructor(
    private readonly deps: {
      repository: SigningKeyRepository;
      rotation: SigningKeyRotation;
      now: () => number;
      /** Told after a rotation, so this instance signs with the new key at once. */
      onRotated: () => void;
    },
  ) {}

  /** Every key, newest first, with its state now. Never key material. */
  async list(): Promise<SigningKeyView[]> {
    const now = this.deps.now();
    return (await this.deps.repository.list()).map((key) => toSigningKeyView(key, now));
  }

  /**
   * Publishes the next key; it signs after `signing_keys.publish_ahead`, or at once with `now: true`. On a store
   * without keys, creates the first key (active at once). `conflict` while a rotation is pending (unless `now`).
   */
  async rotate(input: RotateSigningKeyInput = {}, by: Actor = PROGRAMMATIC_ACTOR): Promise<RotationResult> {
    const { now } = parseInput(rotateSigningKeyInput, input);
    const result = await this.deps.rotation.rotate({ immediately: now === true }, parseInput(actorArgument, by, 'by'));
    this.deps.onRotated();
    return result;
  }
}
