import type { Command } from 'commander';
import type { RequestAttributes } from '../authn/types.js';
import { WardenError } from '../errors/warden-error.js';
import { normalizePath } from '../rules/normalize-path.js';
import { collect, type StoreOptions, type StoreUse, withEngine, withStoreOptions } from './common.js';
import { printNegativeResult, printResult, runCommand } from './output.js';

interface RulesTestOptions extends StoreOptions {
  method: string;
  url: string;
  header?: string[];
}

const USE: StoreUse = { command: 'rules test', mayCreate: false };

/**
 * The request `rules test` decides on. The URL's path is kept as typed (`new URL` would resolve `/a/../b` and
 * hide what the rules do with it); a header is `Name: value`.
 */
export function requestAttributes(method: string, url: string, headers: readonly string[]): RequestAttributes {
  const match = /^https?:\/\/([^/?#]+)(.*)$/i.exec(url);
  if (match === null) throw new WardenError('invalid_request', '--url: must be an absolute http(s) URL');
  if (!/^[A-Za-z]+$/.test(method))
    throw new WardenError('invalid_request', '--method: must be a method name such as GET');
  const parsed: RequestAttributes['headers'] = {};
  for (const [index, header] of headers.entries()) {
    const colon = header.indexOf(':');
    const name = colon > 0 ? header.slice(0, colon).trim().toLowerCase() : '';
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      throw new WardenError(
        'invalid_request',
        `--header: value ${index + 1} of ${headers.length} must be "Name: value"`,
      );
    }
    const value = header.slice(colon + 1).trim();
    const previous = parsed[name];
    parsed[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  const [, host, rest] = match as unknown as [string, string, string];
  return {
    method: method.toUpperCase(),
    host: host.toLowerCase(),
    path: rest === '' ? '/' : rest,
    headers: parsed,
    peer: '127.0.0.1',
  };
}

function authenticatorList(rule: { authenticators?: string | string[]; anonymous?: boolean }): string {
  const kinds = Array.isArray(rule.authenticators) ? rule.authenticators.join(', ') : 'all';
  return rule.anonymous ? `${kinds}, anonymous` : kinds;
}

export function registerRulesCommands(program: Command): void {
  const rules = program.command('rules').description('access rules');
  withStoreOptions(
    rules
      .command('test')
      .description('decide on a request with the configured rules and store, without a server; exit 1 on deny')
      .requiredOption('--method <method>', 'the request method')
      .requiredOption('--url <url>', 'the request URL, as the client sends it')
      .option('--header <header>', '"Name: value" (repeatable)', collect),
  ).action(async (options: RulesTestOptions) =>
    runCommand(async () => {
      const attributes = requestAttributes(options.method, options.url, options.header ?? []);
      const answer = await withEngine(options, USE, async (warden) => {
        const rule = warden.matchRule(attributes);
        const authentication = await warden.authenticate(attributes);
        const decision = await warden.decide(attributes);
        return {
          request: { method: attributes.method, host: attributes.host, path: normalizePath(attributes.path) },
          rule:
            rule.verdict === 'no_rule'
              ? { name: null, verdict: 'deny', reason: rule.reason }
              : rule.verdict === 'authenticate'
                ? {
                    name: rule.name,
                    verdict: 'authenticate',
                    authenticators: rule.authenticators === null ? 'all' : [...rule.authenticators],
                    anonymous: rule.anonymous,
                    requirements: rule.requirements,
                  }
                : { name: rule.name, verdict: rule.verdict },
          // What the credential proves on its own, whatever the rule accepts.
          authentication: authentication.ok
            ? { ok: true, kind: authentication.principal.credential.kind, subject: authentication.principal.subject }
            : { ok: false, code: authentication.code },
          decision: decision.allow
            ? { allow: true, status: 200, subject: decision.principal.subject }
            : { allow: false, status: decision.status, code: decision.code, message: decision.message },
        };
      });
      const human = () =>
        [
          `request         ${answer.request.method} ${answer.request.host} ${answer.request.path ?? '(malformed path)'}`,
          `rule            ${answer.rule.name ?? '(none)'}: ${answer.rule.verdict}${'reason' in answer.rule ? ` (${answer.rule.reason})` : ''}`,
          ...(answer.rule.verdict === 'authenticate' ? [`authenticators  ${authenticatorList(answer.rule)}`] : []),
          `credential      ${answer.authentication.ok ? `${answer.authentication.kind}: valid (${answer.authentication.subject})` : answer.authentication.code}`,
          `decision        ${answer.decision.allow ? `allow (${answer.decision.subject})` : `deny ${answer.decision.status} ${answer.decision.code}: ${answer.decision.message}`}`,
        ].join('\n');
      if (answer.decision.allow) printResult(Boolean(options.json), answer, human);
      else if (options.json) printNegativeResult(true, answer, human);
      else {
        process.stdout.write(`${human()}\n`);
        process.exitCode = 1;
      }
    }, Boolean(options.json)),
  );
}
