/**
 * `herald instances migrate`: Zeebe's process instance migration over Herald's API
 * (POST /api/instances/{key}/migration; engineers).
 *
 *   herald instances migrate <processInstanceKey> --to <processDefinitionKey> --map <source>[=<target>]... [--json]
 */
import { parseArgs } from 'node:util';
import type { CommandIo } from '../command.js';
import { call, CliError, printJson, printProblem } from '../http.js';

export const MIGRATE_HELP = `Usage: herald instances migrate <processInstanceKey> --to <processDefinitionKey> --map <sourceElementId>[=<targetElementId>]... [--json]

Moves a running instance to another process definition (Zeebe's process instance migration):
every active element needs a --map (an element id alone maps it to the same id). Refused, with
the reason and the element named, when the instance is not migratable. Needs an engineer.
`;

export async function migrateInstance(args: string[], io: CommandIo): Promise<number> {
  const usage = (message: string) => (io.err(`herald instances migrate: ${message}\n\n${MIGRATE_HELP}`), 2);
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { to: { type: 'string' }, map: { type: 'string', multiple: true }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(MIGRATE_HELP);
    return 0;
  }
  const [key, ...extra] = positionals;
  if (!key || extra.length || !/^\d+$/.test(key)) return usage("expected 'migrate <processInstanceKey>'");
  if (!values.to || !/^\d+$/.test(values.to)) return usage('--to needs the target process definition key (a number)');
  const mappingInstructions = (values.map ?? []).map((m) => {
    const [sourceElementId, targetElementId = sourceElementId] = m.split('=');
    return { sourceElementId, targetElementId };
  });
  if (mappingInstructions.some((m) => !m.sourceElementId || !m.targetElementId)) return usage('--map takes <sourceElementId> or <sourceElementId>=<targetElementId>');
  try {
    const res = await call('POST', `/api/instances/${key}/migration`, { targetProcessDefinitionKey: values.to, mappingInstructions });
    if (res.status !== 204) return (printProblem(io, res.body, res.status, values.json), 1);
    if (values.json) printJson(io, { processInstanceKey: key, processDefinitionKey: values.to, mappingInstructions });
    else io.out(`instance ${key} migrated to process definition ${values.to}\n`);
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`herald instances migrate: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
