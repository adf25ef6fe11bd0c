/**
 * Zeebe adapter configuration. The SDK already understands the ZEEBE_* / CAMUNDA_* variables
 * (addresses, OAuth, TLS, retries, long polling; see @camunda8/sdk's Configuration table), so
 * this file only turns an environment into the SDK's own configuration object and adds the
 * few Herald-only settings (HERALD_ZEEBE_*). Nothing here opens a connection.
 */
import { CamundaSDKConfiguration } from '@camunda8/sdk';

/** The SDK's configuration shape (a plain object; typed loosely because the SDK types it per key). */
export type SdkConfig = Record<string, unknown> & { zeebeGrpcSettings?: Record<string, unknown> };

export interface HeraldZeebeSettings {
  /** How often the user-task feed polls /v2/user-tasks/search (ms). HERALD_ZEEBE_USER_TASK_POLL_MS, default 1000. */
  userTaskPollMs: number;
  /** Expose `engine.clock` (the cluster must run with ZEEBE_CLOCK_CONTROLLED=true). HERALD_ZEEBE_CLOCK, default false. */
  clock: boolean;
  /** Default job timeout when a worker gives none (ms). HERALD_ZEEBE_JOB_TIMEOUT_MS, default 300000. */
  jobTimeoutMs: number;
  /** How often `engine.on` polls new incidents and ended instances (ms). HERALD_ZEEBE_EVENT_POLL_MS, default 2000. */
  eventPollMs: number;
  /** How far each event poll reaches back behind the newest record seen, for late exports (ms). HERALD_ZEEBE_EVENT_OVERLAP_MS, default 60000. */
  eventOverlapMs: number;
  /** Keys of reported incidents / ended instances remembered to skip that overlap, per feed. HERALD_ZEEBE_EVENT_MEMORY, default 10000. */
  eventMemory: number;
}

const sdkDefaults = CamundaSDKConfiguration as SdkConfig;
const grpcDefaults = sdkDefaults.zeebeGrpcSettings ?? {};
const grpcSettingKeys = new Set(Object.keys(grpcDefaults));

/** Environment strings become the types the SDK's own table gives (its defaults tell). */
function coerce(key: string, raw: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  const fallback = grpcSettingKeys.has(key) ? grpcDefaults[key] : sdkDefaults[key];
  if (/^-?\d+$/.test(raw) && (typeof fallback === 'number' || /(_MS|_SECONDS|_RETRIES)$/.test(key))) return Number(raw);
  return raw;
}

/**
 * The SDK reads process.env on its own. When Herald is given another environment (tests, a
 * second cluster), its ZEEBE_* and CAMUNDA_* entries (and the SDK's GRPC_* channel settings) are passed as explicit configuration,
 * which the SDK merges over what it read.
 */
export function sdkConfigFrom(env: NodeJS.ProcessEnv, address?: string): SdkConfig {
  const config: SdkConfig = {};
  const grpc: Record<string, unknown> = {};
  if (env !== process.env) {
    for (const [key, raw] of Object.entries(env)) {
      if (raw === undefined || !/^(ZEEBE|CAMUNDA|GRPC)_/.test(key)) continue;
      if (grpcSettingKeys.has(key)) grpc[key] = coerce(key, raw);
      else config[key] = coerce(key, raw);
    }
  }
  const target = address ?? (env.ZEEBE_GRPC_ADDRESS ? undefined : env.ZEEBE_ADDRESS);
  if (target) config.ZEEBE_GRPC_ADDRESS = withScheme(target, env);
  if (Object.keys(grpc).length > 0) config.zeebeGrpcSettings = grpc;
  return config;
}

export function heraldSettings(env: NodeJS.ProcessEnv): HeraldZeebeSettings {
  const int = (key: string, fallback: number) => {
    const raw = env[key];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${key} must be a positive integer, got "${raw}"`);
    return n;
  };
  return {
    userTaskPollMs: int('HERALD_ZEEBE_USER_TASK_POLL_MS', 1000),
    clock: env.HERALD_ZEEBE_CLOCK === 'true' || env.ZEEBE_CLOCK_CONTROLLED === 'true',
    jobTimeoutMs: int('HERALD_ZEEBE_JOB_TIMEOUT_MS', 300_000),
    eventPollMs: int('HERALD_ZEEBE_EVENT_POLL_MS', 2000),
    eventOverlapMs: int('HERALD_ZEEBE_EVENT_OVERLAP_MS', 60_000),
    eventMemory: int('HERALD_ZEEBE_EVENT_MEMORY', 10_000),
  };
}

/**
 * A bare host:port (ZEEBE_ADDRESS, or the `address` option) gets an explicit scheme, because the
 * SDK would otherwise default to TLS: grpcs:// on port 443 or with CAMUNDA_SECURE_CONNECTION=true
 * (or ZEEBE_INSECURE_CONNECTION=false), plaintext grpc:// otherwise.
 */
export function withScheme(address: string, env: NodeJS.ProcessEnv): string {
  if (address.includes('://')) return address;
  const secure = address.endsWith(':443') || env.CAMUNDA_SECURE_CONNECTION === 'true' || env.ZEEBE_INSECURE_CONNECTION === 'false';
  return `${secure ? 'grpcs' : 'grpc'}://${address}`;
}
