/**
 * `herald instances`: list process instances (newest first), start one, or cancel one.
 *
 *   herald instances [--process id] [--state S] [--limit n] [--json]
 *   herald instances create <bpmnProcessId> [--version n] [--variables JSON|@file] [--json]
 *   herald instances cancel <processInstanceKey> [--json]
 *   herald instances modify <processInstanceKey> --activate … --terminate … (instances-modify.ts)
 *   herald instances migrate <processInstanceKey> --to <processDefinitionKey> --map … (instances-migrate.ts)
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { call, CliError, parseVariables, printJson, printProblem } from '../http.js';
import { migrateInstance } from './instances-migrate.js';
import { modifyInstance } from './instances-modify.js';

const HELP = `Usage: herald instances [--process <bpmnProcessId>] [--state ACTIVE|COMPLETED|TERMINATED] [--limit <n>] [--json]
       herald instances create <bpmnProcessId> [--version <n>] [--variables <JSON or @file>] [--json]
       herald instances cancel <processInstanceKey> [--json]
       herald instances modify <processInstanceKey> [--activate <elementId>]... [--terminate <elementInstanceKey>]... (see 'herald instances modify --help')
       herald instances migrate <processInstanceKey> --to <processDefinitionKey> --map <elementId>[=<targetElementId>]... (see 'herald instances migrate --help')

Lists, starts or cancels process instances on Herald (HERALD_URL, token in HERALD_TOKEN;
starting and cancelling need an engineer). --json prints the API's answer as JSON.
`;

interface Instance {
  processInstanceKey: string;
  bpmnProcessId: string;
  version: number;
  state: string;
  startedAt: string;
  endedAt?: string;
}

export const instancesCommand: Command = {
  summary: 'list process instances, or start (create), cancel, modify or migrate one',
  async run(args, io) {
    if (args[0] === 'modify') return modifyInstance(args.slice(1), io);
    if (args[0] === 'migrate') return migrateInstance(args.slice(1), io);
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          process: { type: 'string' },
          state: { type: 'string' },
          limit: { type: 'string' },
          version: { type: 'string' },
          variables: { type: 'string' },
          json: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      io.err(`herald instances: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    const [action, subject, ...extra] = positionals;
    try {
      if (action === 'create') {
        if (!subject || extra.length) return usage(io, "expected 'create <bpmnProcessId>'");
        const version = values.version === undefined ? undefined : Number(values.version);
        if (version !== undefined && !(Number.isInteger(version) && version >= 1)) return usage(io, '--version must be a whole number of at least 1');
        const variables = parseVariables(values.variables, (f) => fs.readFileSync(f, 'utf8'));
        const res = await call<Instance>('POST', '/api/instances', { bpmnProcessId: subject, ...(version ? { version } : {}), ...(variables ? { variables } : {}) });
        if (res.status !== 201) return (printProblem(io, res.body, res.status, values.json), 1);
        if (values.json) printJson(io, res.body);
        else io.out(`started ${res.body.bpmnProcessId} v${res.body.version}: instance ${res.body.processInstanceKey}\n`);
        return 0;
      }
      if (action === 'cancel') {
        if (!subject || extra.length || !/^\d+$/.test(subject)) return usage(io, "expected 'cancel <processInstanceKey>'");
        const res = await call('DELETE', `/api/instances/${subject}`);
        if (res.status !== 204) return (printProblem(io, res.body, res.status, values.json), 1);
        if (values.json) printJson(io, { processInstanceKey: subject, state: 'TERMINATED' });
        else io.out(`instance ${subject} cancelled\n`);
        return 0;
      }
      if (action) return usage(io, `unknown action '${action}' (create, cancel, or none to list)`);
      const state = values.state?.toUpperCase();
      if (state && !['ACTIVE', 'COMPLETED', 'TERMINATED'].includes(state)) return usage(io, '--state must be ACTIVE, COMPLETED or TERMINATED');
      const query = new URLSearchParams({ ...(values.process ? { bpmnProcessId: values.process } : {}), ...(state ? { state } : {}), ...(values.limit ? { limit: values.limit } : {}) });
      const res = await call<Instance[]>('GET', `/api/instances${query.size ? `?${query}` : ''}`);
      if (res.status !== 200) return (printProblem(io, res.body, res.status, values.json), 1);
      if (values.json) return (printJson(io, res.body), 0);
      if (!res.body.length) io.out('no instances\n');
      for (const i of res.body) io.out(`${i.processInstanceKey}  ${i.bpmnProcessId} v${i.version}  ${i.state.padEnd(10)}  started ${i.startedAt}${i.endedAt ? `  ended ${i.endedAt}` : ''}\n`);
      return 0;
    } catch (err) {
      if (err instanceof CliError) {
        io.err(`herald instances: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};

function usage(io: { err(s: string): void }, message: string): number {
  io.err(`herald instances: ${message}\n\n${HELP}`);
  return 2;
}
