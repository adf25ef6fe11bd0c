/**
 * `herald audit checkpoint` asks Herald to verify its audit chain and write a signed checkpoint of
 * the head outside the database (and keeps a copy here with --out); `herald audit verify` checks
 * the chain, against a checkpoint file when given, and exits 1 naming the first bad row.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command, CommandIo } from '../command.js';
import { call, CliError, problemLines, type Problem } from '../http.js';

const HELP = `Usage: herald audit checkpoint [--out FILE] [--json]   verify the chain and write a signed checkpoint
       herald audit verify [--checkpoint FILE] [--json]  verify the chain (against a checkpoint file)
       herald audit verify --latest [--json]             ... against the newest checkpoint in Herald's folder

Talks to Herald at HERALD_URL with the token in HERALD_TOKEN (compliance or admin).
Exit status: 0 the chain verifies, 1 it does not (or Herald refused), 2 bad usage.
`;

interface Verdict {
  ok: boolean;
  checked: number;
  lastId?: number | null;
  legacyRows?: number;
  brokenAt?: { id: number; kind: string; reason: string };
  checkpoint?: { lastId: number; rows: number; at: string };
}

interface Taken {
  checkpoint: { lastId: number; rows: number; at: string; keyId: string };
  file: string;
}

function readCheckpoint(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the checkpoint ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${file} is not JSON: is it a checkpoint written by 'herald audit checkpoint'?`);
  }
}

function printVerdict(v: Verdict, io: CommandIo): void {
  const against = v.checkpoint ? ` against the checkpoint of row ${v.checkpoint.lastId} (${v.checkpoint.rows} rows, ${v.checkpoint.at})` : '';
  if (v.ok) {
    const legacy = v.legacyRows ? `; ${v.legacyRows} legacy (unkeyed) rows at the start` : '';
    io.out(`audit chain ok: ${v.checked} rows verified${against}${legacy}\n`);
  } else {
    io.out(`audit chain BROKEN at row ${v.brokenAt!.id} (${v.brokenAt!.kind}): ${v.brokenAt!.reason}${against}; ${v.checked} rows verified before it\n`);
  }
}

export const auditCommand: Command = {
  summary: 'verify the audit chain (against a checkpoint), or write a signed checkpoint',
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { checkpoint: { type: 'string' }, latest: { type: 'boolean' }, out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    } catch (err) {
      io.err(`herald audit: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    const [action, ...extra] = positionals;
    if (extra.length || (action !== 'verify' && action !== 'checkpoint') || (action === 'verify' && (values.out || (values.latest && values.checkpoint))) || (action === 'checkpoint' && values.latest) || (action === 'checkpoint' && values.checkpoint)) {
      io.err(`herald audit: expected 'verify [--checkpoint FILE]' or 'checkpoint [--out FILE]'\n\n${HELP}`);
      return 2;
    }
    try {
      if (action === 'checkpoint') {
        const res = await call<Taken | Problem>('POST', '/api/audit/checkpoints');
        if (res.status !== 201) {
          io.err(problemLines(res.body as Problem, res.status));
          return 1;
        }
        const taken = res.body as Taken;
        // a copy away from the server is what makes the checkpoint useful against whoever runs it
        if (values.out) fs.writeFileSync(values.out, `${JSON.stringify(taken.checkpoint, null, 2)}\n`);
        if (values.json) io.out(`${JSON.stringify(taken, null, 2)}\n`);
        else io.out(`checkpoint of row ${taken.checkpoint.lastId} (${taken.checkpoint.rows} rows, key ${taken.checkpoint.keyId}) written to ${taken.file}${values.out ? ` and ${values.out}` : ''}\n`);
        return 0;
      }
      const res = values.checkpoint
        ? await call<Verdict | Problem>('POST', '/api/audit/verify', { checkpoint: readCheckpoint(values.checkpoint) })
        : await call<Verdict | Problem>('GET', values.latest ? '/api/audit/verify?against=latest' : '/api/audit/verify');
      if (res.status !== 200) {
        io.err(problemLines(res.body as Problem, res.status));
        return 1;
      }
      const verdict = res.body as Verdict;
      if (values.json) io.out(`${JSON.stringify(verdict, null, 2)}\n`);
      else printVerdict(verdict, io);
      return verdict.ok ? 0 : 1;
    } catch (err) {
      if (err instanceof CliError) {
        io.err(`herald audit: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};
