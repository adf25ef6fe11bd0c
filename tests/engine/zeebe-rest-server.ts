/**
 * A recording Orchestration Cluster REST API (/v2) for the Zeebe adapter's contract test: a real
 * node:http server on 127.0.0.1 that serves the operations of tests/fixtures/camunda-8.8-openapi.json,
 * records every request, and validates every request (path parameters, query, JSON body) and
 * every response it sends against that document with Ajv (JSON Schema 2020-12, OpenAPI 3.1's
 * dialect). A request to a path or method the document lacks is a violation too.
 *
 * Stricter than the document in one way, on purpose: a request object may not carry a property
 * its schema does not declare (`unevaluatedProperties: false` added to request schemas), since
 * Camunda ignores or refuses such fields and either way the adapter meant something it did not
 * get. Responses may carry extra properties, as a newer server's do.
 *
 * Answers come from handlers the test installs per operationId; `page()` cuts a search result
 * into cursor pages the way the 8.8 API does (opaque base64 `endCursor`, `page.after` to go on).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

export const documentPath = path.join(import.meta.dirname, '../fixtures/camunda-8.8-openapi.json');

type Json = Record<string, any>;

export interface RecordedCall {
  operationId: string;
  method: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: any;
  status: number;
  response: any;
}

export interface Violation {
  side: 'request' | 'response';
  operationId?: string;
  method: string;
  path: string;
  errors: string[];
}

export interface HandlerRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  body: any;
}
export type Answer = { status: number; body?: unknown };
export type Handler = (req: HandlerRequest) => Answer | Promise<Answer>;

interface Operation {
  operationId: string;
  method: string;
  template: string;
  pattern: RegExp;
  paramNames: string[];
  params?: ValidateFunction;
  query?: ValidateFunction;
  queryTypes: Record<string, string>;
  body?: ValidateFunction;
  bodyRequired: boolean;
  status: number;
  response?: ValidateFunction;
}

const compositions = ['allOf', 'anyOf', 'oneOf'] as const;

/** Whether a schema (through its compositions) declares properties, and none of it is an open map. */
function declaresProperties(s: Json): boolean {
  if (s.additionalProperties !== undefined && s.additionalProperties !== false) return false;
  const members = compositions.flatMap((c) => (s[c] ?? []) as Json[]);
  if (members.some((m) => m.additionalProperties !== undefined && m.additionalProperties !== false)) return false;
  return Boolean(s.properties) || members.some((m) => m && typeof m === 'object' && declaresProperties(m));
}

/**
 * Closes every object a request may hold: `unevaluatedProperties: false` on the schema at each
 * value position (the root, each property, array items), never inside allOf/anyOf/oneOf members,
 * so the properties a sibling member declares still count as evaluated (JSON Schema 2020-12).
 */
function closeObjects(schema: unknown): void {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return;
  const s = schema as Json;
  if (declaresProperties(s) && s.unevaluatedProperties === undefined) s.unevaluatedProperties = false;
  visitChildren(s);
}

function visitChildren(s: Json): void {
  for (const c of compositions) for (const m of (s[c] ?? []) as Json[]) if (m && typeof m === 'object') visitChildren(m);
  for (const p of Object.values((s.properties ?? {}) as Json)) closeObjects(p);
  if (Array.isArray(s.items)) s.items.forEach(closeObjects);
  else closeObjects(s.items);
  for (const p of (s.prefixItems ?? []) as Json[]) closeObjects(p);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') closeObjects(s.additionalProperties);
}

const describe = (v: ValidateFunction) => (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);

export class CamundaRestServer {
  readonly calls: RecordedCall[] = [];
  readonly violations: Violation[] = [];
  readonly document: Json;
  private readonly operations: Operation[] = [];
  private readonly handlers = new Map<string, Handler>();
  private server?: http.Server;
  url = '';

  constructor(documentFile = documentPath) {
    this.document = JSON.parse(fs.readFileSync(documentFile, 'utf8'));
    // No format plugin: the derived schemas carry a pattern beside each `format` (date-times, keys), which Ajv checks.
    const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
    for (const [template, methods] of Object.entries(this.document.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(methods)) {
        const paramNames: string[] = [];
        const pattern = new RegExp(`^${template.replace(/\{(\w+)\}/g, (_, name: string) => (paramNames.push(name), '([^/]+)'))}$`);
        const parameters = (op.parameters ?? []) as { name: string; in: string; required?: boolean; schema: Json }[];
        const group = (where: string) => {
          const list = parameters.filter((p) => p.in === where);
          if (list.length === 0) return undefined;
          const schema = { type: 'object', properties: Object.fromEntries(list.map((p) => [p.name, p.schema])), required: list.filter((p) => p.required).map((p) => p.name), additionalProperties: false };
          return ajv.compile(schema);
        };
        const bodySchema = op.requestBody?.content?.['application/json']?.schema;
        if (bodySchema) closeObjects(bodySchema);
        const status = Number(Object.keys(op.responses)[0]);
        const responseSchema = op.responses[String(status)]?.content?.['application/json']?.schema;
        this.operations.push({
          operationId: op.operationId,
          method: method.toUpperCase(),
          template,
          pattern,
          paramNames,
          params: group('path'),
          query: group('query'),
          queryTypes: Object.fromEntries(parameters.filter((p) => p.in === 'query').map((p) => [p.name, String(p.schema.type)])),
          body: bodySchema ? ajv.compile(bodySchema) : undefined,
          bodyRequired: Boolean(op.requestBody?.required),
          status,
          response: responseSchema ? ajv.compile(responseSchema) : undefined,
        });
      }
    }
  }

  /** Every operationId the document describes. */
  get operationIds(): string[] {
    return this.operations.map((o) => o.operationId);
  }

  on(operationId: string, handler: Handler): this {
    if (!this.operations.some((o) => o.operationId === operationId)) throw new Error(`the document has no operation '${operationId}'`);
    this.handlers.set(operationId, handler);
    return this;
  }

  requests(operationId: string): RecordedCall[] {
    return this.calls.filter((c) => c.operationId === operationId);
  }

  async listen(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.serve(req, Buffer.concat(chunks).toString('utf8')).then(
          ({ status, body, type }) => {
            res.writeHead(status, body === undefined ? {} : { 'content-type': type });
            res.end(body === undefined ? undefined : JSON.stringify(body));
          },
          (err: Error) => {
            res.writeHead(500, { 'content-type': 'application/problem+json' });
            res.end(JSON.stringify({ type: 'about:blank', title: 'recording server failed', status: 500, detail: err.message }));
          },
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: http.IncomingMessage, raw: string): Promise<{ status: number; body?: unknown; type: string }> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const rel = url.pathname.replace(/^\/v2(?=\/)/, '');
    const problem = (status: number, detail: string) => ({ status, type: 'application/problem+json', body: { type: 'about:blank', title: http.STATUS_CODES[status], status, detail, instance: url.pathname } });
    const match = this.operations.map((op) => ({ op, m: op.method === method ? op.pattern.exec(rel) : null })).find((x) => x.m);
    if (!url.pathname.startsWith('/v2/') || !match) {
      this.violations.push({ side: 'request', method, path: url.pathname, errors: ['no operation of the document has this method and path'] });
      return problem(404, `no operation ${method} ${url.pathname} in the document`);
    }
    const { op, m } = match;
    const params = Object.fromEntries(op.paramNames.map((n, i) => [n, decodeURIComponent(m![i + 1])]));
    const query = Object.fromEntries(url.searchParams);
    const typedQuery = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, op.queryTypes[k] === 'boolean' ? (v === 'true' ? true : v === 'false' ? false : v) : op.queryTypes[k] === 'integer' ? Number(v) : v]));
    let body: any;
    const errors: string[] = [];
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        errors.push('the body is not JSON');
      }
      if (!String(req.headers['content-type'] ?? '').includes('application/json')) errors.push(`content-type is ${req.headers['content-type'] ?? '(none)'}, not application/json`);
    }
    if (op.params && !op.params(params)) errors.push(...describe(op.params).map((e) => `path ${e}`));
    if (op.query) {
      if (!op.query(typedQuery)) errors.push(...describe(op.query).map((e) => `query ${e}`));
    } else if (Object.keys(query).length > 0) errors.push('query: no query parameters are documented');
    if (body !== undefined && !op.body) errors.push('body: this operation takes no body');
    if (body === undefined && op.bodyRequired) errors.push('body: required');
    if (body !== undefined && op.body && !op.body(body)) errors.push(...describe(op.body).map((e) => `body ${e}`));
    if (errors.length > 0) this.violations.push({ side: 'request', operationId: op.operationId, method, path: url.pathname, errors });

    const handler = this.handlers.get(op.operationId);
    const answer: Answer = handler ? await handler({ params, query, body }) : { status: 501, body: undefined };
    const call: RecordedCall = { operationId: op.operationId, method, path: url.pathname, params, query, headers: req.headers, body, status: answer.status, response: answer.body };
    this.calls.push(call);
    if (!handler) return problem(501, `the test installed no handler for ${op.operationId}`);
    if (answer.status >= 400) return problem(answer.status, String((answer.body as Json | undefined)?.detail ?? answer.body ?? ''));
    const responseErrors: string[] = [];
    if (answer.status !== op.status) responseErrors.push(`status ${answer.status}, where the document declares ${op.status}`);
    if (op.response && !op.response(answer.body)) responseErrors.push(...describe(op.response).map((e) => `body ${e}`));
    if (!op.response && answer.body !== undefined) responseErrors.push('body: the document declares no content');
    if (responseErrors.length > 0) this.violations.push({ side: 'response', operationId: op.operationId, method, path: url.pathname, errors: responseErrors });
    return { status: answer.status, body: answer.body, type: 'application/json' };
  }
}

/**
 * One page of `items` for a search request body, as the 8.8 API pages: `page.limit` items
 * (default 100) from `page.after` (or `page.from`), with `endCursor` to go on when more remain.
 */
export function page<T>(items: T[], request: any): { items: T[]; page: { totalItems: number; startCursor?: string; endCursor?: string } } {
  const limit: number = request?.page?.limit ?? 100;
  const from: number = request?.page?.after ? Number(Buffer.from(request.page.after, 'base64').toString('utf8').replace(/^at:/, '')) : (request?.page?.from ?? 0);
  const slice = items.slice(from, from + limit);
  const cursor = (n: number) => Buffer.from(`at:${n}`).toString('base64');
  return {
    items: slice,
    page: { totalItems: items.length, ...(slice.length > 0 && { startCursor: cursor(from) }), ...(from + limit < items.length && { endCursor: cursor(from + limit) }) },
  };
}
