/** Who is calling: the identity every authenticator produces and every entry point answers with. */
export interface Principal {
  /** user_id or service account id; `anonymous` for a request an access rule lets in without credentials. */
  subject: string;
  subjectType: SubjectType | 'anonymous';
  /** tenant_id; null on single-tenant deployments. */
  tenant: string | null;
  admin: boolean;
  roles: string[];
  scopes: string[];
  metadata: Record<string, unknown>;
  credential: CredentialInfo;
}

export const SUBJECT_TYPES = ['user', 'service', 'agent', 'session'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** `anonymous`: no credential, on a route whose access rule lets such requests in. */
export const CREDENTIAL_KINDS = ['api_key', 'jwt', 'basic', 'mtls', 'session', 'anonymous'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

export interface CredentialInfo {
  kind: CredentialKind;
  id?: string;
  issuer?: string;
  expiresAt?: string;
}
