import { z } from 'zod';
import { checkJsonValue } from '../util/json-bounds.js';

/** Metadata on a key or client: a JSON object of at most 8 KiB, nested at most 32 levels (SECURITY.md #51). */
export const METADATA_MAX_BYTES = 8192;
export const METADATA_MAX_DEPTH = 32;

const PROBLEMS = {
  too_deep: `must nest at most ${METADATA_MAX_DEPTH} levels`,
  too_large: `must be at most ${METADATA_MAX_BYTES / 1024} KiB as JSON`,
  not_json: 'must hold only JSON values (null, booleans, finite numbers, strings, arrays, objects)',
} as const;

/**
 * The bounds are checked by a loop before anything recursive runs; only a value within them is serialized to
 * measure its exact size. Every value counts at least one byte of JSON, so more nodes than bytes is too large.
 */
export const metadataSchema = z.record(z.string().max(100), z.unknown()).check((ctx) => {
  const problem =
    checkJsonValue(ctx.value, { maxDepth: METADATA_MAX_DEPTH, maxNodes: METADATA_MAX_BYTES }) ??
    (JSON.stringify(ctx.value).length > METADATA_MAX_BYTES ? 'too_large' : null);
  if (problem) ctx.issues.push({ code: 'custom', message: PROBLEMS[problem], input: ctx.value });
});
