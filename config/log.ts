import { pino, type Logger } from 'pino';

export type { Logger };

/** One structured logger; components take a child with their own name. */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'herald' } });
}

export const silentLogger: Logger = pino({ level: 'silent' });

export interface RepeatedErrors {
  /** Reports one failure: the first is logged at once, repeats are counted. */
  error(err: unknown): void;
  /** Reports a success: logs the recovery (with the count) when there were failures. */
  ok(): void;
  /** Logs what is still counted and stops the timer. */
  close(): void;
}

/**
 * Collapses a storm of the same error (a dependency down: Redis refusing connections while a
 * client reconnects every few hundred ms) into one warn line when it starts, one line with a
 * count per `intervalMs` while it lasts, and one info line when it ends, each without a stack.
 */
export function repeatedErrors(log: Logger, what: string, intervalMs = 30_000): RepeatedErrors {
  let failing = false;
  let total = 0;
  let sinceReport = 0;
  let last = '';
  let timer: NodeJS.Timeout | undefined;
  const report = () => {
    if (sinceReport > 0) log.warn({ dependency: what, count: sinceReport, total, err: last }, `${what}: still failing (${sinceReport} more errors in ${Math.round(intervalMs / 1000)} s)`);
    sinceReport = 0;
  };
  return {
    error(err) {
      const message = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message}` : String(err);
      total++;
      last = message;
      if (!failing) {
        failing = true;
        log.warn({ dependency: what, err: message }, `${what}: ${message}; repeats are counted, not logged one by one`);
        timer = setInterval(report, intervalMs);
        timer.unref();
        return;
      }
      sinceReport++;
    },
    ok() {
      if (!failing) return;
      report();
      log.info({ dependency: what, total }, `${what}: recovered after ${total} errors`);
      failing = false;
      total = 0;
      clearInterval(timer);
    },
    close() {
      report();
      clearInterval(timer);
    },
  };
}

const CONNECTION_CODES = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)\b/;

/**
 * Libraries that find no 'error' listener print connection errors themselves, one stack trace per
 * reconnect (ioredis: "[ioredis] Unhandled error event", BullMQ's queues and workers: the Error):
 * with Redis down that is thousands of lines a minute. This routes exactly those console.error
 * calls through repeatedErrors, one per target address; every other console.error passes as it
 * was. Returns the function that restores console.error.
 */
export function collapseConnectionErrors(log: Logger, intervalMs = 30_000): () => void {
  const original = console.error;
  const byTarget = new Map<string, RepeatedErrors>();
  const classify = (args: unknown[]): { target: string; err: string } | undefined => {
    const [first, second] = args;
    let text: string | undefined;
    if (first instanceof Error) text = `${(first as NodeJS.ErrnoException).code ?? ''} ${first.message}`;
    else if (typeof first === 'string' && first.startsWith('[ioredis] Unhandled error event')) text = String(second ?? '').split('\n')[0];
    if (!text || !CONNECTION_CODES.test(text)) return undefined;
    const address = /(\d{1,3}(?:\.\d{1,3}){3}:\d+|\[[0-9a-f:]+\]:\d+|[\w.-]+:\d+)\s*$/i.exec(text.trim())?.[1] ?? 'unknown address';
    return { target: address, err: text.trim() };
  };
  console.error = (...args: unknown[]) => {
    const hit = classify(args);
    if (!hit) return original.apply(console, args);
    let errors = byTarget.get(hit.target);
    if (!errors) byTarget.set(hit.target, (errors = repeatedErrors(log, `connection to ${hit.target}`, intervalMs)));
    errors.error(hit.err);
  };
  return () => {
    console.error = original;
    for (const errors of byTarget.values()) errors.close();
  };
}
