/**
 * `npm start`: Herald in one process on embedded defaults (embedded engine, PGlite under
 * ./data, file outbox, in-process queue), demo data seeded, UI and API on one port.
 * `npm run api` / `npm run workers` start one half each (HERALD_ROLE), to scale out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config/index.js';
import { createLogger } from '../config/log.js';
import { createEngine } from '../engine/index.js';
import { openDatabase } from '../storage/db.js';
import { buildApp } from './app.js';
import { brandFromSender } from '../workers/message-data.js';
import { seedDemo } from './demo.js';
import { seedDemoUsers } from '../storage/repositories/identity.js';
import { demoPassword } from '../domain/identity/index.js';
import { startPlatformWorkers } from '../workers/start.js';
import { startInboundEmail } from '../workers/inbound-email/index.js';
import { requestService } from '../storage/requests.js';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`herald: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  logger.info({ engine: config.engine, database: config.databaseUrl ? 'postgres' : `pglite (${config.dataDir})`, role: config.role }, 'starting Herald');
  if (!config.databaseUrl && !fs.existsSync(path.join(config.dataDir, 'pgdata'))) {
    logger.info({ dataDir: config.dataDir }, 'first start: creating the embedded Postgres (PGlite) data folder, about 15 s');
  }
  const db = await openDatabase(config);
  const engine = await createEngine(config, { db, logger });
  await engine.start();
  const processesDir = path.resolve('processes');
  if (config.role !== 'workers' && fs.existsSync(processesDir)) {
    const resources = fs
      .readdirSync(processesDir)
      .filter((f) => /\.(bpmn|dmn|form)$/.test(f))
      .map((f) => ({ name: f, content: fs.readFileSync(path.join(processesDir, f)) }));
    if (resources.length) {
      const deployment = await engine.deploy(resources);
      logger.info({ processes: deployment.processes.map((p) => `${p.bpmnProcessId} v${p.version}`) }, 'processes deployed');
    }
  }
  const running = config.role !== 'api' ? startPlatformWorkers(config, { engine, db, logger }) : undefined;
  // customer email in: replies to Herald's messages and new requests, over SMTP
  const inbound =
    config.role !== 'api' && config.inboundSmtpPort
      ? await startInboundEmail({ db, service: requestService({ db, engine, now: () => new Date() }), log: logger.child({ component: 'inbound-email' }), host: config.host, port: config.inboundSmtpPort })
      : undefined;
  if (inbound) logger.info({ port: inbound.port }, 'inbound email: SMTP listener started');
  // the demo people exist before the demo's approvers act through the tasklist; their password is
  // HERALD_DEMO_PASSWORD, else derived from HERALD_SECRET (stable across restarts)
  const password = process.env.HERALD_DEMO_PASSWORD || demoPassword(config.secret);
  const people = config.demo && config.role !== 'workers' ? await seedDemoUsers(db, config.secret, { password }) : [];
  if (config.demo && config.role === 'all') await seedDemo({ engine, db, logger, interval: config.demoInterval });
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  if (config.role !== 'workers') {
    app = await buildApp({
      engine,
      db,
      logger,
      secret: config.secret,
      // the periodic audit checkpoint runs where the API runs, and stops when the app closes
      audit: { checkpointDir: config.auditCheckpointDir, checkpointEverySeconds: config.auditCheckpointSeconds },
      authFailureLimit: { max: config.authFailureLimit, timeWindow: config.authFailureWindowMs },
      diagramLimits: { timeBudgetMs: config.diagramTimeBudgetMs, maxElements: config.diagramMaxElements },
      messages: { baseUrl: config.baseUrl, company: brandFromSender(config.fromAddress) },
    });
    await app.listen({ port: config.port, host: config.host });
    logger.info(`Herald is running at http://${config.host}:${config.port}  (API docs at /docs)`);
    if (config.demo) {
      const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
      console.log(`\nHerald's web UI: ${base}/  Sign in as one of the demo people below with the password: ${password}`);
      console.log(`(HERALD_DEMO_PASSWORD sets it. API tokens derive from HERALD_SECRET; act as someone with the Authorization header.)`);
      for (const { user, token } of people) console.log(`  ${user.id.padEnd(10)} ${user.roles.join(',').padEnd(13)} ${token}`);
      console.log(`  e.g. curl -H "Authorization: Bearer ${people.find((p) => p.user.id === 'sam')!.token}" ${base}/api/tasks\n`);
    }
  }
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await app?.close();
    await running?.close();
    await inbound?.close();
    await engine.stop();
    await db.destroy();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
