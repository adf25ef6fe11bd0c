/**
 * Which BPMN, DMN and form files a spec runs against.
 *
 * - An explicit `resources:` list: paths relative to the spec file, or else to the project root
 *   (the nearest folder above the spec with a package.json), so `../shared/x.bpmn` works too.
 * - Otherwise the files beside the spec whose name the spec's name starts with:
 *   `invoice.spec.yaml` and `invoice.reminder.spec.yaml` both run against `invoice.bpmn`
 *   (and `invoice.dmn`). When none matches, every BPMN/DMN/form file in the folder.
 * - Either way, called processes, called decisions and linked forms that the chosen files need
 *   are added from the same folders.
 */
import fs from 'node:fs';
import path from 'node:path';
import { scanReferences } from './model.js';

export interface SpecResource {
  name: string;
  path: string;
  content: string;
}

const RESOURCE_EXT = /\.(bpmn|dmn|form)$/;

export function projectRoot(from: string): string {
  let dir = path.resolve(from);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

export function specBaseName(specFile: string): string {
  return path.basename(specFile).replace(/\.spec\.ya?ml$/, '');
}

function read(file: string): SpecResource {
  return { name: path.basename(file), path: file, content: fs.readFileSync(file, 'utf8') };
}

function resourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => RESOURCE_EXT.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

export function resolveResources(specFile: string, explicit?: string[]): SpecResource[] {
  const specDir = path.dirname(path.resolve(specFile));
  const chosen = new Map<string, SpecResource>();
  const searchDirs = new Set<string>([specDir]);
  if (explicit?.length) {
    const root = projectRoot(specDir);
    for (const entry of explicit) {
      const tried = [path.resolve(specDir, entry), path.resolve(root, entry)];
      const found = tried.find((p) => fs.existsSync(p) && fs.statSync(p).isFile());
      if (!found) throw new Error(`${specFile}: resource '${entry}' not found (looked at ${tried.join(' and ')})`);
      chosen.set(found, read(found));
      searchDirs.add(path.dirname(found));
    }
  } else {
    const files = resourceFiles(specDir);
    const base = specBaseName(specFile);
    const parts = base.split('.');
    let matched: string[] = [];
    for (let n = parts.length; n > 0 && !matched.length; n--) {
      const prefix = parts.slice(0, n).join('.');
      matched = files.filter((f) => path.basename(f).replace(RESOURCE_EXT, '') === prefix);
    }
    for (const f of matched.length ? matched : files) chosen.set(f, read(f));
    if (!chosen.size) throw new Error(`${specFile}: no BPMN or DMN file beside it; name one with 'resources:'`);
  }
  // Add what the chosen files call, from the folders they came from.
  const pool = new Map<string, string>();
  for (const dir of searchDirs) {
    for (const f of resourceFiles(dir)) {
      for (const id of scanReferences(f, fs.readFileSync(f, 'utf8')).defines) if (!pool.has(id)) pool.set(id, f);
    }
  }
  const queue = [...chosen.values()];
  const defined = new Set(queue.flatMap((r) => scanReferences(r.name, r.content).defines));
  while (queue.length) {
    const r = queue.shift()!;
    for (const need of scanReferences(r.name, r.content).needs) {
      if (defined.has(need)) continue;
      const file = pool.get(need);
      if (!file || chosen.has(file)) continue;
      const res = read(file);
      chosen.set(file, res);
      queue.push(res);
      for (const id of scanReferences(res.name, res.content).defines) defined.add(id);
    }
  }
  return [...chosen.values()];
}

/** Spec files under the given files or folders (recursively), sorted; `node_modules` skipped. */
export function findSpecFiles(targets: string[]): string[] {
  const out = new Set<string>();
  const visit = (p: string) => {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(p).sort()) {
        if (entry === 'node_modules' || entry.startsWith('.')) continue;
        visit(path.join(p, entry));
      }
    } else if (/\.spec\.ya?ml$/.test(p)) out.add(path.resolve(p));
  };
  for (const t of targets) {
    if (!fs.existsSync(t)) throw new Error(`no such file or folder: ${t}`);
    const stat = fs.statSync(t);
    if (stat.isFile()) out.add(path.resolve(t));
    else visit(t);
  }
  return [...out];
}
