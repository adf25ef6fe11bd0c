/**
 * `herald evidence <communicationId> [--out FILE]` downloads a communication's evidence pack
 * (GET /api/communications/:id/evidence) to a ZIP file and says whether the audit rows in it
 * verified at export; exit 1 when they did not or Herald refused.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { CliError, printJson, printProblem, target } from '../http.js';

const HELP = `Usage: herald evidence <communicationId> [--out FILE] [--json]   download the communication's evidence pack (ZIP)

The pack holds the exact bytes sent and their SHA-256, the template version and its approval, the data
snapshot, consent at send time, the approvals with their audit rows, provider ids and every event, a
manifest of hashes and a README on verifying it. --out defaults to evidence-<communicationId>.zip.
Talks to Herald at HERALD_URL with the token in HERALD_TOKEN (compliance or admin).
Exit status: 0 written and its audit rows verified, 1 Herald refused or a row did not verify, 2 bad usage.
`;

export const evidenceCommand: Command = {
  summary: "download a communication's evidence pack (ZIP)",
  async run(args, io) {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string', short: 'o' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    } catch (err) {
      io.err(`herald evidence: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    if (positionals.length !== 1 || !positionals[0]) {
      io.err(`herald evidence: expected one communication id\n\n${HELP}`);
      return 2;
    }
    const id = positionals[0];
    try {
      const { url, token } = target();
      let res: Response;
      try {
        res = await fetch(`${url}/api/communications/${encodeURIComponent(id)}/evidence`, { headers: { authorization: `Bearer ${token}` } });
      } catch (err) {
        throw new CliError(`cannot reach Herald at ${url} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}); set HERALD_URL`);
      }
      if (res.status !== 200) {
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: print the text
        }
        printProblem(io, body, res.status, values.json);
        return 1;
      }
      const zip = Buffer.from(await res.arrayBuffer());
      const out = values.out ?? `evidence-${id.replace(/[^A-Za-z0-9._-]/g, '_')}.zip`;
      fs.writeFileSync(out, zip);
      const verified = res.headers.get('x-evidence-audit-rows') === 'verified';
      const sha256 = createHash('sha256').update(zip).digest('hex');
      const manifestSha256 = res.headers.get('x-evidence-manifest-sha256');
      if (values.json) {
        printJson(io, { communicationId: id, file: out, bytes: zip.length, sha256, manifestSha256, auditRows: verified ? 'verified' : 'broken' });
        return verified ? 0 : 1;
      }
      io.out(`evidence pack of ${id} written to ${out} (${zip.length} bytes, sha256 ${sha256}; manifest.json sha256 ${manifestSha256})\n`);
      io.out(verified ? 'its audit rows verified at export\n' : 'its audit rows did NOT verify at export: see manifest.json "audit.rows"\n');
      return verified ? 0 : 1;
    } catch (err) {
      if (err instanceof CliError) {
        io.err(`herald evidence: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};
