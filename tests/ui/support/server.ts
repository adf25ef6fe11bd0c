/**
 * The real server in-process for browser tests: buildApp on port 0 over an EmbeddedEngine on
 * PGlite (it serves modeler/dist at /, built once if missing), the processes deployed, demo data,
 * templates and the demo people (with DEMO_PASSWORD) seeded. Every route the UI calls is the real
 * one. People sign in through the login form, as they would.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApp } from '../../../api/app.js';
import { loadConfig } from '../../../config/index.js';
import { createLogger } from '../../../config/log.js';
import { startPlatformWorkers } from '../../../workers/start.js';
import { EmbeddedEngine } from '../../../engine/embedded/index.js';
import { createDb, migrate, type Db } from '../../../storage/db.js';
import { seedDemoData } from '../../../storage/demo-data.js';
import { seedTemplateLibrary } from '../../../storage/templates.js';
import { seedDemoUsers } from '../../../storage/repositories/identity.js';

export const CHROMIUM = '/usr/bin/chromium';
export const outDir = path.resolve('test-output/ui');
export const DEMO_PASSWORD = 'ui-test-demo-password';
const SECRET = 'ui-test-secret';
/** Why browser tests cannot run here, or undefined when they can. CI must run them. */
export const skipReason = !fs.existsSync(CHROMIUM) && !process.env.CI ? `no ${CHROMIUM}; install Debian's chromium (apt-get install -y chromium) to run the browser tests` : undefined;

export interface UiServer {
  url: string;
  app: FastifyInstance;
  engine: EmbeddedEngine;
  db: Db;
  close(): Promise<void>;
}

/** True when modeler/dist is missing or older than a source file, so the tests never drive a stale UI. */
function bundleIsStale(): boolean {
  const dist = path.resolve('modeler/dist/index.html');
  if (!fs.existsSync(dist)) return true;
  const built = fs.statSync(dist).mtimeMs;
  const sources = [path.resolve('modeler/index.html'), path.resolve('modeler/vite.config.ts'), ...['modeler/src', 'modeler/element-templates'].flatMap((dir) => fs.readdirSync(path.resolve(dir), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)))];
  return sources.some((f) => fs.statSync(f).mtimeMs > built);
}

/** Builds the bundle when stale; one test file builds while the others (parallel workers) wait for it. */
async function buildBundleIfStale(): Promise<void> {
  const lock = path.resolve('modeler/.build-lock');
  for (let waited = 0; bundleIsStale(); waited += 500) {
    try {
      fs.mkdirSync(lock);
    } catch {
      if (waited > 180_000) throw new Error(`waited 3 minutes for another UI build; remove ${lock} if it is left over`);
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      if (bundleIsStale()) execFileSync('npx', ['vite', 'build', '--config', 'modeler/vite.config.ts', '--logLevel', 'error'], { stdio: 'inherit' });
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
}

export async function startUiServer(options: { processes?: string[]; fixtures?: string[]; workers?: boolean } = {}): Promise<UiServer> {
  await buildBundleIfStale();
  const db = createDb({});
  await migrate(db);
  await seedDemoData(db);
  await seedTemplateLibrary(db);
  await seedDemoUsers(db, SECRET, { password: DEMO_PASSWORD });
  const engine = new EmbeddedEngine({ db });
  await engine.start();
  const resources = [
    ...(options.processes ?? []).map((f) => path.resolve('processes', f)),
    ...(options.fixtures ?? []).map((f) => path.resolve('tests/ui/fixtures', f)),
  ].map((p) => ({ name: path.basename(p), content: fs.readFileSync(p) }));
  if (resources.length) await engine.deploy(resources);
  const logger = createLogger('warn');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-ui-'));
  const workers = options.workers ? startPlatformWorkers(loadConfig({ HERALD_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }), { engine, db, logger }) : undefined;
  const app = await buildApp({ engine, db, logger, secret: SECRET });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    app,
    engine,
    db,
    close: async () => {
      await app.close();
      await workers?.close();
      await engine.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
      await db.destroy();
    },
  };
}

export async function launch(): Promise<Browser> {
  fs.mkdirSync(outDir, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** What went wrong in each page: uncaught errors and Content-Security-Policy violations. */
export const browserProblems: string[] = [];

/** A fresh context (its own cookie jar) per user, signed in through the login form with the demo password. */
export async function signIn(browser: Browser, url: string, user: string): Promise<Page> {
  // a laptop screen
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => {
    browserProblems.push(`[${user}] ${err.message}`);
    console.error(`[browser ${user}]`, err.message);
  });
  page.on('console', (msg) => {
    if (/Content.Security.Policy/i.test(msg.text())) browserProblems.push(`[${user}] ${msg.text()}`);
  });
  await page.goto(`${url}/#/login`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#who').getByText('Sign out').waitFor();
  return page;
}

export const shot = (page: Page, name: string) => page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
