/**
 * What workers are given: the database, the engine, the clock and the delivery service. Built
 * once by the caller; nothing connects at import time.
 */
import type { Knex } from 'knex';
import type { Engine } from '../engine/types.js';
import type { DeliveryService } from './delivery/service.js';

export interface WorkerDeps {
  db: Knex;
  engine: Engine;
  now(): Date;
  /** Demo cadence: every dunning interval becomes this duration (e.g. PT5S). */
  demoInterval?: string;
  delivery?: DeliveryService;
  /** Who sends (named in every message) and where links point. */
  company?: { name: string; email: string; phone: string } | undefined;
  baseUrl?: string;
}
