/**
 * The Orchestration Cluster REST API (/v2) through Camunda's typed client,
 * @camunda8/orchestration-cluster-api, for what the gRPC gateway does not offer: searches over
 * secondary storage (process and element instances, variables, incidents, user tasks),
 * incident resolution, user-task completion, assignment and update, job completion with a
 * result (task listeners; @camunda8/sdk 8.8 sends none) and the clock.
 *
 * Authentication stays the SDK's own header provider (OAuth, Basic, Bearer, Cookie or none, as
 * CAMUNDA_AUTH_STRATEGY and friends configure it for gRPC): the typed client runs with its own
 * auth off and a fetch that adds those headers, so REST and gRPC authenticate alike.
 * Responses are checked against the client's schemas (generated from Camunda's 8.8 OpenAPI
 * document) before Herald reads them; see `restValidation`. Search results are eventually
 * consistent with the engine: Zeebe exports records to secondary storage asynchronously.
 */
import { createCamundaClient, EndCursor, type CamundaClient } from '@camunda8/orchestration-cluster-api';
import type { Logger } from '../../config/log.js';
import { EngineError } from '../types.js';

export interface HeadersProvider {
  getHeaders(audience: 'ZEEBE'): Promise<Record<string, string>>;
}

export type RestApi = CamundaClient;

/** A cursor-paged search result as the 8.8 API returns it. */
export interface SearchPage<T> {
  items?: T[];
  page?: { totalItems?: number; endCursor?: string };
}

/** The `page` of a search request: cursor pagination (`after` = the previous page's endCursor). */
export type PageRequest = { limit: number; after?: EndCursor };

type ItemOf<P> = P extends SearchPage<infer T> ? T : never;

/** The most items one search page may ask for (the 8.8 API's documented maximum is 10,000; Herald asks for 1,000). */
export const MAX_PAGE = 1000;

/** Searches read what secondary storage has now; Herald polls on its own schedule. */
export const NOW = { consistency: { waitUpToMs: 0 } } as const;

/**
 * The server answered something that does not match the API's schema (a version Herald does
 * not know, or a proxy in between). Not an EngineError: nothing the caller did caused it.
 */
export class ZeebeRestResponseError extends Error {
  constructor(
    readonly operation: string,
    message: string,
    readonly issues: unknown[] = [],
  ) {
    super(message);
    this.name = 'ZeebeRestResponseError';
  }
}

export interface ZeebeRestOptions {
  /** ZEEBE_REST_ADDRESS (with or without /v2). */
  restAddress: string;
  auth: HeadersProvider;
  /** CAMUNDA_SDK_VALIDATION's grammar (`req:<mode>,res:<mode>`); see restValidation. */
  validation: string;
  /** The typed client's own tuning (CAMUNDA_SDK_HTTP_RETRY_*, CAMUNDA_SDK_BACKPRESSURE_PROFILE, …). */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

/**
 * HERALD_ZEEBE_REST_VALIDATION, else CAMUNDA_SDK_VALIDATION, else `req:none,res:strict`: every
 * response is parsed against the client's schema, so a malformed answer fails with the field
 * named instead of reaching the port as undefined. `res:warn` only logs (for a cluster whose
 * patch release answers values this client does not know yet).
 */
export function restValidation(env: NodeJS.ProcessEnv): string {
  return env.HERALD_ZEEBE_REST_VALIDATION || env.CAMUNDA_SDK_VALIDATION || 'req:none,res:strict';
}

export class ZeebeRest {
  readonly api: RestApi;
  readonly baseUrl: string;

  constructor(options: ZeebeRestOptions) {
    this.baseUrl = withV2(options.restAddress);
    const auth = options.auth;
    const log = options.logger;
    const tuning = Object.fromEntries(Object.entries(options.env ?? {}).filter(([k, v]) => k.startsWith('CAMUNDA_SDK_') && v !== undefined));
    this.api = createCamundaClient({
      env: tuning,
      config: {
        CAMUNDA_REST_ADDRESS: this.baseUrl,
        CAMUNDA_AUTH_STRATEGY: 'NONE',
        CAMUNDA_SDK_VALIDATION: options.validation,
      } as never,
      fetch: async (input, init) => {
        const request = new Request(input, init);
        for (const [name, value] of Object.entries(await auth.getHeaders('ZEEBE'))) request.headers.set(name, value);
        return fetch(request);
      },
      log: {
        level: 'warn',
        transport: (e) => {
          if (!log || (e.level !== 'warn' && e.level !== 'error')) return;
          log[e.level]({ scope: e.scope, code: e.code, data: e.data }, `orchestration cluster client: ${e.args.map(String).join(' ')}`);
        },
      },
    });
  }

  /**
   * Runs one operation of the typed client; its failures become errors the port's callers can
   * act on (404 NOT_FOUND, 400 INVALID_ARGUMENT, 409 INVALID_STATE, 429/5xx and an unreachable
   * cluster UNAVAILABLE), each message naming the operation and what it was for.
   */
  async call<T>(operation: string, what: string, run: (api: RestApi) => PromiseLike<T>): Promise<T> {
    try {
      return await run(this.api);
    } catch (err) {
      throw this.toError(operation, what, err);
    }
  }

  /**
   * Every item of a search, page by page with the cursor the API hands back (`page.after` =
   * the previous `endCursor`), up to `limit` items. Stops on a short page or a missing cursor.
   */
  async all<P extends SearchPage<unknown>>(operation: string, what: string, search: (api: RestApi, page: PageRequest) => PromiseLike<P>, limit = 10_000): Promise<ItemOf<P>[]> {
    const items: ItemOf<P>[] = [];
    for await (const page of this.pages(operation, what, search, limit)) items.push(...page);
    return items;
  }

  /** The pages of a search, one at a time (callers that keep no more than a page in memory). */
  async *pages<P extends SearchPage<unknown>>(operation: string, what: string, search: (api: RestApi, page: PageRequest) => PromiseLike<P>, limit = Infinity): AsyncGenerator<ItemOf<P>[]> {
    let after: EndCursor | undefined;
    let seen = 0;
    while (seen < limit) {
      const size = Math.min(MAX_PAGE, limit - seen);
      const res = await this.call(operation, what, (api) => search(api, after ? { limit: size, after } : { limit: size }));
      const items = (res?.items ?? []) as ItemOf<P>[];
      seen += items.length;
      if (items.length > 0) yield items;
      const cursor = res?.page?.endCursor;
      if (items.length < size || !cursor) return;
      after = EndCursor.assumeExists(cursor);
    }
  }

  private toError(operation: string, what: string, err: unknown): Error {
    if (err instanceof EngineError || err instanceof ZeebeRestResponseError) return err;
    const e = err as { name?: string; status?: number; title?: string; detail?: string; message?: string; side?: string; summary?: string; issues?: unknown[]; cause?: { code?: string; message?: string } };
    const where = `${operation} (${what}) at ${this.baseUrl}`;
    // The client throws a CamundaValidationError, or (when its logger formats the failure) a plain
    // Error 'Invalid <operation> <side>: …' carrying the same issue lines.
    const invalid = e?.name === 'CamundaValidationError' ? e.side : /^Invalid \w+ (request|response)\b/.exec(e?.message ?? '')?.[1];
    if (invalid && Array.isArray(e.issues)) {
      const issues = e.issues.slice(0, 5).map(String).join('; ') + (e.issues.length > 5 ? `; and ${e.issues.length - 5} more` : '');
      if (invalid === 'response') {
        return new ZeebeRestResponseError(operation, `${where} answered a response that does not match the Orchestration Cluster API 8.8: ${issues}`, e.issues);
      }
      return new EngineError('INVALID_ARGUMENT', `${where}: the request does not match the Orchestration Cluster API 8.8: ${issues}`);
    }
    const status = typeof e?.status === 'number' ? e.status : undefined;
    if (status !== undefined) {
      const detail = e.detail ?? e.title ?? e.message ?? '(no detail)';
      const message = `${where} answered ${status}: ${detail}`;
      if (status === 404) return new EngineError('NOT_FOUND', message);
      if (status === 400) return new EngineError('INVALID_ARGUMENT', message);
      if (status === 409) return new EngineError('INVALID_STATE', message);
      if (status === 429 || status === 502 || status === 503 || status === 504) return new EngineError('UNAVAILABLE', message);
      return new Error(message);
    }
    if (e?.name === 'TypeError' || e?.cause?.code) {
      return new EngineError('UNAVAILABLE', `Orchestration Cluster REST API at ${this.baseUrl} is unreachable (${operation}, ${what}): ${e.cause?.message ?? e.message}`);
    }
    return err instanceof Error ? err : new Error(`${where} failed: ${String(err)}`);
  }
}

/**
 * A key as the typed client's branded type; a value that is not one (not digits, too long)
 * is refused here, naming the field, instead of reaching the cluster.
 */
export function asKey<K>(lifter: { assumeExists(value: string): K }, value: string, field: string): K {
  try {
    return lifter.assumeExists(String(value));
  } catch {
    throw new EngineError('INVALID_ARGUMENT', `'${value}' is not a valid ${field} (Zeebe keys are decimal numbers)`, { field });
  }
}

/** The typed client wants the /v2 base; ZEEBE_REST_ADDRESS is usually given without it. */
export function withV2(address: string): string {
  const trimmed = address.replace(/\/+$/, '');
  return /\/v2$/.test(trimmed) ? trimmed : `${trimmed}/v2`;
}
