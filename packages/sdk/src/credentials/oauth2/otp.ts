import type { OAuthErrorAnswer } from './oauth-client.js';

/**
 * How a token endpoint says "this user needs a one-time password" to a password grant. There is no RFC for it,
 * so each recognized dialect is listed with where it comes from.
 */
const OTP_REQUIRED_ERRORS = new Set([
  'mfa_required', // Auth0 and others following its MFA API
  'otp_required',
  'totp_required',
  'insufficient_user_authentication', // RFC 9470 step-up, used by some servers at the token endpoint too
]);

/** Keycloak's direct grant flow answers a missing OTP with invalid_request "Missing parameter: totp". */
const KEYCLOAK_MISSING_OTP = /missing\s+parameter:?\s*(totp|otp)\b/i;

/** Descriptions that blame the one-time password rather than the password. */
const OTP_REJECTED = /\b(otp|totp|one[- ]time|mfa|2fa|verification code|authenticator code)\b/i;

export type OtpVerdict = 'otp_required' | 'otp_invalid' | null;

/**
 * Classify an error answer of a password grant. `otpSent` tells whether this request carried an OTP: Keycloak
 * answers a wrong OTP with the same "Invalid user credentials" as a wrong password, so once the server has
 * asked for an OTP (the password was accepted), a later invalid_grant is the OTP's fault.
 */
export function classifyOtpAnswer(answer: OAuthErrorAnswer, otpSent: boolean): OtpVerdict {
  const description = answer.description ?? '';
  if (OTP_REQUIRED_ERRORS.has(answer.error)) return otpSent ? 'otp_invalid' : 'otp_required';
  if (answer.error === 'invalid_request' && KEYCLOAK_MISSING_OTP.test(description)) return 'otp_required';
  if (answer.error === 'invalid_otp' || answer.error === 'invalid_mfa') return 'otp_invalid';
  if (answer.error === 'invalid_grant' && otpSent) return 'otp_invalid';
  if (answer.error === 'invalid_grant' && OTP_REJECTED.test(description)) return 'otp_required';
  return null;
}
