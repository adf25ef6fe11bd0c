#!/usr/bin/env node
/**
 * Writes tests/fixtures/camunda-8.8-openapi.json: an OpenAPI 3.1 document of the Orchestration
 * Cluster REST API operations Herald's Zeebe adapter calls, for the recording server of
 * tests/engine/zeebe-rest-contract.test.ts.
 *
 * Why derived: Camunda's published 8.8 document (rest-api.yaml) ships in no npm package we can
 * install here. @camunda8/orchestration-cluster-api is generated from it (hey-api openapi-ts):
 * its sdk.gen.ts keeps each operation's method and URL, its zod.gen.ts each operation's request
 * (body, path, query) and success response. Both are bundled, unexported, in the package's
 * dist chunk; this script reads them from there, evaluates the zod section with the package's
 * own zod, and converts each schema with zod's toJSONSchema (JSON Schema 2020-12, OpenAPI 3.1's
 * dialect). Run it again after upgrading the client: `node scripts/camunda-openapi-from-client.mjs`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.dirname(import.meta.dirname);
// The package exports no ./package.json: its entry point (dist/index.cjs) tells where it lives.
const pkgDir = path.dirname(path.dirname(require.resolve('@camunda8/orchestration-cluster-api', { paths: [root] })));
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const { z } = await import(require.resolve('zod', { paths: [pkgDir] }));

/** The operations engine/zeebe calls (keep in step with engine/zeebe/rest.ts). */
const operations = [
  'searchUserTasks',
  'getUserTask',
  'getUserTaskForm',
  'searchUserTaskVariables',
  'completeUserTask',
  'assignUserTask',
  'unassignUserTask',
  'updateUserTask',
  'completeJob',
  'searchIncidents',
  'resolveIncident',
  'getProcessInstance',
  'getProcessInstanceSequenceFlows',
  'searchProcessInstances',
  'searchElementInstances',
  'searchVariables',
  'getVariable',
  'pinClock',
  'resetClock',
];

const dist = path.join(pkgDir, 'dist');
const bundle = fs
  .readdirSync(dist)
  .filter((f) => /^chunk-.*\.js$/.test(f))
  .map((f) => fs.readFileSync(path.join(dist, f), 'utf8'))
  .find((s) => s.includes('// src/gen/zod.gen.ts') && s.includes('// src/gen/sdk.gen.ts'));
if (!bundle) throw new Error(`no chunk of ${pkg.name} ${pkg.version} holds src/gen/zod.gen.ts and src/gen/sdk.gen.ts; the bundle layout changed`);

const section = (marker) => {
  const start = bundle.indexOf(marker);
  const end = bundle.indexOf('\n// src/', start + marker.length);
  return bundle.slice(start, end);
};

// Each operation's method and URL template, from sdk.gen.ts.
const routes = new Map();
for (const m of section('// src/gen/sdk.gen.ts').matchAll(/^var (\w+) = \(options\) => \{\n\s+return \(options\??\.client \?\? client\)\.(get|post|put|patch|delete)\(\{[\s\S]*?\n\s+url: "([^"]+)"/gm)) {
  routes.set(m[1], { method: m[2], url: m[3] });
}

// Every zod schema of zod.gen.ts, evaluated with zod in scope.
const zodSource = section('// src/gen/zod.gen.ts')
  .replace(/var zod_gen_exports = \{\};\n__export\(zod_gen_exports, \{[\s\S]*?\n\}\);\n/, '')
  .replace(/import \{ z \} from "zod";\n/, '');
const names = [...zodSource.matchAll(/^var (z\w+) =/gm)].map((m) => m[1]);
const schemas = new Function('z', `${zodSource}\nreturn { ${names.join(', ')} };`)(z);

const jsonSchema = (schema, io) => {
  const out = z.toJSONSchema(schema, { unrepresentable: 'any', io, target: 'draft-2020-12' });
  delete out.$schema;
  return out;
};

const paths = {};
for (const op of operations) {
  const route = routes.get(op);
  const data = schemas[`z${op[0].toUpperCase()}${op.slice(1)}Data`];
  const response = schemas[`z${op[0].toUpperCase()}${op.slice(1)}Response`];
  if (!route || !data) throw new Error(`${pkg.name} ${pkg.version} has no operation '${op}'`);
  const shape = data.shape;
  const operation = { operationId: op, parameters: [], responses: {} };
  const pathSchema = shape.path && shape.path.def.type !== 'optional' ? jsonSchema(shape.path, 'input') : undefined;
  for (const [name, schema] of Object.entries(pathSchema?.properties ?? {})) operation.parameters.push({ name, in: 'path', required: true, schema });
  const query = shape.query?.def.type === 'optional' ? shape.query.def.innerType : shape.query;
  const querySchema = query && query.def.type !== 'never' ? jsonSchema(query, 'input') : undefined;
  for (const [name, schema] of Object.entries(querySchema?.properties ?? {})) {
    operation.parameters.push({ name, in: 'query', required: (querySchema.required ?? []).includes(name), schema });
  }
  const body = shape.body;
  const bodyInner = body?.def.type === 'optional' ? body.def.innerType : body;
  if (bodyInner && bodyInner.def.type !== 'never') {
    operation.requestBody = { required: body.def.type !== 'optional', content: { 'application/json': { schema: jsonSchema(bodyInner, 'input') } } };
  }
  if (!response || response.def.type === 'void') operation.responses['204'] = { description: 'No content' };
  else operation.responses['200'] = { description: 'OK', content: { 'application/json': { schema: jsonSchema(response, 'input') } } };
  if (operation.parameters.length === 0) delete operation.parameters;
  (paths[route.url] ??= {})[route.method] = operation;
}

const document = {
  openapi: '3.1.0',
  info: {
    title: 'Orchestration Cluster REST API (the operations Herald calls)',
    version: '8.8',
    description:
      `Derived, not copied: converted by scripts/camunda-openapi-from-client.mjs from the zod schemas and routes that ` +
      `${pkg.name} ${pkg.version} generated from Camunda's published 8.8 OpenAPI document. Success responses only; ` +
      'errors are application/problem+json.',
    'x-derived-from': `${pkg.name}@${pkg.version}`,
  },
  servers: [{ url: '/v2' }],
  paths,
};

const target = path.join(root, 'tests/fixtures/camunda-8.8-openapi.json');
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.writeFileSync(target, `${JSON.stringify(document, null, 1)}\n`);
console.log(`wrote ${path.relative(root, target)}: ${operations.length} operations from ${pkg.name} ${pkg.version}`);
