import { type JWTPayload, SignJWT } from 'jose';
import { WardenError } from '../errors/warden-error.js';
import type { TokenSigner } from '../tokens/signer.js';
import type { KeyRing } from './keyring.js';

/**
 * Signs Warden's JWTs with the active signing key (its kid and algorithm in the header). A token must carry
 * `exp`, and may live at most `signing_keys.retain_after_retire`: its key stays published that long after it
 * retires, so a token signed just before a rotation still verifies until it expires. A longer lifetime is a
 * configuration mistake (`config_invalid`), refused here rather than discovered when such tokens stop verifying.
 */
export class JwtSigner implements TokenSigner {
  constructor(
    readonly issuer: string,
    private readonly keys: KeyRing,
    private readonly retainAfterRetire: number,
    private readonly now: () => number,
  ) {}

  async sign(claims: JWTPayload, typ: string): Promise<string> {
    // Called by a host too (`warden.signingKeys.signer`): arguments of the wrong kind are its mistake, said so.
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
      throw new WardenError('invalid_request', 'claims: must be an object');
    }
    if (typeof typ !== 'string' || typ === '') throw new WardenError('invalid_request', 'typ: must be a string');
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
      throw new WardenError('internal_error', 'a token to sign must carry a numeric exp');
    }
    const lifetime = claims.exp * 1000 - this.now();
    if (lifetime > this.retainAfterRetire) {
      throw new WardenError(
        'config_invalid',
        `a token lifetime of ${Math.ceil(lifetime / 1000)} s exceeds signing_keys.retain_after_retire ` +
          `(${this.retainAfterRetire / 1000} s): tokens would outlive their signing key in the JWKS; raise it to at ` +
          'least the longest access token lifetime',
      );
    }
    const { record, privateKey } = await this.keys.activeKey();
    return new SignJWT({ ...claims, iss: this.issuer })
      .setProtectedHeader({ alg: record.algorithm, kid: record.kid, typ })
      .sign(privateKey);
  }
}
