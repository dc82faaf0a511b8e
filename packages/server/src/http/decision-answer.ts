import type { ServerResponse } from 'node:http';
import type { Principal } from '@warden/sdk';
import type { FastifyReply } from 'fastify';
import type { Decision } from '../authz/decide.js';
import { type HeaderTemplates, renderHeaderTemplates } from '../rules/header-templates.js';
import { denyBody, wwwAuthenticate } from './deny-response.js';
import { identityHeaders } from './identity-headers.js';

/** A decision rendered for the wire: the same bytes whichever entry point answers. */
export interface DecisionAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Principals are frozen and shared through the key cache, so the allow answer for one (identity headers and
 * the principal as JSON) is rendered once and reused: the hot path does no serialization.
 */
const allowAnswers = new WeakMap<Principal, DecisionAnswer>();
/** The same per rule with header templates, whose answers also carry the rule's headers. */
const allowAnswersByTemplates = new WeakMap<HeaderTemplates, WeakMap<Principal, DecisionAnswer>>();

function allowAnswer(principal: Principal, templates: HeaderTemplates | undefined): DecisionAnswer {
  let answers = allowAnswers;
  if (templates !== undefined) {
    let forRule = allowAnswersByTemplates.get(templates);
    if (forRule === undefined) {
      forRule = new WeakMap();
      allowAnswersByTemplates.set(templates, forRule);
    }
    answers = forRule;
  }
  let answer = answers.get(principal);
  if (!answer) {
    const body = JSON.stringify(principal);
    answer = {
      status: 200,
      headers: {
        ...(templates === undefined ? {} : renderHeaderTemplates(templates, principal)),
        ...identityHeaders(principal),
        'content-type': JSON_TYPE,
        'cache-control': 'no-store',
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    };
    answers.set(principal, answer);
  }
  return answer;
}

/**
 * Denials are rendered once per (status, code, message) too: a flood of bad credentials must cost no more than
 * good traffic. Messages come from a small set (fixed reasons, and scope lists of configured requirements); the
 * map is bounded all the same, and past the bound an answer is rendered per request.
 */
const denyAnswers = new Map<string, DecisionAnswer>();
const MAX_DENY_ANSWERS = 1024;

function denyAnswer(decision: Extract<Decision, { allow: false }>): DecisionAnswer {
  // A redirect names the page the browser asked for: rendered for each request, never shared.
  if (decision.location !== undefined) {
    const answer = renderDenial(decision);
    answer.headers.location = decision.location;
    return answer;
  }
  const key = `${decision.status} ${decision.code} ${decision.message}`;
  let answer = denyAnswers.get(key);
  if (answer === undefined) {
    answer = renderDenial(decision);
    if (denyAnswers.size < MAX_DENY_ANSWERS) denyAnswers.set(key, answer);
  }
  return answer;
}

export function decisionAnswer(decision: Decision): DecisionAnswer {
  return decision.allow ? allowAnswer(decision.principal, decision.headerTemplates) : denyAnswer(decision);
}

function renderDenial(decision: Extract<Decision, { allow: false }>): DecisionAnswer {
  const body = denyBody(decision.code, decision.message);
  const headers: Record<string, string> = {
    'content-type': JSON_TYPE,
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(body)),
  };
  if (decision.status === 401 || decision.status === 403) {
    headers['www-authenticate'] = wwwAuthenticate(decision.code, decision.message);
  }
  if (decision.status === 503) headers['retry-after'] = '1';
  return { status: decision.status, headers, body };
}

/** Writes a decision on a raw response in one write (status line, headers and body together). */
export function writeDecision(response: ServerResponse, decision: Decision): void {
  const { status, headers, body } = decisionAnswer(decision);
  response.writeHead(status, headers).end(body);
}

/** Sends a decision through Fastify (admin guard, in-process plugin). */
export function sendDecision(reply: FastifyReply, decision: Decision): FastifyReply {
  const { status, headers, body } = decisionAnswer(decision);
  return reply.code(status).headers(headers).send(body);
}
