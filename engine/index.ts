/**
 * createEngine: the embedded engine by default, Zeebe with ENGINE=zeebe.
 */
import type { Config } from '../config/index.js';
import type { Logger } from '../config/log.js';
import type { Db } from '../storage/db.js';
import type { Engine } from './types.js';
import { EmbeddedEngine } from './embedded/engine.js';
import { limitVariables } from './variable-limit.js';

export async function createEngine(config: Config, deps: { db: Db; logger: Logger }): Promise<Engine> {
  if (config.engine === 'zeebe') {
    const modulePath = './zeebe/index.js';
    const zeebe = (await import(modulePath)) as { createZeebeEngine(options: { logger?: Logger }): Engine };
    return limitVariables(zeebe.createZeebeEngine({ logger: deps.logger }), config.maxVariableBytes);
  }
  // variables over the limit are refused with a pointer to claim-check documents (docs/delivery.md)
  return limitVariables(new EmbeddedEngine({ db: deps.db, logger: deps.logger, pollInterval: config.jobPollMs }), config.maxVariableBytes);
}
