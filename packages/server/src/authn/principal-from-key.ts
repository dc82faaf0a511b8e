import type { Principal } from '@warden/sdk';
import type { StaticKeyIdentity } from '../config/schema.js';
import type { ApiKeyRecord } from '../store/api-keys.js';

/** Principals are shared between requests (cached), so they are frozen all the way down. */
function frozen(principal: Principal): Principal {
  Object.freeze(principal.roles);
  Object.freeze(principal.scopes);
  Object.freeze(principal.metadata);
  Object.freeze(principal.credential);
  return Object.freeze(principal);
}

export function principalFromApiKey(record: ApiKeyRecord): Principal {
  return frozen({
    subject: record.subject,
    subjectType: record.subjectType,
    tenant: record.tenant,
    admin: record.admin,
    roles: [...record.roles],
    scopes: [...record.scopes],
    metadata: { ...record.metadata },
    credential: {
      kind: 'api_key',
      id: record.id,
      ...(record.expiresAt !== null ? { expiresAt: new Date(record.expiresAt).toISOString() } : {}),
    },
  });
}

export function principalFromStaticKey(identity: StaticKeyIdentity, id: string): Principal {
  return frozen({
    subject: identity.subject,
    subjectType: identity.subject_type,
    tenant: identity.tenant,
    admin: identity.admin,
    roles: [...identity.roles],
    scopes: [...identity.scopes],
    metadata: { ...identity.metadata },
    credential: { kind: 'api_key', id },
  });
}
