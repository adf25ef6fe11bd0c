/** `herald signals broadcast <name> [--variables JSON|@file] [--json]`: broadcasts a signal (Zeebe's BroadcastSignal). */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { call, CliError, parseVariables, printJson, printProblem } from '../http.js';

const HELP = `Usage: herald signals broadcast <name> [--variables <JSON or @file>] [--json]

Broadcasts a signal to every signal subscription, including signal start events.
Needs an engineer's token (HERALD_TOKEN).
`;

export const signalsCommand: Command = {
  summary: 'broadcast a signal (signals broadcast <name>)',
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { variables: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    } catch (err) {
      io.err(`herald signals: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    const [action, name, ...extra] = positionals;
    if (action !== 'broadcast' || !name || extra.length) {
      io.err(`herald signals: expected 'broadcast <name>'\n\n${HELP}`);
      return 2;
    }
    try {
      const variables = parseVariables(values.variables, (f) => fs.readFileSync(f, 'utf8'));
      const res = await call<{ signalKey: string }>('POST', '/api/signals', { signalName: name, ...(variables ? { variables } : {}) });
      if (res.status !== 201) return (printProblem(io, res.body, res.status, values.json), 1);
      if (values.json) printJson(io, res.body);
      else io.out(`broadcast ${name}: signal ${res.body.signalKey}\n`);
      return 0;
    } catch (err) {
      if (err instanceof CliError) {
        io.err(`herald signals: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};
