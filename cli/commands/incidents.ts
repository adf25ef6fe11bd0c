/** `herald incidents` lists open incidents; `herald incidents retry <key> [--retries n]` retries one. */
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { call, CliError, printJson, printProblem, type Problem } from '../http.js';

const HELP = `Usage: herald incidents [--json]                         list open incidents
       herald incidents retry <key> [--retries n] [--json]  retry the element (a job gets n retries, default 1)

Talks to Herald at HERALD_URL with the token in HERALD_TOKEN (retrying needs an engineer).
`;

interface Incident {
  incidentKey: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  elementId: string;
  errorType: string;
  errorMessage: string;
}

export const incidentsCommand: Command = {
  summary: 'list open incidents, or retry one (incidents retry <key>)',
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { retries: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    } catch (err) {
      io.err(`herald incidents: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    const [action, key, ...extra] = parsed.positionals;
    if (parsed.values.help) {
      io.out(HELP);
      return 0;
    }
    try {
      if (!action) {
        const res = await call<Incident[] | Problem>('GET', '/api/incidents');
        if (res.status !== 200) {
          printProblem(io, res.body, res.status, parsed.values.json);
          return 1;
        }
        const rows = res.body as Incident[];
        if (parsed.values.json) return (printJson(io, rows), 0);
        if (!rows.length) io.out('no open incidents\n');
        for (const i of rows) io.out(`${i.incidentKey}  ${i.bpmnProcessId} instance ${i.processInstanceKey}  ${i.elementId}  ${i.errorType}: ${i.errorMessage}\n`);
        return 0;
      }
      if (action !== 'retry' || !key || extra.length || !/^\d+$/.test(key)) {
        io.err(`herald incidents: expected 'retry <incident key>'\n\n${HELP}`);
        return 2;
      }
      const retries = parsed.values.retries === undefined ? undefined : Number(parsed.values.retries);
      if (retries !== undefined && !(Number.isInteger(retries) && retries >= 1)) {
        io.err('herald incidents: --retries must be a whole number of at least 1\n');
        return 2;
      }
      const res = await call<Problem | undefined>('POST', `/api/incidents/${key}/resolution`, retries === undefined ? {} : { retries });
      if (res.status !== 204) {
        printProblem(io, res.body, res.status, parsed.values.json);
        return 1;
      }
      if (parsed.values.json) return (printJson(io, { incidentKey: key, resolved: true }), 0);
      io.out(`incident ${key} resolved; the element runs again\n`);
      return 0;
    } catch (err) {
      if (err instanceof CliError) {
        io.err(`herald incidents: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};
