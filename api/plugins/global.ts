import type { FastifyPluginAsync } from 'fastify';

/** Marks a plugin as not encapsulated (what fastify-plugin does), so its decorations and hooks reach the whole app. */
export function global<T extends FastifyPluginAsync<never>>(plugin: T): T {
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
}
