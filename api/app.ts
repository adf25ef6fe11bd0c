/**
 * The Fastify app, in layers: external plugins (security headers, cookies, rate limit,
 * OpenAPI), then app plugins (problem+json errors, authentication), then routes.
 */
import { createHmac } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Logger } from '../config/log.js';
import type { Engine } from '../engine/types.js';
import type { Db } from '../storage/db.js';
import { createIdentityRepository } from '../storage/repositories/identity.js';
import { auth } from './plugins/app/auth.js';
import { openapi } from './plugins/external/openapi.js';
import { security } from './plugins/external/security.js';
import { registerProblemHandler } from './plugins/problem.js';
import { createAuditRepository } from '../storage/repositories/audit.js';
import { auditRoutes, type AuditRouteOptions } from './routes/audit/index.js';
import { customerRoutes } from './routes/customers/index.js';
import { engineRoutes } from './routes/engine.js';
import { createTestProvider } from '../services/payments/test-provider.js';
import type { PaymentProvider } from '../services/payments/provider.js';
import { eventRoutes } from './routes/events/index.js';
import { sessionRoutes } from './routes/session/index.js';
import { taskRoutes } from './routes/tasks/index.js';
import { createTasklist } from './services/tasklist.js';
import checkTaskPolicy from '../workers/check-task-policy.js';
import { runWorker } from '../workers/runtime.js';
import { uiPlugin } from './plugins/ui.js';
import { configureDiagramPool, type DiagramLimits } from './services/diagram-pool.js';
import { metricsRoutes } from './routes/metrics/index.js';
import { createObservability, type Observability } from './observability/metrics.js';
import { observabilityPlugin, requestId } from './plugins/observability.js';
import type { DocumentStore } from '../services/document-stores/contract.js';

export interface AppDeps {
  engine: Engine;
  db: Db;
  logger: Logger;
  /** Largest accepted request body in bytes (deployments); other routes take less. */
  bodyLimit?: number;
  /** Key for session cookies; HERALD_SECRET. */
  secret?: string;
  /** Secrets trigger events are signed with (several while one rotates); defaults to `secret`. */
  eventSecrets?: string[];
  /** Requests per token (or session, or address) per window. */
  rateLimit?: { max: number; timeWindow: number };
  /** Failed authentications per client address per window before the address is refused (429); 20 a minute unless set. */
  authFailureLimit?: { max: number; timeWindow: number };
  /** Time budget and element-count limit for checking an uploaded diagram off the main thread (services/diagram-pool.ts). */
  diagramLimits?: Partial<DiagramLimits>;
  sessionTtlMs?: number;
  secureCookies?: boolean;
  /** Follow the engine's user-task hooks into the tasks table (on unless a test drives it). */
  followTasks?: boolean;
  /** Audit checkpoints: folder and periodic writer (main.ts turns it on); from the environment when unset. */
  audit?: AuditRouteOptions;
  /** Prometheus registry and engine instrumentation (main.ts makes one and wraps the engine with it); one of its own otherwise. */
  observability?: Observability;
  /** REDIS_URL, for readiness; read from the environment when not given. */
  redisUrl?: string;
  /** /health/ready fails above this event-loop lag (ms), and load is shed above shedLoadLagMs (0: never). */
  readyMaxLagMs?: number;
  shedLoadLagMs?: number;
  /** Where message links point and the brand messages are sent under (HERALD_BASE_URL, HERALD_FROM): previews show what is sent. */
  messages?: { baseUrl?: string; company?: { name: string; email: string; phone: string } };
  /** Where uploaded documents' bytes go (HERALD_DOCUMENT_STORE); the database unless given. */
  documentStore?: DocumentStore;
  /** Largest uploaded file in bytes (HERALD_MAX_UPLOAD_BYTES); 10 MiB unless given. */
  maxUploadBytes?: number;
  /**
   * Payment providers for the portal's "Pay" (services/payments/provider.ts), the first one used
   * for new checkouts; unless given, Herald's test provider outside production and none in it.
   */
  paymentProviders?: PaymentProvider[];
}

const DEV_SECRET = 'herald-dev-secret-change-me';

/** AJV's console, less its notice that `unicode` is deprecated (it still honours the option, which keeps 4 MiB strings off a per-character walk). */
const ajvLogger = {
  log: console.log,
  warn: (message: unknown, ...rest: unknown[]) => {
    if (!String(message).startsWith('DEPRECATED: option unicode')) console.warn(message, ...rest);
  },
  error: console.error,
};

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const secret = deps.secret ?? process.env.HERALD_SECRET ?? DEV_SECRET;
  configureDiagramPool(deps.diagramLimits);
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit ?? 5 * 1024 * 1024,
    // requests are logged at debug by the observability plugin, not at info by Fastify
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestId,
    // refuse unknown fields instead of dropping them, so a request naming `status` hears why
    // unicode: false measures maxLength in UTF-16 units (string.length) instead of walking a 4 MiB diagram code point by code point on the event loop
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, unicode: false, logger: ajvLogger } },
  });

  // external
  await app.register(security, { cookieSecret: secret, rateLimit: deps.rateLimit ?? { max: 600, timeWindow: 60_000 }, authFailures: deps.authFailureLimit });
  await app.register(openapi);

  const observability = deps.observability ?? createObservability({ db: deps.db, logger: deps.logger });
  if (!deps.observability) {
    const unsubscribe = observability.observeEvents(deps.engine);
    app.addHook('onClose', async () => unsubscribe());
  }
  await app.register(observabilityPlugin, {
    observability,
    db: deps.db,
    logger: deps.logger,
    redisUrl: 'redisUrl' in deps ? deps.redisUrl : process.env.REDIS_URL || undefined,
    readyMaxLagMs: deps.readyMaxLagMs,
    shedLoadLagMs: deps.shedLoadLagMs,
  });

  // app
  registerProblemHandler(app, {
    audit: async (r) => {
      await createAuditRepository(deps.db).append({ actor: r.actor, action: `${r.method} ${r.route}`, subjectType: 'route', subjectId: r.url, outcome: 'refused', rule: r.rule ?? (r.field ? 'validation' : `http-${r.status}`), detail: { status: r.status, reason: r.title, field: r.field } });
    },
  });
  const identity = createIdentityRepository(deps.db);
  await app.register(auth, { identity });
  const tasklist = createTasklist({ db: deps.db, engine: deps.engine });
  if (deps.followTasks !== false) {
    const stop = tasklist.follow(deps.logger);
    app.addHook('onClose', async () => stop());
    // the tasklist's own control on the engine side: its policy as the user tasks' completing listener
    const listener = runWorker(deps.engine, checkTaskPolicy, { db: deps.db, engine: deps.engine, now: () => new Date(deps.engine.clock?.now() ?? Date.now()) }, deps.logger as never);
    app.addHook('onClose', async () => listener.close());
    app.addHook('onReady', async () => {
      await tasklist.rebuild().catch((err: Error) => deps.logger.warn({ err: err.message }, 'tasklist: rebuild from the engine failed'));
    });
  }

  // routes
  app.get(
    '/health',
    { config: { auth: 'none' }, schema: { tags: ['health'], summary: 'The process answers, and which engine it runs (see /health/ready for dependencies)', security: [], response: { 200: Type.Object({ status: Type.String(), engine: Type.String() }) } } },
    async () => ({ status: 'ok', engine: deps.engine.kind }),
  );
  await app.register(sessionRoutes, { identity, sessionTtlMs: deps.sessionTtlMs ?? 8 * 3_600_000, secureCookies: deps.secureCookies ?? false });
  await app.register(taskRoutes, { db: deps.db, tasklist, engine: deps.engine, messages: deps.messages });
  await app.register(eventRoutes, { db: deps.db, engine: deps.engine, secrets: deps.eventSecrets ?? [secret] });
  await app.register(auditRoutes, { db: deps.db, ...deps.audit });
  await app.register(customerRoutes, { db: deps.db });
  await app.register((await import('./routes/customers/master.js')).customerMasterRoutes, { db: deps.db });
  // double opt-in confirmations: links signed with the app's secret, pointing at the public base URL
  const confirmation = { secret, baseUrl: deps.messages?.baseUrl ?? process.env.HERALD_BASE_URL ?? 'http://localhost:3000', company: deps.messages?.company?.name };
  await app.register((await import('./routes/customers/preferences.js')).customerPreferenceRoutes, { db: deps.db, confirmation });
  await app.register((await import('./routes/customers/frequency-caps.js')).customerFrequencyCapRoutes, { db: deps.db });
  await app.register((await import('./routes/templates/index.js')).templateRoutes, { db: deps.db, engine: deps.engine, messages: deps.messages });
  await app.register((await import('./routes/portal/index.js')).portalRoutes, { db: deps.db, engine: deps.engine });
  await app.register((await import('./routes/portal/deep-links.js')).portalDeepLinkRoutes, { db: deps.db });
  await app.register((await import('./routes/portal/agreements.js')).portalAgreementRoutes, { db: deps.db, engine: deps.engine });
  await app.register((await import('./routes/portal/preferences.js')).portalPreferenceRoutes, { db: deps.db, confirmation });
  await app.register((await import('./routes/portal/consent-link.js')).consentLinkRoutes, { db: deps.db, confirmation });
  await app.register((await import('./routes/requests/index.js')).requestRoutes, { db: deps.db, engine: deps.engine, tasklist });
  await app.register((await import('./routes/documents/index.js')).documentRoutes, { db: deps.db, store: deps.documentStore, maxUploadBytes: deps.maxUploadBytes });
  await app.register((await import('./routes/tracking/index.js')).trackingRoutes, { db: deps.db, secret });
  // the test provider's secret is the app's, derived: it signs checkout links and its webhooks
  const testProvider = deps.paymentProviders || process.env.NODE_ENV === 'production' ? undefined : createTestProvider({ secret: createHmac('sha256', secret).update('herald-test-payment-provider').digest('hex') });
  await app.register((await import('./routes/payments/index.js')).paymentRoutes, { db: deps.db, engine: deps.engine, providers: deps.paymentProviders ?? (testProvider ? [testProvider] : []) });
  if (testProvider) await app.register((await import('./routes/payments/test-checkout.js')).testCheckoutRoutes, { provider: testProvider });
  await app.register((await import('./routes/communications/index.js')).communicationRoutes, { db: deps.db });
  await app.register((await import('./routes/deployments/index.js')).deploymentRoutes, { engine: deps.engine, db: deps.db });
  await app.register((await import('./routes/decisions/index.js')).decisionRoutes, { engine: deps.engine, db: deps.db });
  await app.register(engineRoutes, { engine: deps.engine, tasklist, db: deps.db });
  await app.register((await import('./routes/operate/index.js')).operateRoutes, { engine: deps.engine, db: deps.db, redisUrl: 'redisUrl' in deps ? deps.redisUrl : process.env.REDIS_URL || undefined });
  await app.register((await import('./routes/operate/job-holders.js')).jobHolderRoutes, { db: deps.db });
  await app.register((await import('./routes/studio/index.js')).studioRoutes, { db: deps.db, engine: deps.engine, messages: deps.messages });
  await app.register(metricsRoutes, { db: deps.db });
  await app.register((await import('./routes/system/index.js')).systemRoutes, { engine: deps.engine });
  // the web UI at / (modeler/dist); last, so every API route is already there
  await app.register(uiPlugin);
  return app;
}
