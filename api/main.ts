/**
 * `npm start`: Herald in one process on embedded defaults (embedded engine, PGlite under
 * ./data, file outbox, in-process queue), demo data seeded, UI and API on one port.
 * `npm run api` / `npm run workers` start one half each (HERALD_ROLE), to scale out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config/index.js';
import { collapseConnectionErrors, createLogger, type Logger } from '../config/log.js';
import { createEngine } from '../engine/index.js';
import { openDatabase } from '../storage/db.js';
import { buildApp } from './app.js';
import { createDocumentStore } from '../services/document-stores/index.js';
import { createObservability } from './observability/metrics.js';
import { brandFromSender } from '../workers/message-data.js';
import { seedDemo } from './demo.js';
import { seedDemoUsers } from '../storage/repositories/identity.js';
import { createAuditRepository } from '../storage/repositories/audit.js';
import { demoPassword } from '../domain/identity/index.js';
import { startPlatformWorkers } from '../workers/start.js';
import { requestService } from '../services/requests.js';

async function main() {
  // where start-up time goes, logged with the line that says Herald runs (docs/operations.md)
  const phases: Record<string, number> = { imports: Math.round(performance.now()) };
  let mark = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round(now - mark);
    mark = now;
  };
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
  // with Redis down, its clients' reconnect errors become a few lines with counts, not a stack trace each
  collapseConnectionErrors(logger.child({ component: 'connections' }));
  logger.info({ engine: config.engine, database: config.databaseUrl ? 'postgres' : `pglite (${config.dataDir})`, role: config.role }, 'starting Herald');
  if (!config.databaseUrl && !fs.existsSync(path.join(config.dataDir, 'pgdata'))) {
    logger.info({ dataDir: config.dataDir }, 'first start: creating the embedded Postgres (PGlite) data folder, about 15 s');
  }
  const db = await openDatabase(config);
  phase('database');
  // every engine command timed, every job outcome counted, failures and incidents logged at warn
  const observability = createObservability({ db, logger });
  const engine = observability.instrument(await createEngine(config, { db, logger }));
  await engine.start();
  phase('engine');
  const processesDir = path.resolve('processes');
  if (config.role !== 'workers' && fs.existsSync(processesDir)) {
    const resources = fs
      .readdirSync(processesDir)
      .filter((f) => /\.(bpmn|dmn|form)$/.test(f))
      .map((f) => ({ name: f, content: fs.readFileSync(path.join(processesDir, f)) }));
    if (resources.length) {
      const deployment = await engine.deploy(resources);
      logger.info({ processes: deployment.processes.map((p) => `${p.bpmnProcessId} v${p.version}`) }, 'processes deployed');
      // bootstrapping processes/ is the system's own deployment, on the record; every later one is a reviewed draft
      await createAuditRepository(db).append({
        actor: 'system',
        action: 'process.bootstrap',
        subjectType: 'deployment',
        subjectId: deployment.deploymentKey,
        outcome: 'done',
        detail: { resources: resources.map((r) => r.name), processes: deployment.processes.map((p) => ({ bpmnProcessId: p.bpmnProcessId, version: p.version, duplicate: p.duplicate })), decisions: deployment.decisions.map((d) => ({ decisionId: d.decisionId, version: d.version, duplicate: d.duplicate })) },
      });
    }
  }
  phase('deploy');
  const password = process.env.HERALD_DEMO_PASSWORD || demoPassword(config.secret);
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  if (config.role !== 'workers') {
    app = await buildApp({
      engine,
      db,
      logger,
      secret: config.secret,
      observability,
      redisUrl: config.redisUrl,
      readyMaxLagMs: config.readyMaxLagMs,
      shedLoadLagMs: config.shedLoadLagMs,
      // the periodic audit checkpoint runs where the API runs, and stops when the app closes
      audit: { checkpointDir: config.auditCheckpointDir, checkpointEverySeconds: config.auditCheckpointSeconds },
      authFailureLimit: { max: config.authFailureLimit, timeWindow: config.authFailureWindowMs },
      diagramLimits: { timeBudgetMs: config.diagramTimeBudgetMs, maxElements: config.diagramMaxElements },
      messages: { baseUrl: config.baseUrl, company: brandFromSender(config.fromAddress) },
      documentStore: await createDocumentStore(config, db),
      maxUploadBytes: config.maxUploadBytes,
    });
    phase('app');
    await app.listen({ port: config.port, host: config.host });
    phase('listen');
    logger.info({ startMs: Math.round(performance.now()), phases }, `Herald is running at http://${config.host}:${config.port}  (API docs at /docs)`);
  }
  // the job workers start once the server listens: with PGlite every poll runs on this thread, and
  // 27 workers polling while the app is built doubled the start
  const running = config.role !== 'api' ? startPlatformWorkers(config, { engine, db, logger }) : undefined;
  observability.observeQueue(running?.queue);
  observability.observeProviders(running ? () => running.delivery.providerStates() : undefined);
  // customer email in: replies to Herald's messages and new requests, over SMTP (its SMTP server
  // and mail parser load only when it is on)
  const inbound =
    config.role !== 'api' && config.inboundSmtpPort
      ? await (await import('../workers/inbound-email/index.js')).startInboundEmail({ db, service: requestService({ db, engine, now: () => new Date() }), log: logger.child({ component: 'inbound-email' }), host: config.host, port: config.inboundSmtpPort })
      : undefined;
  if (inbound) logger.info({ port: inbound.port }, 'inbound email: SMTP listener started');
  if (config.role === 'workers') logger.info({ startMs: Math.round(performance.now()), phases }, 'Herald workers are running');
  shutdownSeconds = config.shutdownTimeout;
  shutdownLog = logger;
  stopping = async () => {
    // stop taking work: the server refuses new requests (503) and closes idle connections while
    // in-flight requests finish; workers stop polling and let running handlers finish (a job
    // whose handler outlives the deadline is handed back by its lock timing out: at-least-once)
    await Promise.all([app?.close(), running?.close(), inbound?.close()]);
    await engine.stop();
    await db.destroy();
  };
  // the demo people exist before the demo's approvers act through the tasklist; their password is
  // HERALD_DEMO_PASSWORD, else derived from HERALD_SECRET (stable across restarts)
  const people = config.demo && config.role !== 'workers' ? await seedDemoUsers(db, config.secret, { password }) : [];
  if (config.demo && people.length) {
    const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
    console.log(`\nHerald's web UI: ${base}/  Sign in as one of the demo people below with the password: ${password}`);
    console.log(`(HERALD_DEMO_PASSWORD sets it. API tokens derive from HERALD_SECRET; act as someone with the Authorization header.)`);
    for (const { user, token } of people) console.log(`  ${user.id.padEnd(10)} ${user.roles.join(',').padEnd(13)} ${token}`);
    console.log(`  e.g. curl -H "Authorization: Bearer ${people.find((p) => p.user.id === 'sam')!.token}" ${base}/api/tasks\n`);
  }
  // the demo seeds after the server listens: the UI answers while the demo's instances start
  if (config.demo && config.role === 'all') await seedDemo({ engine, db, logger, interval: config.demoInterval });
}

/** Set once the server runs: what a signal closes, in order, within HERALD_SHUTDOWN_TIMEOUT seconds. */
let stopping: (() => Promise<void>) | undefined;
let shutdownSeconds = 10;
let shutdownLog: Logger | undefined;
let signalled = false;

function onSignal(signal: NodeJS.Signals, reason?: string) {
  if (signalled) {
    // a second signal: the operator means it
    console.error(`herald: ${signal} again, exiting now`);
    process.exit(130);
  }
  signalled = true;
  const timeout = shutdownSeconds;
  const log = shutdownLog ?? createLogger();
  log.info({ signal, deadlineSeconds: timeout, ...(reason ? { reason } : {}) }, 'shutting down');
  // the deadline holds whatever hangs (a dead Redis, a handler that never returns): exit anyway
  setTimeout(() => {
    log.error({ signal, deadlineSeconds: timeout }, 'shutdown did not finish within HERALD_SHUTDOWN_TIMEOUT; exiting anyway');
    process.exit(1);
  }, timeout * 1000).unref();
  const started = Date.now();
  void (stopping ?? (async () => undefined))().then(
    () => {
      log.info({ signal, ms: Date.now() - started }, 'shut down');
      process.exit(0);
    },
    (err: Error) => {
      log.error({ signal, err: err.message }, 'shutdown failed');
      process.exit(1);
    },
  );
}
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));
// under `npm start` a SIGTERM may reach only npm, which exits without passing it on: a server
// whose parent went away shuts down the same way instead of serving on as an orphan
if (process.env.npm_lifecycle_event) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent && !signalled) onSignal('SIGTERM', 'the parent process (npm) exited');
  }, 500).unref();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
