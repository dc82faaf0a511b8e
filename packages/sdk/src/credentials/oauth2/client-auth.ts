import { randomUUID } from 'node:crypto';
import { importJWK, importPKCS8, type JWK, SignJWT } from 'jose';
import { CredentialError } from '../errors.js';
import type { OAuthSettings } from './settings.js';

type SigningKey = Awaited<ReturnType<typeof importPKCS8>>;

/**
 * Applies the configured client authentication (RFC 6749 §2.3.1, RFC 7523 private_key_jwt) to a token
 * request. Keys are imported once and kept as non-extractable CryptoKeys.
 */
export class ClientAuthenticator {
  readonly #settings: OAuthSettings;
  #signingKey: Promise<{ key: SigningKey; alg: string; kid: string | undefined }> | null = null;

  constructor(settings: OAuthSettings) {
    this.#settings = settings;
  }

  /** `audience` is the issuer identifier when known, else the token endpoint URL. */
  async apply(params: URLSearchParams, headers: Record<string, string>, audience: string): Promise<void> {
    const { clientAuth, clientId, clientSecret } = this.#settings;
    switch (clientAuth) {
      case 'client_secret_basic': {
        // RFC 6749 §2.3.1: both parts form-urlencoded before base64, which most libraries forget.
        const user = encodeURIComponent(clientId).replace(/%20/g, '+');
        const pass = encodeURIComponent(clientSecret!.reveal()).replace(/%20/g, '+');
        headers['authorization'] = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
        return;
      }
      case 'client_secret_post':
        params.set('client_id', clientId);
        params.set('client_secret', clientSecret!.reveal());
        return;
      case 'private_key_jwt': {
        const { key, alg, kid } = await this.#loadSigningKey();
        const now = Math.floor(Date.now() / 1000);
        const assertion = await new SignJWT({})
          .setProtectedHeader(kid ? { alg, kid } : { alg })
          .setIssuer(clientId)
          .setSubject(clientId)
          .setAudience(audience)
          .setJti(randomUUID())
          .setIssuedAt(now)
          .setExpirationTime(now + 60)
          .sign(key);
        params.set('client_id', clientId);
        params.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        params.set('client_assertion', assertion);
        return;
      }
      case 'none':
        params.set('client_id', clientId);
        return;
    }
  }

  #loadSigningKey(): Promise<{ key: SigningKey; alg: string; kid: string | undefined }> {
    this.#signingKey ??= importSigningKey(this.#settings).catch((error: unknown) => {
      this.#signingKey = null;
      throw error;
    });
    return this.#signingKey;
  }
}

async function importSigningKey(
  settings: OAuthSettings,
): Promise<{ key: SigningKey; alg: string; kid: string | undefined }> {
  const text = settings.privateKey!.reveal().trim();
  const fail = (reason: string) =>
    new CredentialError(
      'config_invalid',
      `credential "${settings.credential}": private_key cannot be used: ${reason}`,
      {
        credential: settings.credential,
      },
    );
  try {
    if (text.startsWith('{')) {
      const jwk = JSON.parse(text) as JWK;
      const alg = settings.privateKeyAlg ?? jwk.alg ?? algForJwk(jwk);
      if (!alg) throw fail('cannot tell the signing algorithm; set private_key_alg');
      return { key: (await importJWK(jwk, alg)) as SigningKey, alg, kid: settings.keyId ?? jwk.kid };
    }
    if (!text.includes('-----BEGIN PRIVATE KEY-----')) {
      throw fail('expected a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") or a private JWK as JSON');
    }
    const alg = settings.privateKeyAlg ?? (await guessPemAlg(text));
    return { key: await importPKCS8(text, alg), alg, kid: settings.keyId ?? undefined };
  } catch (error) {
    if (error instanceof CredentialError) throw error;
    // jose's messages describe the key format, never its content.
    throw fail(error instanceof Error ? error.message : 'unreadable key');
  }
}

function algForJwk(jwk: JWK): string | undefined {
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return jwk.crv === 'P-384' ? 'ES384' : jwk.crv === 'P-521' ? 'ES512' : 'ES256';
  if (jwk.kty === 'OKP') return 'EdDSA';
  return undefined;
}

async function guessPemAlg(pem: string): Promise<string> {
  const { createPrivateKey } = await import('node:crypto');
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') return 'RS256';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : 'ES256';
  }
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  throw new Error(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}; set private_key_alg`);
}
