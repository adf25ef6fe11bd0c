/**
 * Serves the web UI bundle (modeler/dist, built by `npm run build:ui`, which `npm install` runs)
 * at `/`. Hashed assets are cached for a year; index.html never, so a new build shows at once.
 * Without a bundle, `/` says how to build one instead of a bare 404.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export interface UiOptions {
  /** The built bundle; modeler/dist beside this repository by default. */
  root?: string;
}

const defaultRoot = fileURLToPath(new URL('../../modeler/dist', import.meta.url));

export async function uiPlugin(app: FastifyInstance, opts: UiOptions = {}): Promise<void> {
  const root = path.resolve(opts.root ?? defaultRoot);
  const index = path.join(root, 'index.html');
  if (!fs.existsSync(index)) {
    app.log.warn({ root }, 'UI bundle not found; run `npm run build:ui`');
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send('<!doctype html><title>Herald</title><h1>Herald</h1><p>The web UI is not built. Run <code>npm run build:ui</code> (or <code>npm install</code>) and reload. The API is at <a href="/docs">/docs</a>.</p>'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: false,
    wildcard: false,
    decorateReply: false,
    // every file but index.html (served below) is content-hashed by the build
    maxAge: '365d',
    immutable: true,
  });
  const html = () => fs.readFileSync(index);
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html()));
}

// skip-override: the routes belong to the root app, not an encapsulated child
(uiPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
