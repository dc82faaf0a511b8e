export { didYouMean } from './did-you-mean.js';
export type { DecisionErrorCode } from './errors.js';
export { bearerErrorFor, DECISION_ERRORS, isDecisionErrorCode } from './errors.js';
export type { CredentialInfo, CredentialKind, Principal, SubjectType } from './principal.js';
export { CREDENTIAL_KINDS, SUBJECT_TYPES } from './principal.js';
