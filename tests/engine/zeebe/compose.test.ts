/**
 * docker-compose.yml: `docker compose config` when the compose plugin is installed; otherwise
 * (as on the build machines, which have the docker CLI without its compose plugin and no
 * engine) the file is parsed with `yaml` (merge keys resolved, as compose does) and the same
 * checks run on the result. Either way: the services exist, each has a health check, Herald's
 * API and workers are wired to the cluster, Postgres, Redis and the SMTP catcher.
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

const hasComposePlugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;

function load(): { services: Record<string, Service>; via: string } {
  if (hasComposePlugin) {
    const res = spawnSync('docker', ['compose', '-f', file, 'config', '--format', 'json'], { encoding: 'utf8', cwd: root });
    if (res.status !== 0) throw new Error(`docker compose config failed:\n${res.stderr}`);
    return { services: (JSON.parse(res.stdout) as { services: Record<string, Service> }).services, via: 'docker compose config' };
  }
  const doc = parse(fs.readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, Service> };
  return { services: doc.services, via: 'yaml' };
}

const env = (s: Service): Record<string, string> =>
  Array.isArray(s.environment) ? Object.fromEntries(s.environment.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])) : Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));

describe(`docker-compose.yml (${hasComposePlugin ? 'docker compose config' : 'compose plugin missing: parsed with yaml'})`, () => {
  const { services } = load();

  it('runs Camunda 8.8, its secondary storage, Postgres, Redis, an SMTP catcher, Herald API and workers', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['camunda', 'elasticsearch', 'postgres', 'redis', 'mailpit', 'herald-api', 'herald-workers']));
    expect(services.camunda.image).toMatch(/^camunda\/camunda:\$\{CAMUNDA_VERSION:-8\.8\.\d+\}$|^camunda\/camunda:8\.8\.\d+$/);
    expect(services['herald-api'].image).toMatch(/^node:20/);
    expect(services['herald-api'].command).toEqual(['npm', 'run', 'api']);
    expect(services['herald-workers'].command).toEqual(['npm', 'run', 'workers']);
  });

  it('gives every long-running service a health check', () => {
    for (const name of ['camunda', 'elasticsearch', 'postgres', 'redis', 'mailpit', 'herald-api', 'herald-workers']) {
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

  it('starts Herald only after its dependencies are healthy', () => {
    for (const name of ['herald-api', 'herald-workers']) {
      const deps = services[name].depends_on as Record<string, { condition?: string }>;
      for (const dep of ['camunda', 'postgres', 'redis', 'mailpit']) expect(deps[dep]?.condition, `${name} → ${dep}`).toBe('service_healthy');
    }
  });
});
