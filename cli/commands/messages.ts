/**
 * `herald messages publish <name> --correlation-key <key> [--variables JSON|@file] [--ttl ms]
 * [--message-id id] [--json]`: publishes a message (Zeebe's PublishMessage) through the API.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { call, CliError, parseVariables, printJson, printProblem } from '../http.js';

const HELP = `Usage: herald messages publish <name> --correlation-key <key> [options]

Publishes a message: it correlates by name and correlation key, is buffered for --ttl, and
starts instances at message start events. Needs an engineer's token (HERALD_TOKEN).

Options:
  --correlation-key <key>    required; "" for message start events without a key
  --variables <JSON|@file>   variables the message carries
  --ttl <ms>                 how long the message is buffered (default 0: not buffered)
  --message-id <id>          de-duplication: the same name and id within the TTL is refused
  --json                     print the API's answer as JSON
`;

export const messagesCommand: Command = {
  summary: 'publish a message (messages publish <name> --correlation-key <key>)',
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          'correlation-key': { type: 'string' },
          variables: { type: 'string' },
          ttl: { type: 'string' },
          'message-id': { type: 'string' },
          json: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      io.err(`herald messages: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    const [action, name, ...extra] = positionals;
    if (action !== 'publish' || !name || extra.length) {
      io.err(`herald messages: expected 'publish <name>'\n\n${HELP}`);
      return 2;
    }
    const correlationKey = values['correlation-key'];
    if (correlationKey === undefined) {
      io.err(`herald messages: --correlation-key is required ("" for start events without a key)\n`);
      return 2;
    }
    const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
    if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= 0)) {
      io.err('herald messages: --ttl must be a whole number of milliseconds\n');
      return 2;
    }
    try {
      const variables = parseVariables(values.variables, (f) => fs.readFileSync(f, 'utf8'));
      const body = { name, correlationKey, ...(variables ? { variables } : {}), ...(ttl !== undefined ? { timeToLive: ttl } : {}), ...(values['message-id'] ? { messageId: values['message-id'] } : {}) };
      const res = await call<{ messageKey: string }>('POST', '/api/messages', body);
      if (res.status !== 201) return (printProblem(io, res.body, res.status, values.json), 1);
      if (values.json) printJson(io, res.body);
      else io.out(`published ${name} (correlation key "${correlationKey}"): message ${res.body.messageKey}\n`);
      return 0;
    } catch (err) {
      if (err instanceof CliError) {
        io.err(`herald messages: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};
