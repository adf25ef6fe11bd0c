/** POST JSON to a provider and classify the outcome: 5xx, 408, 429 and network errors retry; other 4xx do not. */
import { DeliveryError } from './errors.js';
import type { Channel } from './types.js';

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal }) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** True when the error says the connection was refused (nothing was sent); fetch wraps it in `cause`. */
export function connectionRefused(e: unknown): boolean {
  const seen = new Set<unknown>();
  const walk = (x: unknown): boolean => {
    if (!x || typeof x !== 'object' || seen.has(x)) return false;
    seen.add(x);
    const err = x as { code?: unknown; originalCode?: unknown; cause?: unknown; errors?: unknown[] };
    if (err.code === 'ECONNREFUSED' || err.originalCode === 'ECONNREFUSED') return true;
    return walk(err.cause) || (Array.isArray(err.errors) && err.errors.length > 0 && err.errors.every(walk));
  };
  return walk(e);
}

export async function postJson(
  channel: Channel,
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { fetch?: FetchLike; timeoutMs?: number },
): Promise<{ status: number; body: string }> {
  const doFetch = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
  let res: Awaited<ReturnType<FetchLike>>;
  try {
    res = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
  } catch (e) {
    // refused: the request never reached the provider; anything else (a timeout, a reset) may have reached it
    const refused = connectionRefused(e);
    throw new DeliveryError(`${channel} provider unreachable at ${new URL(url).host}: ${(e as Error).message}`, channel, true, { code: refused ? 'REFUSED' : 'NETWORK', cause: e, ambiguous: !refused });
  }
  const text = await res.text().catch(() => '');
  if (res.status >= 200 && res.status < 300) return { status: res.status, body: text };
  const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
  throw new DeliveryError(`${channel} provider answered ${res.status}: ${text.slice(0, 200)}`, channel, retryable, {
    status: res.status,
    code: retryable ? 'PROVIDER_TEMPORARY' : 'PROVIDER_REJECTED',
    retryAfterMs: retryAfterMs(res.headers.get('retry-after'), Date.now()),
  });
}
