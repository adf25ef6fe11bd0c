/**
 * `npm run bench` (node --expose-gc --import tsx bench/index.ts): runs every bench module present
 * (engine; render and dmn when their files exist) and prints one table. It reports; it asserts nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Result } from './engine.js';

const here = import.meta.dirname;
const MODULES: { file: string; fn: string }[] = [
  { file: 'engine.ts', fn: 'benchEngine' },
  { file: 'engine-scale.ts', fn: 'benchEngineScale' },
  { file: 'render.ts', fn: 'benchRender' },
  { file: 'dmn.ts', fn: 'benchDmn' },
  { file: 'communications.ts', fn: 'benchCommunications' },
  { file: 'delivery-failover.ts', fn: 'benchDeliveryFailover' },
  { file: 'requests.ts', fn: 'benchRequests' },
  { file: 'api.ts', fn: 'benchApi' },
  { file: 'start.ts', fn: 'benchStart' },
];
const only = process.argv.slice(2);

const sections: { module: string; results: Result[]; error?: string; seconds: number }[] = [];
for (const m of MODULES) {
  const file = path.join(here, m.file);
  if (!fs.existsSync(file)) continue;
  if (only.length && !only.some((o) => m.file.startsWith(o))) continue;
  process.stderr.write(`[bench] ${m.file} ...\n`);
  const t0 = performance.now();
  try {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const fn = mod[m.fn];
    if (typeof fn !== 'function') throw new Error(`${m.file} does not export ${m.fn}()`);
    sections.push({ module: m.file, results: (await fn()) as Result[], seconds: (performance.now() - t0) / 1000 });
  } catch (err) {
    sections.push({ module: m.file, results: [], error: (err as Error).stack ?? String(err), seconds: (performance.now() - t0) / 1000 });
  }
}

const fmt = (v: number | undefined) => (v === undefined ? '' : Number.isNaN(v) ? 'n/a' : v.toLocaleString('en-US', { maximumFractionDigits: 2 }));
const rows: string[][] = [['benchmark', 'value', 'unit', 'baseline', 'ratio', 'note']];
for (const s of sections) {
  rows.push([`# ${s.module} (${s.seconds.toFixed(1)} s)`, '', '', '', '', s.error ? `FAILED: ${s.error.split('\n')[0]}` : '']);
  for (const r of s.results) rows.push([r.name, fmt(r.value), r.unit, fmt(r.baseline), r.ratio === undefined ? '' : `${fmt(r.ratio)}x`, r.note ?? '']);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (i === 5 ? 0 : r[i].length))));
const line = (r: string[]) => r.map((c, i) => (i === 1 || i === 3 || i === 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
console.log('\n' + line(rows[0]));
console.log(widths.map((w) => '-'.repeat(Math.max(w, 4))).join('  '));
for (const r of rows.slice(1)) console.log(line(r));
for (const s of sections) if (s.error) console.error(`\n${s.module} failed:\n${s.error}`);
process.exit(sections.some((s) => s.error) ? 1 : 0);
