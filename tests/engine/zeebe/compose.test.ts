/**
 * docker-compose.yml through a real compose implementation: `docker compose config` (the v2
 * plugin) where it is installed, else `docker-compose config` (Debian's docker-compose 1.29,
 * which .ci/run installs, as the build machines have the docker CLI without its compose plugin
 * and no engine). Compose validates the file against its schema and resolves interpolation and
 * merge keys; the same checks then run on its output: the services exist, each has a health
 * check, Herald's API and workers are wired to the cluster, Postgres, Redis and the SMTP catcher.
 * Outside CI, with neither installed, the file is parsed with `yaml` and the name says so.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
const file = path.join(root, 'docker-compose.yml');

interface Service {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string> | string[];
  healthcheck?: { test?: string[] | string };
  depends_on?: Record<string, { condition?: string }> | string[];
}

const works = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
const compose: [string, string[]] | undefined = works('docker', ['compose', 'version'])
  ? ['docker', ['compose']]
  : works('docker-compose', ['version'])
    ? ['docker-compose', []]
    : undefined;

function load(): { services: Record<string, Service>; via: string } {
  if (compose) {
    const [cmd, pre] = compose;
    const res = spawnSync(cmd, [...pre, '-f', file, 'config'], { encoding: 'utf8', cwd: root });
    if (res.status !== 0) throw new Error(`${cmd} ${pre.join(' ')} config refused docker-compose.yml:\n${res.stderr}`);
    return { services: (parse(res.stdout) as { services: Record<string, Service> }).services, via: `${[cmd, ...pre].join(' ')} config` };
  }
  if (process.env.CI) throw new Error('CI must check docker-compose.yml with compose itself: install docker-compose (apt-get install docker-compose) or the compose plugin');
  const doc = parse(fs.readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, Service> };
  return { services: doc.services, via: 'yaml only: no compose installed' };
}

const env = (s: Service): Record<string, string> =>
  Array.isArray(s.environment) ? Object.fromEntries(s.environment.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])) : Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));

const loaded = load();

describe(`docker-compose.yml (${loaded.via})`, () => {
  const { services } = loaded;

  it('runs Camunda 8.8 with Connectors, its secondary storage, Postgres, Redis, an SMTP catcher, Herald API and workers', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['camunda', 'connectors', 'elasticsearch', 'postgres', 'redis', 'mailpit', 'herald-api', 'herald-workers']));
    // a patch release of 8.8, never the first one (8.8.0)
    expect(services.camunda.image).toMatch(/^camunda\/camunda:(\$\{CAMUNDA_VERSION:-)?8\.8\.([1-9]\d*)\}?$/);
    expect(services.connectors.image).toMatch(/^camunda\/connectors-bundle:(\$\{CAMUNDA_CONNECTORS_VERSION:-)?8\.8\.\d+\}?$/);
    expect(env(services.connectors)).toMatchObject({ CAMUNDA_CLIENT_GRPCADDRESS: 'http://camunda:26500', CAMUNDA_CLIENT_RESTADDRESS: 'http://camunda:8080' });
    // a maintained Node LTS (24 or later), and node itself as the container's process so SIGTERM
    // reaches it, running the compiled server that herald-deps builds (no tsx)
    expect(services['herald-api'].image).toMatch(/^node:(2[4-9]|[3-9]\d)/);
    expect(services['herald-api'].command).toEqual(['node', 'dist/api/main.js']);
    expect(services['herald-workers'].command).toEqual(['node', 'dist/api/main.js']);
    expect(String(services['herald-deps'].command)).toMatch(/npm ci .*&& node scripts\/build-server\.mjs/);
    expect(env(services['herald-api']).HERALD_ROLE).toBe('api');
    expect(env(services['herald-workers']).HERALD_ROLE).toBe('workers');
  });

  it('checks Camunda, Connectors and Herald over HTTP health endpoints', () => {
    const test = (name: string) => [services[name].healthcheck?.test ?? []].flat().join(' ');
    expect(test('camunda')).toContain('GET /actuator/health/status');
    expect(test('connectors')).toContain('/actuator/health/readiness');
    expect(test('herald-api')).toContain('/health/ready');
  });

  it('gives every long-running service a health check', () => {
    for (const name of ['camunda', 'connectors', 'elasticsearch', 'postgres', 'redis', 'mailpit', 'herald-api', 'herald-workers']) {
      expect(services[name].healthcheck?.test, `${name} has no healthcheck`).toBeTruthy();
    }
  });

  it('wires Herald to the cluster (plain gRPC and REST, no OAuth locally), Postgres, Redis and SMTP', () => {
    for (const name of ['herald-api', 'herald-workers']) {
      const e = env(services[name]);
      expect(e).toMatchObject({
        ENGINE: 'zeebe',
        ZEEBE_GRPC_ADDRESS: 'grpc://camunda:26500',
        ZEEBE_REST_ADDRESS: 'http://camunda:8080',
        CAMUNDA_AUTH_STRATEGY: 'NONE',
        DATABASE_URL: expect.stringMatching(/^postgres:\/\/.+@postgres:5432\//),
        REDIS_URL: 'redis://redis:6379',
        SMTP_URL: 'smtp://mailpit:1025',
      });
    }
    expect(env(services['herald-api']).HOST).toBe('0.0.0.0');
  });

  it('keeps documents in MinIO: Herald writes to its bucket over the S3 API and waits for it to be ready', () => {
    expect(services.minio.image).toMatch(/^minio\/minio:(\$\{MINIO_VERSION:-)?RELEASE\./);
    expect(services.minio.healthcheck?.test).toBeTruthy();
    for (const name of ['herald-api', 'herald-workers']) {
      expect(env(services[name])).toMatchObject({ HERALD_DOCUMENT_STORE: 's3', HERALD_S3_ENDPOINT: 'http://minio:9000', HERALD_S3_ACCESS_KEY: env(services.minio).MINIO_ROOT_USER, HERALD_S3_SECRET_KEY: env(services.minio).MINIO_ROOT_PASSWORD });
      expect((services[name].depends_on as Record<string, { condition?: string }>).minio?.condition).toBe('service_healthy');
    }
  });

  it('starts Herald only after its dependencies are healthy', () => {
    for (const name of ['herald-api', 'herald-workers']) {
      const deps = services[name].depends_on as Record<string, { condition?: string }>;
      for (const dep of ['camunda', 'postgres', 'redis', 'mailpit']) expect(deps[dep]?.condition, `${name} → ${dep}`).toBe('service_healthy');
    }
  });
});

describe.runIf(compose)('compose itself checks the file', () => {
  it('refuses a broken copy, so the checks above stand on its validation', () => {
    const [cmd, pre] = compose!;
    fs.mkdirSync(path.join(root, 'test-output'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(root, 'test-output', 'compose-'));
    try {
      const broken = fs.readFileSync(file, 'utf8').replace(/^services:\n/m, 'services:\n  bogus:\n    image: redis:7\n    healthcheck:\n      retries: lots\n');
      fs.writeFileSync(path.join(dir, 'docker-compose.yml'), broken);
      const res = spawnSync(cmd, [...pre, '-f', path.join(dir, 'docker-compose.yml'), 'config'], { encoding: 'utf8', cwd: root });
      expect(res.status).not.toBe(0);
      expect(res.stderr).toMatch(/retries/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
