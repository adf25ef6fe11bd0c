/**
 * `herald instances modify`: Zeebe's process instance modification over Herald's API
 * (POST /api/instances/{key}/modification; engineers).
 *
 *   herald instances modify <processInstanceKey> [--activate <elementId>]... [--terminate <elementInstanceKey>]...
 *                           [--variables JSON|@file] [--instructions JSON|@file] [--json]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { CommandIo } from '../command.js';
import { call, CliError, parseVariables, printJson, printProblem } from '../http.js';

export const MODIFY_HELP = `Usage: herald instances modify <processInstanceKey> [--activate <elementId>]... [--terminate <elementInstanceKey>]...
                              [--variables <JSON or @file>] [--instructions <JSON or @file>] [--json]

Activates elements and terminates element instances of a running instance, in one step (Zeebe's
process instance modification): e.g. move a token stuck at an incident past it with
  --activate send-notice --terminate <key of the failed element instance>
--variables sets variables on the process instance with the first activation; --instructions
takes the whole request body ({"activateInstructions": [...], "terminateInstructions": [...]}).
Every instruction is checked before any is applied; unknown elements are named. Needs an engineer.
`;

interface Body {
  activateInstructions?: { elementId: string; variableInstructions?: { variables: Record<string, unknown>; scopeId?: string }[] }[];
  terminateInstructions?: { elementInstanceKey: string }[];
}

function readJson(raw: string, option: string): unknown {
  let text = raw;
  if (raw.startsWith('@')) {
    try {
      text = fs.readFileSync(raw.slice(1), 'utf8');
    } catch (err) {
      throw new CliError(`${option}: cannot read ${raw.slice(1)} (${(err as Error).message})`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${option}: not JSON (${(err as Error).message})`);
  }
}

/** Runs `herald instances modify …` (the arguments after `modify`). */
export async function modifyInstance(args: string[], io: CommandIo): Promise<number> {
  const usage = (message: string) => (io.err(`herald instances modify: ${message}\n\n${MODIFY_HELP}`), 2);
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        activate: { type: 'string', multiple: true },
        terminate: { type: 'string', multiple: true },
        variables: { type: 'string' },
        instructions: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(MODIFY_HELP);
    return 0;
  }
  const [key, ...extra] = positionals;
  if (!key || extra.length || !/^\d+$/.test(key)) return usage("expected 'modify <processInstanceKey>'");
  try {
    let body: Body = {};
    if (values.instructions !== undefined) {
      const given = readJson(values.instructions, '--instructions');
      if (!given || typeof given !== 'object' || Array.isArray(given)) throw new CliError('--instructions: expected a JSON object with activateInstructions and/or terminateInstructions');
      body = given as Body;
    }
    const activate = values.activate ?? [];
    const terminate = values.terminate ?? [];
    const variables = parseVariables(values.variables, (f) => fs.readFileSync(f, 'utf8'));
    if (variables && !activate.length) return usage('--variables needs an --activate (the variables are set with the first activation)');
    if (activate.length) {
      body.activateInstructions = [
        ...(body.activateInstructions ?? []),
        ...activate.map((elementId, i) => ({ elementId, ...(i === 0 && variables ? { variableInstructions: [{ variables }] } : {}) })),
      ];
    }
    if (terminate.length) body.terminateInstructions = [...(body.terminateInstructions ?? []), ...terminate.map((elementInstanceKey) => ({ elementInstanceKey }))];
    if (!body.activateInstructions?.length && !body.terminateInstructions?.length) return usage('give at least one --activate or --terminate (or --instructions)');

    const res = await call('POST', `/api/instances/${key}/modification`, body);
    if (res.status !== 204) return (printProblem(io, res.body, res.status, values.json), 1);
    const summary = { processInstanceKey: key, activated: (body.activateInstructions ?? []).map((a) => a.elementId), terminated: (body.terminateInstructions ?? []).map((t) => t.elementInstanceKey) };
    if (values.json) printJson(io, summary);
    else io.out(`instance ${key} modified: activated ${summary.activated.join(', ') || 'nothing'}; terminated ${summary.terminated.join(', ') || 'nothing'}\n`);
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`herald instances modify: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
