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

/** `--json` output: the API's answer as one JSON document on stdout (problems on stderr). */
export function printJson(io: { out(s: string): void }, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** A problem answer: lines for people, or the problem document itself with --json. */
export function printProblem(io: { err(s: string): void }, body: unknown, status: number, json: boolean | undefined): void {
  if (json) io.err(`${JSON.stringify(typeof body === 'object' && body ? body : { status, title: String(body ?? `HTTP ${status}`) })}\n`);
  else io.err(problemLines(body as Problem, status));
}

/** Variables from `--variables`: a JSON object, or @file naming a JSON file. */
export function parseVariables(raw: string | undefined, readFile: (file: string) => string): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  let text = raw;
  if (raw.startsWith('@')) {
    try {
      text = readFile(raw.slice(1));
    } catch (err) {
      throw new CliError(`--variables: cannot read ${raw.slice(1)} (${(err as Error).message})`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(`--variables: not JSON (${(err as Error).message})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new CliError('--variables: expected a JSON object such as {"customerId":"C-1"}');
  return value as Record<string, unknown>;
}

/**
 * Progress for a long call: a line to stderr every `everyMs` while the promise runs, so a 40 s
 * server-side run is not silent (and --json's stdout stays one document).
 */
export async function withProgress<T>(io: { err(s: string): void }, label: string, work: Promise<T>, everyMs = 5_000): Promise<T> {
  const started = Date.now();
  io.err(`${label}…\n`);
  const timer = setInterval(() => io.err(`  still ${label.toLowerCase()} (${Math.round((Date.now() - started) / 1000)} s)\n`), everyMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
