/**
 * A thin client for the Orchestration Cluster REST API (/v2), for what the gRPC gateway does
 * not offer: searches over secondary storage (process and element instances, variables,
 * incidents, user tasks), incident resolution, user-task completion, assignment and update, job
 * completion with a result (task listeners; @camunda8/sdk 8.8 sends none) and the clock.
 *
 * Authentication comes from the SDK's own header provider (OAuth, Basic, Bearer, Cookie or
 * none, as CAMUNDA_AUTH_STRATEGY and friends configure it), so REST and gRPC authenticate alike.
 * Search results are eventually consistent with the engine: Zeebe exports records to
 * secondary storage asynchronously.
 */
import { EngineError } from '../types.js';

export interface HeadersProvider {
  getHeaders(audience: 'ZEEBE'): Promise<Record<string, string>>;
}

export interface SearchPage<T> {
  items: T[];
  page?: { totalItems?: number; endCursor?: string | null };
}

export class RestClient {
  constructor(
    private readonly baseUrl: string,
    private readonly auth: HeadersProvider,
  ) {}

  private url(path: string): string {
    return `${this.baseUrl.replace(/\/+$/, '').replace(/\/v2$/, '')}/v2${path}`;
  }

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T | undefined> {
    const headers: Record<string, string> = { accept: 'application/json', ...(await this.auth.getHeaders('ZEEBE')) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.url(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new EngineError('UNAVAILABLE', `Orchestration Cluster REST API at ${this.baseUrl} is unreachable (${method} /v2${path}): ${(err as Error).message}`);
    }
    if (res.status === 204) return undefined;
    const text = await res.text();
    if (!res.ok) {
      const detail = problemDetail(text);
      const message = `${method} /v2${path} answered ${res.status}: ${detail}`;
      if (res.status === 404) throw new EngineError('NOT_FOUND', message);
      if (res.status === 400) throw new EngineError('INVALID_ARGUMENT', message);
      if (res.status === 409) throw new EngineError('INVALID_STATE', message);
      if (res.status === 503 || res.status === 502 || res.status === 429) throw new EngineError('UNAVAILABLE', message);
      throw new Error(message);
    }
    return text ? (JSON.parse(text) as T) : undefined;
  }

  /** Every item of a search, page by page (cursor pagination), up to `limit`. */
  async search<T>(resource: string, filter: Record<string, unknown>, options: { limit?: number; sort?: { field: string; order?: 'ASC' | 'DESC' }[] } = {}): Promise<T[]> {
    const limit = options.limit ?? 10_000;
    const items: T[] = [];
    let after: string | undefined;
    for (;;) {
      const pageSize = Math.min(1000, limit - items.length);
      const body: Record<string, unknown> = { filter: dropUndefined(filter), page: after ? { limit: pageSize, after } : { limit: pageSize } };
      if (options.sort) body.sort = options.sort;
      const res = await this.request<SearchPage<T>>('POST', `/${resource}/search`, body);
      const page = res?.items ?? [];
      items.push(...page);
      const cursor = res?.page?.endCursor ?? undefined;
      if (page.length < pageSize || items.length >= limit || !cursor) return items;
      after = cursor;
    }
  }
}

function problemDetail(text: string): string {
  try {
    const problem = JSON.parse(text) as { detail?: string; title?: string };
    return problem.detail ?? problem.title ?? text;
  } catch {
    return text || '(no body)';
  }
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
