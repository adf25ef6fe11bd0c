/**
 * Diagram coverage: which flow nodes and sequence flows of each deployed process the test cases
 * took, as numbers and as one static HTML page per process with the covered path coloured.
 *
 * The page draws the diagram with the bpmn-js viewer when the package is installed (its
 * production bundle is copied beside the report, so the page works offline and from file://).
 * Without bpmn-js the page carries an SVG drawn here from the diagram's BPMN DI: plainer, but
 * the same shapes, flows and colours.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { BpmnModdle } from 'bpmn-moddle';
import type { ProcessInfo } from './model.js';
import type { SuiteResult } from './index.js';

export interface ProcessCoverage {
  processId: string;
  resourceName: string;
  flowNodes: { total: number; covered: string[]; missed: string[] };
  sequenceFlows: { total: number; covered: string[]; missed: string[] };
  /** Flow-node coverage, 0..100 (one decimal). */
  flowNodePercent: number;
  sequenceFlowPercent: number;
  /** How many instances of the process the tests ran. */
  instances: number;
}

const pct = (covered: number, total: number) => (total ? Math.round((covered / total) * 1000) / 10 : 100);

export function computeCoverage(result: Pick<SuiteResult, 'files' | 'processes'>): ProcessCoverage[] {
  const out: ProcessCoverage[] = [];
  const traces = result.files.flatMap((f) => f.cases.flatMap((c) => c.traces));
  for (const proc of [...result.processes.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    const mine = traces.filter((t) => t.bpmnProcessId === proc.id);
    const seenNodes = new Set(mine.flatMap((t) => t.elementIds));
    const seenFlows = new Set(mine.flatMap((t) => t.takenFlows));
    const nodes = proc.flowNodes.map((n) => n.id);
    const flows = proc.sequenceFlows.map((f) => f.id);
    const coveredNodes = nodes.filter((id) => seenNodes.has(id));
    const coveredFlows = flows.filter((id) => seenFlows.has(id));
    out.push({
      processId: proc.id,
      resourceName: proc.resourceName,
      flowNodes: { total: nodes.length, covered: coveredNodes, missed: nodes.filter((id) => !seenNodes.has(id)) },
      sequenceFlows: { total: flows.length, covered: coveredFlows, missed: flows.filter((id) => !seenFlows.has(id)) },
      flowNodePercent: pct(coveredNodes.length, nodes.length),
      sequenceFlowPercent: pct(coveredFlows.length, flows.length),
      instances: mine.length,
    });
  }
  return out;
}

export function coverageLines(coverage: ProcessCoverage[]): string[] {
  const width = Math.max(8, ...coverage.map((c) => c.processId.length));
  const lines = coverage.map(
    (c) =>
      `  ${c.processId.padEnd(width)}  flow nodes ${`${c.flowNodes.covered.length}/${c.flowNodes.total}`.padStart(7)} ${`${c.flowNodePercent.toFixed(1)}%`.padStart(6)}   sequence flows ${`${c.sequenceFlows.covered.length}/${c.sequenceFlows.total}`.padStart(7)} ${`${c.sequenceFlowPercent.toFixed(1)}%`.padStart(6)}`,
  );
  const nodes = coverage.reduce((s, c) => s + c.flowNodes.total, 0);
  const coveredNodes = coverage.reduce((s, c) => s + c.flowNodes.covered.length, 0);
  const flows = coverage.reduce((s, c) => s + c.sequenceFlows.total, 0);
  const coveredFlows = coverage.reduce((s, c) => s + c.sequenceFlows.covered.length, 0);
  lines.push(`  ${'total'.padEnd(width)}  flow nodes ${`${coveredNodes}/${nodes}`.padStart(7)} ${`${pct(coveredNodes, nodes).toFixed(1)}%`.padStart(6)}   sequence flows ${`${coveredFlows}/${flows}`.padStart(7)} ${`${pct(coveredFlows, flows).toFixed(1)}%`.padStart(6)}`);
  return ['Coverage:', ...lines];
}

/** The bpmn-js viewer bundle, when bpmn-js is installed. */
export function findBpmnViewer(): string | undefined {
  const fromEnv = process.env.HERALD_BPMN_VIEWER;
  if (fromEnv && fs.existsSync(fromEnv)) return fromEnv;
  try {
    const pkg = createRequire(import.meta.url).resolve('bpmn-js/package.json');
    const file = path.join(path.dirname(pkg), 'dist', 'bpmn-viewer.production.min.js');
    return fs.existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

const VIEWER_FILE = 'bpmn-viewer.production.min.js';

/** Writes `<dir>/<process>.html` per process and `<dir>/index.html`; returns the files written. */
export async function writeCoverageReport(coverage: ProcessCoverage[], processes: Map<string, ProcessInfo>, dir: string, options: { viewer?: string | null } = {}): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const viewer = options.viewer === null ? undefined : (options.viewer ?? findBpmnViewer());
  if (viewer) fs.copyFileSync(viewer, path.join(dir, VIEWER_FILE));
  const written: string[] = [];
  for (const c of coverage) {
    const proc = processes.get(c.processId)!;
    const file = path.join(dir, `${safeName(c.processId)}.html`);
    const drawing = viewer ? undefined : await renderSvg(proc.xml, new Set([...c.flowNodes.covered, ...c.sequenceFlows.covered])).catch((err: Error) => `<p>The diagram could not be drawn: ${esc(err.message)}</p>`);
    fs.writeFileSync(file, processPage(c, proc, drawing));
    written.push(file);
  }
  const rows = coverage
    .map((c) => `<tr><td><a href="${esc(safeName(c.processId))}.html">${esc(c.processId)}</a></td><td>${esc(c.resourceName)}</td><td>${c.flowNodes.covered.length}/${c.flowNodes.total}</td><td>${c.flowNodePercent.toFixed(1)}%</td><td>${c.sequenceFlows.covered.length}/${c.sequenceFlows.total}</td><td>${c.sequenceFlowPercent.toFixed(1)}%</td><td>${c.instances}</td></tr>`)
    .join('\n');
  const index = path.join(dir, 'index.html');
  fs.writeFileSync(
    index,
    page(
      'Process test coverage',
      `<h1>Process test coverage</h1><table><thead><tr><th>process</th><th>file</th><th>flow nodes</th><th>%</th><th>sequence flows</th><th>%</th><th>instances</th></tr></thead><tbody>${rows}</tbody></table>`,
    ),
  );
  written.push(index);
  return written;
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON that is safe inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const CSS = `body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
#canvas{height:70vh;border:1px solid #ccc}.legend span{display:inline-block;width:1em;height:1em;vertical-align:middle;margin:0 .3em 0 1em}
.covered:not(.djs-connection) .djs-visual>:first-child{stroke:#1b7a2f!important;fill:#c9efd0!important;stroke-width:2.5px!important}
.covered.djs-connection .djs-visual>path{stroke:#1b7a2f!important;stroke-width:3px!important}
.missed{color:#a33}`;

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style></head><body>${body}</body></html>\n`;
}

function processPage(c: ProcessCoverage, proc: ProcessInfo, svg: string | undefined): string {
  const name = (id: string) => {
    const el = [...proc.flowNodes, ...proc.sequenceFlows].find((e) => e.id === id);
    return el?.name ? `${esc(el.name)} <small>(${esc(id)})</small>` : esc(id);
  };
  const missed = [...c.flowNodes.missed, ...c.sequenceFlows.missed];
  const head = `<p><a href="index.html">all processes</a></p><h1>${esc(c.processId)}</h1>
<p>${esc(c.resourceName)}: flow nodes ${c.flowNodes.covered.length}/${c.flowNodes.total} (${c.flowNodePercent.toFixed(1)}%), sequence flows ${c.sequenceFlows.covered.length}/${c.sequenceFlows.total} (${c.sequenceFlowPercent.toFixed(1)}%), ${c.instances} instance(s).</p>
<p class="legend"><span style="background:#c9efd0;border:2px solid #1b7a2f"></span>taken <span style="background:#fff;border:1px solid #999"></span>not taken</p>`;
  const drawing = svg
    ? `<div style="overflow:auto;border:1px solid #ccc">${svg}</div>`
    : `<div id="canvas"></div>
<script src="${VIEWER_FILE}"></script>
<script>
const xml = ${scriptJson(proc.xml)};
const covered = ${scriptJson([...c.flowNodes.covered, ...c.sequenceFlows.covered])};
const viewer = new BpmnJS({ container: '#canvas' });
viewer.importXML(xml).then(() => {
  const canvas = viewer.get('canvas');
  canvas.zoom('fit-viewport');
  for (const id of covered) { try { canvas.addMarker(id, 'covered'); } catch (e) { /* not drawn */ } }
  document.body.dataset.rendered = 'true';
}).catch((err) => { document.getElementById('canvas').textContent = 'The diagram could not be drawn: ' + err.message; });
</script>`;
  const list = missed.length ? `<h2>Not taken</h2><ul class="missed">${missed.map((id) => `<li>${name(id)}</li>`).join('')}</ul>` : '<p>Every flow node and sequence flow was taken.</p>';
  return page(`${c.processId} coverage`, head + drawing + list);
}

// ------------------------------------------------------------------ fallback SVG from BPMN DI

interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface DiElement {
  $type: string;
  bpmnElement?: { id: string; $type: string; name?: string; isExpanded?: boolean };
  bounds?: Bounds;
  label?: { bounds?: Bounds };
  waypoint?: { x: number; y: number }[];
  isExpanded?: boolean;
}

async function renderSvg(xml: string, covered: Set<string>): Promise<string> {
  const { rootElement } = (await new BpmnModdle().fromXML(xml)) as unknown as { rootElement: { diagrams?: { plane: { planeElement?: DiElement[] } }[] } };
  const elements = rootElement.diagrams?.[0]?.plane.planeElement ?? [];
  if (!elements.length) return '<p>The diagram has no layout (BPMN DI) to draw.</p>';
  const xs: number[] = [];
  const ys: number[] = [];
  for (const e of elements) {
    if (e.bounds) {
      xs.push(e.bounds.x, e.bounds.x + e.bounds.width);
      ys.push(e.bounds.y, e.bounds.y + e.bounds.height);
    }
    for (const w of e.waypoint ?? []) {
      xs.push(w.x);
      ys.push(w.y);
    }
  }
  const minX = Math.min(...xs) - 20;
  const minY = Math.min(...ys) - 20;
  const w = Math.max(...xs) - minX + 40;
  const h = Math.max(...ys) - minY + 40;
  const parts: string[] = [];
  const label = (text: string | undefined, x: number, y: number) => (text ? `<text x="${x}" y="${y}" font-size="11" text-anchor="middle" fill="#222">${esc(text.length > 40 ? `${text.slice(0, 38)}…` : text)}</text>` : '');
  // containers first, so tasks and flows draw over them
  const order = (e: DiElement) => (/Participant|Lane/.test(e.bpmnElement?.$type ?? '') ? 0 : e.bpmnElement?.$type === 'bpmn:SubProcess' ? 1 : e.$type === 'bpmndi:BPMNEdge' ? 3 : 2);
  for (const e of [...elements].sort((a, b) => order(a) - order(b))) {
    const el = e.bpmnElement;
    if (!el) continue;
    const on = covered.has(el.id);
    const stroke = on ? '#1b7a2f' : '#666';
    const fill = on ? '#c9efd0' : '#fff';
    const sw = on ? 2.5 : 1.2;
    const t = el.$type;
    if (e.$type === 'bpmndi:BPMNEdge' && e.waypoint?.length) {
      if (!/SequenceFlow/.test(t)) {
        parts.push(`<polyline points="${e.waypoint.map((p) => `${p.x},${p.y}`).join(' ')}" fill="none" stroke="#999" stroke-dasharray="4 3"/>`);
        continue;
      }
      parts.push(`<polyline data-id="${esc(el.id)}" points="${e.waypoint.map((p) => `${p.x},${p.y}`).join(' ')}" fill="none" stroke="${stroke}" stroke-width="${on ? 3 : 1.2}" marker-end="url(#${on ? 'arrow-on' : 'arrow'})"/>`);
      const lb = e.label?.bounds;
      if (el.name && lb) parts.push(label(el.name, lb.x + lb.width / 2, lb.y + lb.height / 2 + 4));
      continue;
    }
    const b = e.bounds;
    if (!b) continue;
    const cx = b.x + b.width / 2;
    const cy = b.y + b.height / 2;
    const lb = e.label?.bounds;
    if (/Participant|Lane/.test(t)) {
      parts.push(`<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" fill="none" stroke="#bbb"/>`);
      if (el.name) parts.push(`<text x="${b.x + 14}" y="${cy}" font-size="12" text-anchor="middle" transform="rotate(-90 ${b.x + 14} ${cy})">${esc(el.name)}</text>`);
    } else if (/Event$/.test(t)) {
      const r = b.width / 2;
      parts.push(`<circle data-id="${esc(el.id)}" cx="${cx}" cy="${cy}" r="${r}" fill="${fill}" stroke="${stroke}" stroke-width="${t === 'bpmn:EndEvent' ? sw + 2 : sw}"/>`);
      if (/Intermediate|Boundary/.test(t)) parts.push(`<circle cx="${cx}" cy="${cy}" r="${r - 3}" fill="none" stroke="${stroke}"/>`);
      parts.push(label(el.name, lb ? lb.x + lb.width / 2 : cx, lb ? lb.y + 10 : b.y + b.height + 14));
    } else if (/Gateway$/.test(t)) {
      parts.push(`<polygon data-id="${esc(el.id)}" points="${cx},${b.y} ${b.x + b.width},${cy} ${cx},${b.y + b.height} ${b.x},${cy}" fill="${fill}" stroke="${stroke}" stroke-width="${sw}"/>`);
      const mark = t === 'bpmn:ParallelGateway' ? '+' : t === 'bpmn:InclusiveGateway' ? 'o' : t === 'bpmn:EventBasedGateway' ? '◇' : '×';
      parts.push(`<text x="${cx}" y="${cy + 6}" font-size="18" text-anchor="middle" fill="${stroke}">${mark}</text>`);
      parts.push(label(el.name, lb ? lb.x + lb.width / 2 : cx, lb ? lb.y + 10 : b.y + b.height + 14));
    } else if (/Task$|SubProcess$|CallActivity$|Transaction$/.test(t)) {
      const expanded = t === 'bpmn:SubProcess' && e.isExpanded !== false && b.width > 150;
      parts.push(`<rect data-id="${esc(el.id)}" x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" rx="10" fill="${expanded ? (on ? '#eefaf0' : 'none') : fill}" stroke="${stroke}" stroke-width="${t === 'bpmn:CallActivity' ? sw + 2 : sw}"/>`);
      parts.push(expanded ? label(el.name, b.x + b.width / 2, b.y + 16) : label(el.name, cx, cy + 4));
    } else if (t === 'bpmn:TextAnnotation') {
      parts.push(`<path d="M${b.x + 10},${b.y} L${b.x},${b.y} L${b.x},${b.y + b.height} L${b.x + 10},${b.y + b.height}" fill="none" stroke="#999"/>`);
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="${minX} ${minY} ${w} ${h}" font-family="system-ui,sans-serif">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#666"/></marker>
<marker id="arrow-on" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1b7a2f"/></marker></defs>
${parts.join('\n')}
</svg>`;
}
