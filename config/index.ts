/**
 * Herald's settings: one typed table, read from the environment once.
 *
 * Every setting has a type, a default and a description; a bad value is refused at start with
 * a message naming the variable, so a typo never becomes a silent default.
 */
import path from 'node:path';

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Parser<T> = (raw: string, name: string) => T;

interface Setting<T> {
  env: string;
  description: string;
  default: T;
  parse: Parser<T>;
}

const str: Parser<string> = (raw) => raw;
const optionalUrl =
  (...protocols: string[]): Parser<string | undefined> =>
  (raw, name) => {
    if (raw === '') return undefined;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(name, `"${raw}" is not a URL`);
    }
    if (!protocols.includes(url.protocol)) {
      throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got ${url.protocol}`);
    }
    return raw;
  };
const int =
  (min: number, max: number): Parser<number> =>
  (raw, name) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `"${raw}" is not a whole number`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigError(name, `${n} is outside ${min}..${max}`);
    return n;
  };
const oneOf =
  <T extends string>(...values: T[]): Parser<T> =>
  (raw, name) => {
    if (!values.includes(raw as T)) {
      throw new ConfigError(name, `"${raw}" is not one of ${values.join(', ')}`);
    }
    return raw as T;
  };
const bool: Parser<boolean> = (raw, name) => {
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off', ''].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `"${raw}" is not a boolean (true/false)`);
};

// audit keys live outside the database; a short key would make its HMAC links guessable
const auditSecret = (raw: string, name: string): string => {
  if (raw !== '' && raw.length < 16) throw new ConfigError(name, 'an audit key needs at least 16 characters');
  return raw;
};
const auditKeyList: Parser<{ id: string; secret: string }[] | undefined> = (raw, name) => {
  if (raw.trim() === '') return undefined;
  const keys = raw.split(',').map((part, i) => {
    const at = part.indexOf(':');
    const id = part.slice(0, Math.max(at, 0)).trim();
    if (at < 1 || !/^[A-Za-z0-9._-]{1,32}$/.test(id)) throw new ConfigError(name, `entry ${i + 1} must be "id:secret" with an id of 1-32 letters, digits, '.', '_' or '-'`);
    const secret = part.slice(at + 1).trim();
    if (secret.length < 16) throw new ConfigError(name, `key ${id}: an audit key needs at least 16 characters`);
    return { id, secret };
  });
  const ids = keys.map((k) => k.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new ConfigError(name, `key id "${twice}" is listed twice`);
  return keys;
};

const settings = {
  engine: { env: 'ENGINE', description: 'embedded (default, single process) or zeebe (Camunda 8 cluster)', default: 'embedded', parse: oneOf('embedded', 'zeebe') },
  role: { env: 'HERALD_ROLE', description: 'all (API and workers), api, or workers', default: 'all', parse: oneOf('all', 'api', 'workers') },
  port: { env: 'PORT', description: 'HTTP port of the API and UI', default: 3000, parse: int(0, 65535) },
  host: { env: 'HOST', description: 'HTTP bind address', default: '127.0.0.1', parse: str },
  dataDir: { env: 'HERALD_DATA_DIR', description: 'folder for PGlite data and the email outbox', default: path.resolve('data'), parse: (raw) => path.resolve(raw) },
  databaseUrl: { env: 'DATABASE_URL', description: 'Postgres URL; PGlite under HERALD_DATA_DIR when unset', default: undefined, parse: optionalUrl('postgres:', 'postgresql:') },
  redisUrl: { env: 'REDIS_URL', description: 'Redis URL for BullMQ; an in-process queue when unset', default: undefined, parse: optionalUrl('redis:', 'rediss:') },
  smtpUrl: { env: 'SMTP_URL', description: 'SMTP URL for email; an outbox folder when unset', default: undefined, parse: optionalUrl('smtp:', 'smtps:') },
  smtpFallbackUrl: { env: 'SMTP_FALLBACK_URL', description: 'secondary SMTP server: email fails over to it when the primary fails or its circuit breaker is open (docs/delivery.md)', default: undefined, parse: optionalUrl('smtp:', 'smtps:') },
  smtpStatusUrl: { env: 'SMTP_STATUS_URL', description: "primary SMTP provider's status endpoint (GET <url>/<Message-ID>: 200 has it, 404 never got it); settles an ambiguous attempt so it may fail over", default: undefined, parse: optionalUrl('http:', 'https:') },
  smtpFallbackStatusUrl: { env: 'SMTP_FALLBACK_STATUS_URL', description: "secondary SMTP provider's status endpoint, as SMTP_STATUS_URL", default: undefined, parse: optionalUrl('http:', 'https:') },
  smsFallbackUrl: { env: 'HERALD_SMS_FALLBACK_URL', description: 'secondary SMS provider endpoint: SMS fails over to it (docs/delivery.md)', default: undefined, parse: optionalUrl('http:', 'https:') },
  smsStatusUrl: { env: 'HERALD_SMS_STATUS_URL', description: "primary SMS provider's status endpoint (GET <url>/<idempotency key>: 200 / 404)", default: undefined, parse: optionalUrl('http:', 'https:') },
  smsFallbackStatusUrl: { env: 'HERALD_SMS_FALLBACK_STATUS_URL', description: "secondary SMS provider's status endpoint, as HERALD_SMS_STATUS_URL", default: undefined, parse: optionalUrl('http:', 'https:') },
  breakerFailures: { env: 'HERALD_BREAKER_FAILURES', description: 'provider failures in a row that open its circuit breaker', default: 5, parse: int(1, 1_000) },
  breakerHalfOpenMs: { env: 'HERALD_BREAKER_HALF_OPEN_MS', description: 'ms an open circuit breaker waits before one probe may reach the provider again', default: 10_000, parse: int(100, 3_600_000) },
  digestWindowMs: { env: 'HERALD_DIGEST_WINDOW', description: 'how long a payment demand waits for others to the same customer and channel, to go with them as one digest: an ISO duration (PT15M) or ms, 0 for no digests; 15 minutes when unset, except while the demo compresses time (HERALD_DEMO with HERALD_DEMO_INTERVAL) (docs/delivery.md)', default: undefined as number | undefined, parse: (raw: string, name: string) => {
    const ms = /^\d+$/.test(raw) ? Number(raw) : /^PT(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(raw)?.slice(1).reduce((sum, v, i) => sum + Number(v ?? 0) * [3_600_000, 60_000, 1000][i], 0);
    if (ms === undefined || ms > 86_400_000) throw new ConfigError(name, `"${raw}" is not a window up to a day (an ISO duration such as PT15M, or ms)`);
    return ms;
  } },
  frequencyCap: { env: 'HERALD_FREQUENCY_CAP', description: 'the frequency cap of customers without their own: "N/PT24H", at most N messages per channel in any such rolling window (legal notices are not counted); none when unset (docs/delivery.md)', default: undefined as { max: number; windowMs: number } | undefined, parse: (raw: string, name: string) => {
    if (raw === '') return undefined;
    const m = /^(\d+)\/PT(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(raw);
    const windowMs = m ? (Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)) * 1000 : 0;
    if (!m || Number(m[1]) < 1 || windowMs < 1000) throw new ConfigError(name, `"${raw}" is not a cap such as 5/PT24H (at least 1 message per at least 1 second)`);
    return { max: Number(m[1]), windowMs };
  } },
  watchdogAlertMinutes: { env: 'HERALD_WATCHDOG_ALERT_MINUTES', description: 'a job type with no live worker (no heartbeat) for this many minutes is warned about and shows in herald_worker_unattended_seconds', default: 5, parse: int(1, 10_080) },
  heartbeatMs: { env: 'HERALD_HEARTBEAT_MS', description: 'how often a worker process heartbeats per job type; it counts as dead after three missed beats', default: 10_000, parse: int(100, 600_000) },
  maxVariableBytes: { env: 'HERALD_MAX_VARIABLE_BYTES', description: 'largest process variable (as JSON) the engine accepts; larger content goes in a claim-check document (docs/delivery.md)', default: 262_144, parse: int(1_024, 4_194_304) },
  documentStore: { env: 'HERALD_DOCUMENT_STORE', description: 'where document bytes go (uploads, attachments, claim-check documents): db (the database) or s3 (an S3-compatible bucket, HERALD_S3_*)', default: 'db', parse: oneOf('db', 's3') },
  s3Endpoint: { env: 'HERALD_S3_ENDPOINT', description: 'S3 API URL for HERALD_DOCUMENT_STORE=s3, e.g. http://minio:9000 (path-style addressing)', default: undefined as string | undefined, parse: optionalUrl('http:', 'https:') },
  s3Bucket: { env: 'HERALD_S3_BUCKET', description: 'bucket for documents; created on first use when missing', default: 'herald-documents', parse: (raw: string, name: string) => {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw)) throw new ConfigError(name, `"${raw}" is not an S3 bucket name (3-63 lowercase letters, digits, '.', '-')`);
    return raw;
  } },
  s3AccessKey: { env: 'HERALD_S3_ACCESS_KEY', description: 'access key of the S3 store', default: undefined as string | undefined, parse: (raw: string) => raw || undefined },
  s3SecretKey: { env: 'HERALD_S3_SECRET_KEY', description: 'secret key of the S3 store', default: undefined as string | undefined, parse: (raw: string) => raw || undefined },
  s3Region: { env: 'HERALD_S3_REGION', description: 'region the S3 store signs requests for', default: 'us-east-1', parse: str },
  maxUploadBytes: { env: 'HERALD_MAX_UPLOAD_BYTES', description: 'largest file POST /api/documents accepts (413 above it, naming the limit)', default: 10_485_760, parse: int(1_024, 1_073_741_824) },
  logLevel: { env: 'LOG_LEVEL', description: 'pino log level', default: 'info', parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') },
  demo: { env: 'HERALD_DEMO', description: 'seed demo data at start', default: true, parse: bool },
  secret: { env: 'HERALD_SECRET', description: 'key for signed links, webhooks and sessions', default: 'herald-dev-secret-change-me', parse: str },
  auditKey: { env: 'HERALD_AUDIT_KEY', description: 'key (16+ characters) the audit chain and its checkpoints are signed with (HMAC); derived from HERALD_SECRET under its own label when unset', default: undefined as string | undefined, parse: (raw: string, name: string) => auditSecret(raw, name) || undefined },
  auditKeys: { env: 'HERALD_AUDIT_KEYS', description: 'audit keys while one rotates, "id:secret,id:secret": the last signs, all verify; wins over HERALD_AUDIT_KEY (docs/audit.md)', default: undefined as { id: string; secret: string }[] | undefined, parse: auditKeyList },
  auditCheckpointDir: { env: 'HERALD_AUDIT_CHECKPOINT_DIR', description: 'folder for signed audit checkpoints, outside the database; <HERALD_DATA_DIR>/audit-checkpoints when unset', default: undefined as string | undefined, parse: (raw: string) => (raw ? path.resolve(raw) : undefined) },
  auditCheckpointSeconds: { env: 'HERALD_AUDIT_CHECKPOINT_SECONDS', description: 'seconds between audit checkpoints, written only when the chain grew (0: only on demand)', default: 300, parse: int(0, 86_400) },
  jobPollMs: { env: 'HERALD_JOB_POLL_MS', description: 'embedded engine: how often idle workers look for jobs', default: 200, parse: int(5, 60_000) },
  baseUrl: { env: 'HERALD_BASE_URL', description: 'public URL of this Herald (links in messages, tracking); the address it listens on (http://HOST:PORT) when unset', default: undefined as string | undefined, parse: optionalUrl('http:', 'https:') },
  fromAddress: { env: 'HERALD_FROM', description: 'sender of customer email, "Name <address>"', default: 'Herald Receivables <receivables@herald.example>', parse: str },
  smsUrl: { env: 'HERALD_SMS_URL', description: 'SMS provider endpoint (HTTP POST); SMS is unavailable when unset', default: undefined, parse: optionalUrl('http:', 'https:') },
  crmUrl: { env: 'HERALD_CRM_URL', description: 'CRM webhook endpoint (HMAC-signed POST); unavailable when unset', default: undefined, parse: optionalUrl('http:', 'https:') },
  demoInterval: { env: 'HERALD_DEMO_INTERVAL', description: 'demo: every dunning interval becomes this ISO duration (empty: real cadence)', default: 'PT10S', parse: (raw: string, name: string) => {
    if (raw !== '' && !/^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/.test(raw)) throw new ConfigError(name, `"${raw}" is not an ISO 8601 duration such as PT10S`);
    return raw || undefined;
  } },
  inboundSmtpPort: { env: 'HERALD_INBOUND_SMTP_PORT', description: 'port of the SMTP listener for customer email (replies and new requests); off when unset', default: undefined as number | undefined, parse: int(1, 65535) },
  shutdownTimeout: { env: 'HERALD_SHUTDOWN_TIMEOUT', description: 'seconds a SIGTERM/SIGINT waits for in-flight requests and jobs before the process exits anyway', default: 10, parse: int(1, 600) },
  readyMaxLagMs: { env: 'HERALD_READY_MAX_LAG_MS', description: '/health/ready reports unavailable while the event loop (and so the embedded engine) lags more than this', default: 1000, parse: int(10, 600_000) },
  shedLoadLagMs: { env: 'HERALD_SHED_LOAD_LAG_MS', description: 'answer 503 to requests while the event loop lags more than this (0: never shed load)', default: 0, parse: int(0, 600_000) },
  zeebeAddress: { env: 'ZEEBE_ADDRESS', description: 'Zeebe gateway address (host:port), for ENGINE=zeebe', default: undefined, parse: (raw) => raw || undefined },
  authFailureLimit: { env: 'HERALD_AUTH_FAILURE_LIMIT', description: 'failed authentications (bad tokens, cookies, passwords, signatures) per client address per window before the address is refused with 429 for a window', default: 20, parse: int(1, 1_000_000) },
  authFailureWindowMs: { env: 'HERALD_AUTH_FAILURE_WINDOW_MS', description: 'the window of HERALD_AUTH_FAILURE_LIMIT, and how long a blocked address stays refused, in ms', default: 60_000, parse: int(1_000, 86_400_000) },
  diagramTimeBudgetMs: { env: 'HERALD_DIAGRAM_TIME_BUDGET_MS', description: 'longest a worker thread may spend parsing, linting and validating one uploaded diagram, in ms (a dry run, which runs the process tests, gets 15 times this)', default: 20_000, parse: int(100, 600_000) },
  diagramMaxElements: { env: 'HERALD_DIAGRAM_MAX_ELEMENTS', description: 'most flow elements (tasks, events, gateways, flows) one uploaded diagram may have; counted before it is parsed', default: 5_000, parse: int(1, 1_000_000) },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof settings;
export type Config = { [K in keyof Settings]: Settings[K]['default'] | ReturnType<Settings[K]['parse']> } & {
  engine: 'embedded' | 'zeebe';
  role: 'all' | 'api' | 'workers';
  baseUrl: string;
};

/** Reads the configuration from `env`; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings) as [string, Setting<unknown>][]) {
    const raw = env[setting.env];
    out[key] = raw === undefined ? setting.default : setting.parse(raw, setting.env);
  }
  const config = out as Config;
  // links in messages must reach this Herald: unless a public URL is set, the address it listens on
  config.baseUrl ??= `http://${['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  config.auditCheckpointDir ??= path.join(config.dataDir, 'audit-checkpoints');
  if (config.engine === 'zeebe' && !config.zeebeAddress && !env.ZEEBE_REST_ADDRESS && !env.ZEEBE_GRPC_ADDRESS) {
    throw new ConfigError('ZEEBE_ADDRESS', 'ENGINE=zeebe needs ZEEBE_ADDRESS (or ZEEBE_GRPC_ADDRESS / ZEEBE_REST_ADDRESS)');
  }
  if (config.documentStore === 's3') {
    for (const [key, variable] of [['s3Endpoint', 'HERALD_S3_ENDPOINT'], ['s3AccessKey', 'HERALD_S3_ACCESS_KEY'], ['s3SecretKey', 'HERALD_S3_SECRET_KEY']] as const) {
      if (!config[key]) throw new ConfigError(variable, `HERALD_DOCUMENT_STORE=s3 needs ${variable}`);
    }
  }
  return config;
}

/** One setting read alone, for code that needs it without the whole configuration (the audit keys). */
export function readSetting<K extends keyof Settings>(key: K, env: NodeJS.ProcessEnv = process.env): Config[K] {
  const setting = settings[key] as Setting<unknown>;
  const raw = env[setting.env];
  return (raw === undefined ? setting.default : setting.parse(raw, setting.env)) as Config[K];
}

/** The settings table, for `herald config` and the docs. */
export function describeSettings(): { variable: string; default: unknown; description: string }[] {
  return Object.values(settings).map((s: Setting<unknown>) => ({ variable: s.env, default: s.default, description: s.description }));
}
