export type { LoadOptions } from './config/load.js';
export { loadCredentialsFile, loadCredentialsObject, loadCredentialsYaml } from './config/load.js';
export type { ValidatedCredential } from './config/validate.js';
export type { CredentialConfigIssue, CredentialErrorCode } from './errors.js';
export { CREDENTIAL_ERROR_CODES, CredentialConfigError, CredentialError } from './errors.js';
export type { UnverifiedJwt } from './inspect-token.js';
export { decodeUnverifiedJwt } from './inspect-token.js';
export type {
  CredentialManagerEvents,
  CredentialManagerOptions,
  CredentialSnapshot,
} from './manager/credential-manager.js';
export { CredentialManager } from './manager/credential-manager.js';
export { basicCredentialParts } from './providers/basic.js';
export type { LoginCallback, LoginStart } from './providers/oauth2-auth-code.js';
export type { CredentialType, IssuedCredential, ObtainReason, OtpCallback } from './providers/provider.js';
export { CREDENTIAL_TYPES } from './providers/provider.js';
export { REDACTED, Secret } from './secret.js';
