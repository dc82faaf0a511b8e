import { DECISION_ERRORS } from '@warden/sdk';
import { CREDENTIAL_ERROR_CODES } from '@warden/sdk/credentials';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/errors.js';
import { apiErrorBody, ERRORS, oauthErrorBody, WardenError } from '../src/errors/index.js';
import { toWardenError } from '../src/http/framework-errors.js';

describe('the error registry', () => {
  it('holds every decision code and every outbound credential code, each with a status, exit code and message', () => {
    for (const code of [...Object.keys(DECISION_ERRORS), ...Object.keys(CREDENTIAL_ERROR_CODES)])
      expect(ERRORS).toHaveProperty(code);
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect([1, 2], code).toContain(spec.exit);
      expect(spec.message.length, code).toBeGreaterThan(0);
    }
    // Decision codes keep the SDK's status and message: they are the public contract.
    for (const [code, { status, message }] of Object.entries(DECISION_ERRORS))
      expect(ERRORS[code as keyof typeof DECISION_ERRORS]).toMatchObject({ status, message });
  });

  it('a WardenError takes status, exit code and default message from its code', () => {
    const notFound = new WardenError('not_found');
    expect([notFound.status, notFound.exit, notFound.message]).toEqual([404, 1, 'No such resource.']);
    const invalid = new WardenError('invalid_request', 'subject: must be 1-200 characters');
    expect([invalid.status, invalid.exit]).toEqual([400, 2]);
    expect(new WardenError('invalid_request', 'x', { exit: 1 }).exit).toBe(1);
    expect(new ConfigError('bad')).toMatchObject({ code: 'config_invalid', exit: 2, problems: ['bad'] });
    expect(new ConfigError('bad')).toBeInstanceOf(WardenError);
  });

  it('renders the API shape and the RFC 6749 shape; a fault never shows its own message', () => {
    const scope = new WardenError('invalid_scope', 'orders.delete is not allowed for this client');
    expect(apiErrorBody(scope)).toEqual({
      error: 'invalid_scope',
      message: 'orders.delete is not allowed for this client',
    });
    expect(oauthErrorBody(scope)).toEqual({
      error: 'invalid_scope',
      error_description: 'orders.delete is not allowed for this client',
    });
    const fault = new WardenError('internal_error', 'connect ECONNREFUSED 10.0.0.5:5432 password=hunter2');
    expect(apiErrorBody(fault)).toEqual({ error: 'internal_error', message: 'Internal error.' });
    expect(oauthErrorBody(new WardenError('config_invalid', 'secrets.pepper is hunter2'))).toEqual({
      error: 'config_invalid',
      error_description: 'The configuration is not valid.',
    });
  });

  it('anything thrown becomes a registry error: storage faults 503, unknown errors 500 without their message', () => {
    const storage = toWardenError(
      Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' }),
    );
    expect([storage.code, storage.status]).toEqual(['unavailable', 503]);
    const bug = toWardenError(new TypeError("Cannot read properties of undefined (reading 'actor')"));
    expect(apiErrorBody(bug)).toEqual({ error: 'internal_error', message: 'Internal error.' });
    const framework = toWardenError(
      Object.assign(new Error("'/v1/admin/x%' is not a valid url"), { code: 'FST_ERR_BAD_URL', statusCode: 400 }),
    );
    expect(apiErrorBody(framework)).toEqual({
      error: 'invalid_request',
      message: 'The request path is not a valid URL.',
    });
  });
});
