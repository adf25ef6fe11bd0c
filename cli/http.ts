/**
 * The CLI's way to a running Herald: HERALD_URL (default http://127.0.0.1:3000) with the API
 * token in HERALD_TOKEN. Answers come back parsed; problem+json stays a value to print.
 */
export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

export interface Problem {
  title: string;
  status: number;
  rule?: string;
  field?: string;
  errors?: { resource?: string; elementId: string | null; rule: string; message: string }[];
  warnings?: { resource?: string; elementId: string | null; rule: string; message: string }[];
}

export class CliError extends Error {}

export function target(env: NodeJS.ProcessEnv = process.env): { url: string; token: string } {
  const token = env.HERALD_TOKEN;
  if (!token) throw new CliError('set HERALD_TOKEN to an API token (herald signs in with it as you)');
  return { url: (env.HERALD_URL || 'http://127.0.0.1:3000').replace(/\/+$/, ''), token };
}

export async function call<T = unknown>(method: string, path: string, body?: unknown, env: NodeJS.ProcessEnv = process.env): Promise<ApiAnswer<T>> {
  const { url, token } = target(env);
  let res: Response;
  try {
    res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new CliError(`cannot reach Herald at ${url} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}); set HERALD_URL`);
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed as T };
}

/** One line per problem: the title, then each lint error or warning on its own line. */
export function problemLines(p: Problem | string | undefined, status: number): string {
  if (!p || typeof p === 'string') return `HTTP ${status}${p ? `: ${p}` : ''}\n`;
  const lines = [`${p.title}${p.rule ? ` [${p.rule}]` : ''}${p.field ? ` (${p.field})` : ''}`];
  for (const e of p.errors ?? []) lines.push(`  error    ${[e.resource, e.elementId].filter(Boolean).join(' ')}: ${e.message} (${e.rule})`);
  for (const w of p.warnings ?? []) lines.push(`  warning  ${[w.resource, w.elementId].filter(Boolean).join(' ')}: ${w.message} (${w.rule})`);
  return `${lines.join('\n')}\n`;
}
