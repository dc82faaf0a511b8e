import type { Kysely } from 'kysely';
import { isRoleName, isScopeToken, labelProblem, ROLE_NAME_RULE, SCOPE_TOKEN_RULE } from '../identity/names.js';
import type { DatabaseSchema } from '../store/schema.js';

/** One name of a stored key that breaks its alphabet: which key, which field, which rule. Never the value. */
export interface NonconformingName {
  id: string;
  /** As the admin API names it: `subject`, `tenant`, `name`, `revokedReason`, `roles[2]`, `scopes[0]`. */
  field: string;
  problem: string;
}

const NOT_A_LIST = 'must be a JSON list of strings';

function listProblems(id: string, field: 'roles' | 'scopes', json: string): NonconformingName[] {
  const [isValid, rule] = field === 'roles' ? [isRoleName, ROLE_NAME_RULE] : [isScopeToken, SCOPE_TOKEN_RULE];
  let values: unknown;
  try {
    values = JSON.parse(json);
  } catch {
    return [{ id, field, problem: NOT_A_LIST }];
  }
  if (!Array.isArray(values)) return [{ id, field, problem: NOT_A_LIST }];
  const found: NonconformingName[] = [];
  values.forEach((value, i) => {
    if (typeof value !== 'string') found.push({ id, field: `${field}[${i}]`, problem: 'must be a string' });
    else if (!isValid(value)) found.push({ id, field: `${field}[${i}]`, problem: rule });
  });
  return found;
}

/**
 * Finds stored API keys whose names break the rules of `identity/names.ts` (SECURITY.md #50): records written
 * before those rules existed, or by hand. Reads `batchSize` rows at a time in id order, so a large table is never
 * held in memory; only the findings are.
 */
export async function findNonconformingKeys(
  db: Kysely<DatabaseSchema>,
  options: { batchSize?: number } = {},
): Promise<NonconformingName[]> {
  const batchSize = options.batchSize ?? 1000;
  const found: NonconformingName[] = [];
  let after: string | null = null;
  for (;;) {
    let query = db
      .selectFrom('api_keys')
      .select(['id', 'subject', 'tenant', 'name', 'revoked_reason', 'roles', 'scopes'])
      .orderBy('id')
      .limit(batchSize);
    if (after !== null) query = query.where('id', '>', after);
    const rows = await query.execute();
    for (const row of rows) {
      const labels: [string, string | null][] = [
        ['subject', row.subject],
        ['tenant', row.tenant],
        ['name', row.name],
        ['revokedReason', row.revoked_reason],
      ];
      for (const [field, value] of labels) {
        const problem = value === null ? null : labelProblem(value);
        if (problem !== null) found.push({ id: row.id, field, problem });
      }
      found.push(...listProblems(row.id, 'roles', row.roles), ...listProblems(row.id, 'scopes', row.scopes));
    }
    if (rows.length < batchSize) return found;
    after = rows.at(-1)!.id;
  }
}
