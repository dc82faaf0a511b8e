export type { NodeRequest } from './adapters.js';
export { protectExpress, protectFastify, protectHono, protectNode } from './adapters.js';
export type { CredentialHeaders, Outcome, ProtectOptions, RequestAuthenticator } from './authenticate.js';
export { createRequestAuthenticator } from './authenticate.js';
export type { IntrospectionClient, IntrospectionOptions } from './introspection.js';
export { createIntrospectionClient } from './introspection.js';
export type { Requirements } from './requirements.js';
