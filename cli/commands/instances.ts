/** `herald instances [--process id] [--state ACTIVE|COMPLETED|TERMINATED] [--limit n]`: process instances, newest first. */
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { call, CliError, problemLines, type Problem } from '../http.js';

const HELP = `Usage: herald instances [--process <bpmnProcessId>] [--state ACTIVE|COMPLETED|TERMINATED] [--limit <n>]

Lists process instances on Herald (HERALD_URL, token in HERALD_TOKEN).
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
  summary: 'list process instances (filter by process and state)',
  async run(args, io) {
    let values;
    try {
      values = parseArgs({ args, options: { process: { type: 'string' }, state: { type: 'string' }, limit: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
    } catch (err) {
      io.err(`herald instances: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    const state = values.state?.toUpperCase();
    if (state && !['ACTIVE', 'COMPLETED', 'TERMINATED'].includes(state)) {
      io.err(`herald instances: --state must be ACTIVE, COMPLETED or TERMINATED\n`);
      return 2;
    }
    const query = new URLSearchParams({ ...(values.process ? { bpmnProcessId: values.process } : {}), ...(state ? { state } : {}), ...(values.limit ? { limit: values.limit } : {}) });
    try {
      const res = await call<Instance[] | Problem>('GET', `/api/instances${query.size ? `?${query}` : ''}`);
      if (res.status !== 200) {
        io.err(problemLines(res.body as Problem, res.status));
        return 1;
      }
      const rows = res.body as Instance[];
      if (!rows.length) io.out('no instances\n');
      for (const i of rows) io.out(`${i.processInstanceKey}  ${i.bpmnProcessId} v${i.version}  ${i.state.padEnd(10)}  started ${i.startedAt}${i.endedAt ? `  ended ${i.endedAt}` : ''}\n`);
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
