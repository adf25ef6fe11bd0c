/**
 * ENGINE=zeebe: the Engine port on a Camunda 8 cluster (see docs/zeebe.md).
 * Importing this module opens nothing; the clients are created by start() or the first call.
 */
import type { Logger } from '../../config/log.js';
import type { Engine } from '../types.js';
import { ZeebeEngine } from './engine.js';

export { ZeebeEngine, type ZeebeEngineOptions } from './engine.js';

export function createZeebeEngine(options: { logger?: Logger; env?: NodeJS.ProcessEnv; address?: string } = {}): Engine {
  return new ZeebeEngine(options);
}
