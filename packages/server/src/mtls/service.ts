import { z } from 'zod';
import { WardenError } from '../errors/warden-error.js';
import { label, roleName, scopeToken } from '../identity/names.js';
import { type Actor, PROGRAMMATIC_ACTOR } from '../keys/service.js';
import type { AuditRepository } from '../store/audit.js';
import { parseInput } from '../util/parse-input.js';
import type { PinCache } from './pins/pin-cache.js';
import type { PinRecord, PinRepository } from './pins/repository.js';
import { parsePublicKey, spkiToPem } from './public-key.js';

export const pinInput = z.strictObject({
  subject: label.describe('The certificate subject the key is pinned for: its Organization (O), or CN'),
  publicKey: z
    .string()
    .min(1)
    .max(16_384)
    .describe('The public key: PEM (-----BEGIN PUBLIC KEY-----) or base64 of the SPKI DER'),
  scopes: z.array(scopeToken).max(100).default([]).describe('Scopes the principal of a matching certificate holds'),
  roles: z.array(roleName).max(100).default([]).describe('Roles the principal of a matching certificate holds'),
  tenant: label.nullable().optional().describe('The tenant of the principal of a matching certificate'),
});
export type PinInput = z.input<typeof pinInput>;

/** A pin as the admin API and the CLI show it: public material only. */
export interface PinView {
  subject: string;
  /** SHA-256 (hex) of the SPKI DER. */
  spkiSha256: string;
  /** The pinned public key, PEM. */
  publicKey: string;
  /** What the principal of a matching certificate holds. */
  scopes: string[];
  roles: string[];
  tenant: string | null;
  createdAt: string;
  createdBy: string | null;
}

export function toPinView(record: PinRecord): PinView {
  return {
    subject: record.subject,
    spkiSha256: record.spkiSha256,
    publicKey: spkiToPem(record.spki),
    scopes: record.scopes,
    roles: record.roles,
    tenant: record.tenant,
    createdAt: new Date(record.createdAt).toISOString(),
    createdBy: record.createdBy,
  };
}

const subjectArgument = label;

/**
 * Pinned certificate keys in Warden's store: pin (or replace), unpin, list. Every change is audited and evicts the
 * pin cache of this process at once; other processes see it within `mtls.pins.cache_ttl`.
 */
export class PinService {
  constructor(
    private readonly deps: {
      repository: PinRepository;
      audit: AuditRepository;
      cache: PinCache | null;
      now: () => number;
    },
  ) {}

  async pin(input: PinInput, by: Actor = PROGRAMMATIC_ACTOR): Promise<PinView> {
    const fields = parseInput(pinInput, input);
    const key = parsePublicKey(fields.publicKey);
    if (key === null) {
      throw new WardenError('invalid_request', 'publicKey: must be a PEM public key or base64 of an SPKI DER');
    }
    const now = this.deps.now();
    const record: PinRecord = {
      subject: fields.subject,
      spki: key.spki,
      spkiSha256: key.sha256,
      scopes: [...new Set(fields.scopes)],
      roles: [...new Set(fields.roles)],
      tenant: fields.tenant ?? null,
      createdAt: now,
      createdBy: by.actor,
    };
    const { replaced } = await this.deps.repository.upsert(record, now);
    this.deps.cache?.evict(fields.subject);
    await this.deps.audit.record({
      at: now,
      action: replaced ? 'certificate_pin.replace' : 'certificate_pin.create',
      outcome: 'success',
      actor: by.actor,
      peer: by.peer ?? null,
      targetType: 'certificate_pin',
      targetId: fields.subject,
      details: { spkiSha256: key.sha256, scopes: record.scopes, roles: record.roles, tenant: record.tenant },
    });
    const stored = await this.deps.repository.find(fields.subject);
    return toPinView(stored ?? record);
  }

  async unpin(subject: string, by: Actor = PROGRAMMATIC_ACTOR): Promise<{ subject: string; unpinned: true }> {
    const name = parseInput(subjectArgument, subject, 'subject');
    const existed = await this.deps.repository.delete(name);
    // Evicted even when nothing was deleted: another process may just have unpinned it.
    this.deps.cache?.evict(name);
    if (!existed) throw new WardenError('not_found', `No key is pinned for ${JSON.stringify(name)}.`);
    await this.deps.audit.record({
      at: this.deps.now(),
      action: 'certificate_pin.delete',
      outcome: 'success',
      actor: by.actor,
      peer: by.peer ?? null,
      targetType: 'certificate_pin',
      targetId: name,
    });
    return { subject: name, unpinned: true };
  }

  async list(): Promise<PinView[]> {
    return (await this.deps.repository.list()).map(toPinView);
  }

  async show(subject: string): Promise<PinView> {
    const name = parseInput(subjectArgument, subject, 'subject');
    const record = await this.deps.repository.find(name);
    if (record === null) throw new WardenError('not_found', `No key is pinned for ${JSON.stringify(name)}.`);
    return toPinView(record);
  }
}
