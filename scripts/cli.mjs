#!/usr/bin/env node
/**
 * The CLI on the compiled code in dist/ (built first when a source is newer, as `npm start` does):
 * what `npm run test:processes` runs, so a run spends no time compiling TypeScript on the fly.
 * `npx herald` (bin/herald.mjs) runs the sources through tsx instead.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const build = spawnSync(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'build-server.mjs'), '--if-stale'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const { main } = await import('../dist/cli/herald.js');
process.exitCode = await main(process.argv.slice(2));
