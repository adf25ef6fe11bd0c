#!/usr/bin/env node
/**
 * Compiles the server's TypeScript to JavaScript in dist/ (same layout: dist/api/main.js), so
 * `npm start` runs plain node with no TypeScript loader. esbuild transpiles file by file (no
 * bundling, no type check: `npm run typecheck` does that), in well under a second.
 *
 * A file that locates something beside its source with `import.meta.url` (the UI bundle, the
 * template library, processes/) keeps finding it: in the output, `import.meta.url` is the URL of
 * the source file, written relative to the output so dist/ can move with the checkout. A file
 * that asks whether it runs from source (`import.meta.url.endsWith('.ts')`) keeps its own URL.
 *
 * `--if-stale` builds only when a source is newer than the last build (what `npm start` runs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist');
const stamp = path.join(outdir, '.build-stamp');
const SOURCES = ['api', 'cli', 'config', 'domain', 'engine', 'migrations', 'services', 'storage', 'workers'];

function sources() {
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.test.ts')) files.push(full);
    }
  };
  for (const dir of SOURCES) if (fs.existsSync(path.join(root, dir))) walk(path.join(root, dir));
  return files;
}

function stale(files) {
  if (!fs.existsSync(stamp)) return true;
  const built = fs.statSync(stamp).mtimeMs;
  const self = fileURLToPath(import.meta.url);
  if (fs.statSync(self).mtimeMs > built) return true;
  // a deleted source leaves its output behind: the list of sources is part of the stamp
  if (fs.readFileSync(stamp, 'utf8') !== files.join('\n')) return true;
  return files.some((f) => fs.statSync(f).mtimeMs > built);
}

const files = sources();
if (process.argv.includes('--if-stale') && !stale(files)) process.exit(0);

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('herald: esbuild is not installed, so the server cannot be compiled to dist/. Run `npm install`, or start from source with `npm run dev`.');
  process.exit(1);
}

const sourceUrl = (into) => ({
  name: 'source-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      let text = await fs.promises.readFile(args.path, 'utf8');
      if (text.includes('import.meta.url') && !text.includes("import.meta.url.endsWith('.ts')")) {
        const out = path.join(into, path.relative(root, args.path)).replace(/\.ts$/, '.js');
        const rel = path.relative(path.dirname(out), args.path).split(path.sep).join('/');
        text = text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
      }
      return { contents: text, loader: 'ts' };
    });
  },
});

const started = performance.now();
const began = Date.now();
// built beside dist/ and swapped in, so a server running from dist/ never sees it half written
const building = `${outdir}.building-${process.pid}`;
fs.rmSync(building, { recursive: true, force: true });
await esbuild.build({
  entryPoints: files,
  outdir: building,
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [sourceUrl(building)],
});
fs.writeFileSync(path.join(building, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
fs.writeFileSync(path.join(building, '.build-stamp'), files.join('\n'));
// stamped with the time the build began: a source saved while it ran counts as newer
fs.utimesSync(path.join(building, '.build-stamp'), new Date(began), new Date(began));
const old = `${outdir}.old-${process.pid}`;
try {
  fs.renameSync(outdir, old);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
try {
  fs.renameSync(building, outdir);
} catch {
  // another build swapped its output in first: it is as new as this one
  fs.rmSync(building, { recursive: true, force: true });
}
fs.rmSync(old, { recursive: true, force: true });
console.error(`herald: compiled ${files.length} server files to dist/ in ${Math.round(performance.now() - started)} ms`);
