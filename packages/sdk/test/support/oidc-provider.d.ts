// oidc-provider ships no type declarations; this covers the part of its API the tests use.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface Grant {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }
  interface AccessToken {
    expiration: number;
    save(): Promise<string>;
  }
  interface InteractionDetails {
    uid: string;
    prompt: { name: string; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId: string };
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    registerGrantType(name: string, handler: (ctx: never) => Promise<void>, params?: string[]): void;
    on(event: string, listener: (...args: unknown[]) => void): this;
    Grant: new (properties: {
      accountId: string;
      clientId: string;
    }) => Grant;
    AccessToken: new (
      properties: Record<string, unknown>,
    ) => AccessToken;
    Client: unknown;
  }
}
