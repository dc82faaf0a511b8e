import { createHash } from 'node:crypto';
import type { DecisionErrorCode, Principal, SubjectType } from '@warden/sdk';
import type { PresentedCredential } from '../authn/presented.js';
import { type Authenticator, type AuthResult, denied } from '../authn/types.js';
import { constantTimeEqual } from '../util/constant-time.js';
import { isPromise, type MaybePromise } from '../util/maybe-promise.js';
import type { CaBundle } from './ca-bundle.js';
import { type CertificateFacts, type ParsedCertificate, parseCertificate } from './certificate.js';
import { decodeForwardedCertificate } from './forwarded/decode.js';
import { pemToDer } from './pem.js';
import type { Pin } from './pins/pin-cache.js';

/** What the mTLS authenticator is configured with. */
export interface MtlsAuthenticatorOptions {
  subjectFrom: 'organization' | 'common_name';
  subjectType: SubjectType;
  /** The CAs of `mtls.ca_file`; null: no chain validation. */
  cas: CaBundle | null;
  /** The pin of a subject (null: none pinned); null when pinning is off. Rejects on a fault. */
  pinOf: ((subject: string) => MaybePromise<Pin | null>) | null;
  /** Parsed certificates remembered; 0 turns the cache off. */
  cacheMaxEntries: number;
  now: () => number;
}

/** A parsed certificate, cached with the principal it proves (built once, shared by every request). */
type CachedCertificate = { ok: false; code: DecisionErrorCode } | CachedFacts;
interface CachedFacts {
  ok: true;
  facts: CertificateFacts;
  principal: Principal | null;
  /** The principal with what each pin grants (scopes, roles, tenant), built once per pin object. */
  granted?: WeakMap<Pin, Principal>;
}

/**
 * Client certificates (mTLS): the certificate of Warden's own TLS listener, or one a trusted proxy forwarded in a
 * header (decoded by src/mtls/forwarded/). The checks, each with its own code: it parses
 * (`certificate_malformed`), it is within its dates (`certificate_expired`, `certificate_not_yet_valid`), a
 * configured CA signed it (`certificate_untrusted`), it names a subject (`certificate_no_subject`), and the key
 * pinned for that subject is its public key (`certificate_not_registered`, `certificate_key_mismatch`, SECURITY.md
 * #43). A denial never says what the expected key is.
 *
 * The X.509 parse and CA signature check run once per distinct certificate: their result is cached under a SHA-256
 * digest of the bytes the certificate arrived as (the header value or the PEM). The pin is not part of that cache:
 * it is looked up per request from the pin cache, which a pin or unpin evicts, so an unpinned key stops working
 * without the certificate cache knowing.
 */
export class MtlsAuthenticator implements Authenticator {
  readonly kind = 'mtls' as const;
  private readonly parsed = new Map<string, CachedCertificate>();

  constructor(private readonly options: MtlsAuthenticatorOptions) {}

  accepts(credential: PresentedCredential): boolean {
    return credential.source === 'certificate' || credential.source === 'forwarded-certificate';
  }

  authenticate(credential: PresentedCredential): MaybePromise<AuthResult> {
    const cached = this.certificateOf(credential);
    if (!cached.ok) return denied(cached.code);
    const { facts, principal } = cached;
    const now = this.options.now();
    if (now > facts.notAfter) return denied('certificate_expired');
    if (now < facts.notBefore) return denied('certificate_not_yet_valid');
    if (facts.issuer === null) return denied('certificate_untrusted');
    if (facts.issuer !== undefined && (now > facts.issuer.notAfter || now < facts.issuer.notBefore)) {
      return denied('certificate_untrusted', 'The CA of the client certificate is outside its validity dates.');
    }
    if (principal === null || facts.subject === null) return denied('certificate_no_subject');
    const { pinOf } = this.options;
    if (pinOf === null) return { ok: true, principal };
    const pinned = pinOf(facts.subject);
    return isPromise(pinned) ? pinned.then((pin) => this.compare(pin, cached)) : this.compare(pinned, cached);
  }

  private compare(pin: Pin | null, cached: CachedFacts): AuthResult {
    const { facts } = cached;
    if (pin === null) return denied('certificate_not_registered', undefined, facts.subject ?? undefined);
    // Digests of public keys are not secrets; the comparison is constant-time anyway, as every credential check.
    if (!constantTimeEqual(pin.sha256, facts.spkiSha256)) {
      return denied('certificate_key_mismatch', undefined, facts.subject ?? undefined);
    }
    return { ok: true, principal: this.grantedBy(pin, cached) };
  }

  /** The certificate's principal holding what its pin grants: the same object for every request of one pin. */
  private grantedBy(pin: Pin, cached: CachedFacts): Principal {
    const base = cached.principal!;
    if (pin.scopes.length === 0 && pin.roles.length === 0 && pin.tenant === null) return base;
    cached.granted ??= new WeakMap();
    let principal = cached.granted.get(pin);
    if (principal === undefined) {
      principal = Object.freeze({ ...base, scopes: [...pin.scopes], roles: [...pin.roles], tenant: pin.tenant });
      cached.granted.set(pin, principal);
    }
    return principal;
  }

  private certificateOf(credential: PresentedCredential): CachedCertificate {
    // The digest of the bytes as presented, the header's name first (one certificate in two formats is two
    // entries, and a value in one format can never be read as another).
    const digest = createHash('sha256');
    if (credential.source === 'certificate') digest.update('pem\n').update(credential.pem);
    else if (credential.source === 'forwarded-certificate') {
      digest.update(credential.certificate.header).update('\n').update(credential.certificate.value);
    }
    const key = digest.digest('base64');
    const hit = this.parsed.get(key);
    if (hit !== undefined) return hit;
    const entry = this.parse(credential);
    this.remember(key, entry);
    return entry;
  }

  private parse(credential: PresentedCredential): CachedCertificate {
    const der =
      credential.source === 'certificate'
        ? pemToDer(credential.pem)
        : credential.source === 'forwarded-certificate'
          ? decodeForwardedCertificate(credential.certificate)
          : null;
    if (der === null) return { ok: false, code: 'certificate_malformed' };
    const parsed: ParsedCertificate = parseCertificate(der, this.options.subjectFrom, this.options.cas);
    if (!parsed.ok) return parsed;
    return { ok: true, facts: parsed.facts, principal: this.principalOf(parsed.facts) };
  }

  private principalOf(facts: CertificateFacts): Principal | null {
    if (facts.subject === null) return null;
    return Object.freeze({
      subject: facts.subject,
      subjectType: this.options.subjectType,
      tenant: null,
      admin: false,
      roles: [],
      scopes: [],
      metadata: { certificate: { serialNumber: facts.serialNumber, spkiSha256: facts.spkiSha256 } },
      credential: { kind: 'mtls', id: facts.spkiSha256, expiresAt: new Date(facts.notAfter).toISOString() },
    } satisfies Principal);
  }

  private remember(key: string, entry: CachedCertificate): void {
    const max = this.options.cacheMaxEntries;
    if (max === 0) return;
    if (this.parsed.size >= max) {
      const oldest = this.parsed.keys().next().value;
      if (oldest !== undefined) this.parsed.delete(oldest);
    }
    this.parsed.set(key, entry);
  }
}
