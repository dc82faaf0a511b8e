import type { Principal } from '@warden/sdk';

/** The principal of a request a rule lets in without credentials: no identity, nothing granted. */
export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({
  subject: 'anonymous',
  subjectType: 'anonymous',
  tenant: null,
  admin: false,
  roles: Object.freeze([]) as unknown as string[],
  scopes: Object.freeze([]) as unknown as string[],
  metadata: Object.freeze({}),
  credential: Object.freeze({ kind: 'anonymous' }),
});
