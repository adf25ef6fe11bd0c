/**
 * The one HTTP client: JSON in and out, the session cookie on every call (same origin), and
 * application/problem+json turned into an ApiProblem whose message a person can act on. A 401
 * means the session ended: the UI forgets the user and shows the sign-in form.
 */
import { session } from './session.js';

export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly body: Record<string, unknown>,
  ) {
    super(title);
  }
  /** The SoD rule named by a 403 refusal, when there is one. */
  get rule(): string | undefined {
    const r = this.body.rule;
    return typeof r === 'string' ? r : undefined;
  }
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const data = text ? safeJson(text) : undefined;
  if (!res.ok) {
    const problem = (data && typeof data === 'object' ? data : { title: text || res.statusText }) as Record<string, unknown>;
    if (res.status === 401 && session.current && path !== '/api/session') {
      session.set(undefined);
      location.hash = '#/login';
    }
    throw new ApiProblem(res.status, String(problem.title ?? res.statusText), problem);
  }
  return data as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);
