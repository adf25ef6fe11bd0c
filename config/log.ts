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
