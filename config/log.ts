import { pino, type Logger } from 'pino';

export type { Logger };

/** One structured logger; components take a child with their own name. */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'herald' } });
}

export const silentLogger: Logger = pino({ level: 'silent' });
