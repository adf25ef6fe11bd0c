/**
 * The served OpenAPI document is good enough to generate clients from: every operation has a
 * unique operationId and a real summary, and Redocly's recommended ruleset finds no error.
 */
import { createConfig, lintFromString } from '@redocly/openapi-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationIdFor } from '../../api/plugins/external/openapi.js';
import { startApi, type Api } from './harness.js';

describe('OpenAPI document (GET /docs/json)', () => {
  let api: Api;
  let doc: { paths: Record<string, Record<string, { operationId?: string; summary?: string }>> };
  beforeAll(async () => {
    api = await startApi('pglite', { followTasks: false, redisUrl: undefined });
    const res = await request(api.app.server).get('/docs/json');
    expect(res.status).toBe(200);
    doc = res.body as typeof doc;
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it('gives every operation a unique operationId and a summary', () => {
    const ops = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, ...op })));
    expect(ops.length).toBeGreaterThan(50);
    expect(ops.filter((o) => !o.operationId).map((o) => o.where)).toEqual([]);
    expect(ops.filter((o) => !o.summary || o.summary.trim().length < 8).map((o) => o.where)).toEqual([]);
    const ids = ops.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/api/instances/{key}'].delete.operationId).toBe('deleteInstancesByKey');
    // Fastify's wildcard is documented as a named parameter
    expect(Object.keys(doc.paths).filter((p) => p.includes('*'))).toEqual([]);
  });

  it('derives operationIds from the method and path', () => {
    expect(operationIdFor('GET', '/api/tasks/:key/comments')).toBe('getTasksByKeyComments');
    expect(operationIdFor('POST', '/api/user-tasks/:key/completion')).toBe('postUserTasksByKeyCompletion');
    expect(operationIdFor('GET', '/t/o/*')).toBe('getTOByPath');
    expect(operationIdFor('GET', '/')).toBe('getRoot');
  });

  it("passes Redocly's recommended rules without an error", async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'herald-openapi.json', config });
    const errors = problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(errors).toEqual([]);
  }, 60_000);
});
