import { z } from 'zod';
import { roleName, scopeToken } from '../identity/names.js';
import { starCount } from './glob.js';
import { templateProblem } from './header-templates.js';

/** The authenticators a rule can name, in the order it lists them. `anonymous` lets a request without credentials in. */
export const RULE_AUTHENTICATORS = ['api_key', 'jwt', 'basic', 'mtls', 'session', 'anonymous'] as const;
export type RuleAuthenticator = (typeof RULE_AUTHENTICATORS)[number];

const METHOD = z
  .string()
  .regex(/^[A-Za-z]+$/, 'must be an HTTP method name such as GET')
  .transform((method) => method.toUpperCase());

/** Headers a rule may not set: the framing and caching of the answer, and what the proxy itself decides on. */
const RESERVED_HEADERS = new Set([
  'content-length',
  'content-type',
  'cache-control',
  'connection',
  'transfer-encoding',
  'www-authenticate',
  'retry-after',
  'set-cookie',
  'host',
  'location',
]);

/** `{path.NAME}` (a named group of `path_regex`), `{host.N}` (the Nth star of `host`), `{header.NAME}`, or a literal tenant. */
export const TENANT_TEMPLATE = /^\{(path|header|host)\.([A-Za-z0-9_-]+)\}$/;

const requireSchema = z
  .strictObject({
    scopes: z.array(scopeToken).optional().meta({ description: 'Every one of these scopes must be granted.' }),
    any_role: z.array(roleName).optional().meta({ description: 'At least one of these roles must be held.' }),
    admin: z.boolean().optional().meta({ description: 'An administrator credential is required.' }),
    tenant: z
      .string()
      .min(1)
      .optional()
      .meta({
        description:
          'The principal must belong to this tenant: a literal, `{path.NAME}` (a named group of `path_regex`), ' +
          '`{host.N}` (what the Nth star of `host` matched) or `{header.NAME}` (a request header).',
      }),
  })
  .optional();

/** One access rule as configured. */
export const ruleSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, dots, dashes or underscores')
      .meta({ description: 'A unique name: logged with each decision, printed by `warden rules test`.' }),
    host: z.string().min(1).optional().meta({
      description:
        'A host glob, case-insensitive (`*` one label, `**` any labels): `api.example.com`, `*.example.com`. Absent: any host.',
    }),
    methods: z
      .array(METHOD)
      .min(1)
      .optional()
      .meta({ description: 'The methods it applies to (`GET`, `POST`...). Absent: every method.' }),
    path: z
      .string()
      .regex(/^\//, 'must start with /')
      .optional()
      .meta({
        description:
          'A path glob on the normalized path (`*` within one segment, `**` across segments): `/orders/**`. ' +
          'Absent (and no `path_regex`): every path.',
      }),
    path_regex: z
      .string()
      .optional()
      .meta({
        description:
          'A regular expression on the normalized path instead of `path`, anchored by you (`^/t/(?<tenant>[^/]+)/`); ' +
          'its named groups are what `{path.NAME}` reads. A rule with a regex needs a `priority` when it could share ' +
          'a request with another rule (overlap cannot be proven for regexes).',
      }),
    priority: z
      .number()
      .int()
      .optional()
      .meta({
        description:
          'Higher wins when several rules match. Two rules that can match the same request must have different ' +
          'priorities (a startup error otherwise).',
      }),
    authenticators: z
      .array(z.enum(RULE_AUTHENTICATORS))
      .min(1)
      .optional()
      .meta({
        description:
          'The authenticators to try, in order. `anonymous` lets a request without credentials through as the ' +
          'anonymous principal (a credential that is presented is still verified). Absent: every authenticator ' +
          'Warden has, without `anonymous`.',
      }),
    require: requireSchema.meta({ description: 'What the authenticated principal must have.' }),
    headers: z
      .record(
        z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name (letters, digits, dashes)'),
        z.string().max(512),
      )
      .optional()
      .meta({
        description:
          'Extra headers an allow sets, as templates over the principal: `{subject}`, `{subject_type}`, `{tenant}`, ' +
          '`{roles}`, `{scopes}`, `{admin}`, `{credential.kind}`, `{credential.id}`, `{credential.issuer}`, ' +
          '`{metadata.NAME}`, with literal text around them. The proxy copies them to the service like the X-Auth-* ones.',
        type: 'map of header name to template',
      }),
    allow: z
      .literal(true)
      .optional()
      .meta({ description: '`true`: every request is allowed, without authentication (a public route).' }),
    deny: z.literal(true).optional().meta({ description: '`true`: every request is denied (403), whoever asks.' }),
  })
  .superRefine((rule, ctx) => {
    if (rule.path !== undefined && rule.path_regex !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['path_regex'], message: 'give path or path_regex, not both' });
    }
    if (rule.path_regex !== undefined) {
      try {
        new RegExp(rule.path_regex);
      } catch {
        ctx.addIssue({ code: 'custom', path: ['path_regex'], message: 'is not a valid regular expression' });
      }
    }
    for (const [name, template] of Object.entries(rule.headers ?? {})) {
      const lower = name.toLowerCase();
      if (lower.startsWith('x-auth-') || RESERVED_HEADERS.has(lower)) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'is a header Warden or HTTP itself sets' });
      }
      const problem = templateProblem(template);
      if (problem !== null) ctx.addIssue({ code: 'custom', path: ['headers', name], message: problem });
    }
    if (rule.deny && rule.headers !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['headers'], message: 'a rule that denies everyone sets no headers' });
    }
    if (rule.allow && rule.deny) {
      ctx.addIssue({ code: 'custom', path: ['deny'], message: 'give allow or deny, not both' });
    }
    if ((rule.allow || rule.deny) && (rule.require !== undefined || rule.authenticators !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [rule.allow ? 'allow' : 'deny'],
        message: 'a rule that allows or denies everyone takes no authenticators or require',
      });
    }
    const tenant = rule.require?.tenant;
    const capture = tenant === undefined ? null : TENANT_TEMPLATE.exec(tenant);
    if (tenant?.includes('{') && capture === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['require', 'tenant'],
        message: 'must be a literal, {path.NAME}, {host.N} or {header.NAME}',
      });
    }
    if (capture?.[1] === 'host') {
      const stars = rule.host === undefined ? 0 : starCount(rule.host);
      const index = Number(capture[2]);
      if (!Number.isInteger(index) || index < 1 || index > stars) {
        ctx.addIssue({
          code: 'custom',
          path: ['require', 'tenant'],
          message: `{host.${capture[2]}} needs a host glob with at least ${capture[2]} star(s)`,
        });
      }
    }
    if (capture?.[1] === 'path') {
      const groups = rule.path_regex === undefined ? [] : namedGroups(rule.path_regex);
      if (!groups.includes(capture[2]!)) {
        ctx.addIssue({
          code: 'custom',
          path: ['require', 'tenant'],
          message: `{path.${capture[2]}} needs a path_regex with a named group (?<${capture[2]}>...)`,
        });
      }
    }
  });

export type RuleConfig = z.output<typeof ruleSchema>;

/**
 * The rule for a request no rule matches: what a rule says, without what it matches on. Its tenant can only be
 * a literal or `{header.NAME}` (it has no path_regex).
 */
export const defaultRuleSchema = z
  .strictObject({
    authenticators: z.array(z.enum(RULE_AUTHENTICATORS)).min(1).optional().meta({ description: 'As in a rule.' }),
    require: requireSchema.meta({ description: 'As in a rule.' }),
    allow: z.literal(true).optional().meta({ description: 'As in a rule.' }),
    deny: z.literal(true).optional().meta({ description: 'As in a rule.' }),
  })
  .transform((rule, ctx): RuleConfig => {
    const parsed = ruleSchema.safeParse({ name: 'default', ...rule });
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
      return z.NEVER;
    }
    return parsed.data;
  });

function namedGroups(source: string): string[] {
  return [...source.matchAll(/\(\?<([A-Za-z0-9_]+)>/g)].map((match) => match[1]!);
}
