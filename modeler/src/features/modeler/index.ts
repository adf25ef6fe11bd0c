/**
 * Modeler: open a deployed version or a draft, edit with the Zeebe properties panel, see lint
 * results on the canvas, save a draft, deploy a draft (engineers; the server refuses the draft's
 * author), import and download .bpmn files, and the process's version history. Drafts are named
 * by their process, their number among its drafts and their author ("draft 3 by ada"), and the
 * open diagram is compared with the deployed version (bpmn-js-differ): changes marked on the
 * canvas and listed, so an engineer reviews what a draft changes before deploying it.
 */
import { ApiProblem, get, post } from '../../core/api.js';
import { clear, explain, field, h, toast, when } from '../../core/dom.js';
import type { Feature } from '../../core/feature.js';
import { refusal } from '../../core/refusal.js';
import { session } from '../../core/session.js';
import { readableZoom, type ZoomableCanvas } from '../../core/diagram.js';
import { createHeraldModeler } from './herald-modeler.js';
import type LintSummary from './lint-summary/LintSummary.js';
import { compareDiagrams, type Change } from './deployed-diff.js';

interface Definition {
  processDefinitionKey: string;
  bpmnProcessId: string;
  version: number;
  resourceName?: string;
  deployedAt?: string;
}
interface Draft {
  id: string;
  bpmnProcessId: string;
  baseVersion?: number;
  author: string;
  createdAt: string;
  status?: string;
  deployedVersion?: number;
  xml?: string;
}

const EMPTY = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.8.0">
  <bpmn:process id="new-process" name="New process" isExecutable="true">
    <bpmn:startEvent id="start" name="Start" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="new-process">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" width="36" height="36" /></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>`;

export const modelerFeature: Feature = {
  id: 'modeler',
  title: 'Modeler',
  route: 'modeler',
  roles: ['analyst', 'engineer', 'admin'],
  async mount(el, params) {
    const [processId, kind, ref] = params;
    const state: { processId?: string; draft?: Draft; draftNo?: number; version?: number; dirty: boolean } = { processId, dirty: false };
    /** A draft's name: its number among the process's drafts (oldest is 1), and its author. */
    const numberDrafts = (drafts: Draft[]) => new Map([...drafts].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)).map((d, i) => [d.id, i + 1]));
    const draftsOf = (id: string) => get<Draft[]>(`/api/drafts?bpmnProcessId=${encodeURIComponent(id)}`).catch(() => [] as Draft[]);
    const draftName = (d: Draft, no?: number) => `draft ${no ?? '?'} by ${d.author}`;

    const picker = h('select', { name: 'process', id: 'process-picker' });
    const canvas = h('div', { class: 'canvas', id: 'modeler-canvas', tabindex: 0, 'aria-label': 'BPMN canvas' });
    const panel = h('aside', { class: 'panel', id: 'properties-panel', 'aria-label': 'Properties' });
    const heading = h('h1', {}, 'Modeler');
    const where = h('p', { class: 'meta', id: 'modeler-status', 'aria-live': 'polite' });
    const lint = h('details', { class: 'lint', id: 'lint-summary' });
    const history = h('section', { class: 'history', id: 'version-history' });
    const file = h('input', { type: 'file', accept: '.bpmn,.xml', id: 'import-file', class: 'visually-hidden', 'aria-label': 'Import a .bpmn file' });
    const saveBtn = h('button', { type: 'button', class: 'primary', id: 'save-draft' }, 'Save draft');
    const deployBtn = h('button', { type: 'button', id: 'deploy' }, 'Deploy');
    const testBtn = h('button', { type: 'button', id: 'dry-run' }, 'Run process tests');
    const deployOutcome = h('div', { id: 'deploy-outcome', 'aria-live': 'polite' });
    const compareBtn = h('button', { type: 'button', id: 'compare-deployed', disabled: true }, 'Compare with deployed');
    const diffBox = h('section', { id: 'deployed-diff', 'aria-live': 'polite' });
    let marked: { id: string; marker: string }[] = [];

    const modeler = createHeraldModeler(canvas, panel);
    const lintSummary = modeler.get('lintSummary') as LintSummary;
    lintSummary.subscribe((issues) => {
      const errors = issues.filter((i) => i.category === 'error').length;
      const warnings = issues.length - errors;
      clear(
        lint,
        h('summary', {}, issues.length ? `Lint: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}` : 'Lint: no problems'),
        h('ul', {}, issues.map((i) => h('li', { class: i.category }, h('strong', {}, i.elementId), `: ${i.message}`))),
      );
    });
    (modeler.get('eventBus') as { on(e: string, f: () => void): void }).on('commandStack.changed', () => {
      state.dirty = true;
      renderStatus();
    });

    const renderStatus = () => {
      const what = state.draft ? draftName(state.draft, state.draftNo) : state.version ? `deployed version ${state.version}` : 'new diagram';
      where.textContent = `${state.processId ?? 'new-process'} · ${what}${state.dirty ? ' · unsaved changes' : ''}`;
      deployBtn.disabled = testBtn.disabled = !state.draft || state.dirty;
      deployBtn.title = testBtn.title = !state.draft ? 'Save a draft first; tests and deployments work on a saved draft' : state.dirty ? 'Save the changes as a draft first' : '';
    };

    const clearDiff = () => {
      const canvas = modeler.get('canvas') as { removeMarker(id: string, m: string): void };
      for (const m of marked) canvas.removeMarker(m.id, m.marker);
      marked = [];
      clear(diffBox);
    };
    const open = async (xml: string) => {
      marked = [];
      clear(diffBox);
      const { warnings } = await modeler.importXML(xml);
      readableZoom(modeler.get('canvas') as ZoomableCanvas);
      state.dirty = false;
      if (warnings.length) toast(`Opened with ${warnings.length} import warning(s)`);
      renderStatus();
    };

    const processIdOf = async () => {
      const root = (modeler.get('canvas') as { getRootElement(): { businessObject: { id: string; $type: string; processRef?: { id: string } } } }).getRootElement().businessObject;
      return root.$type === 'bpmn:Collaboration' ? root.processRef?.id ?? root.id : root.id;
    };

    const loadHistory = async () => {
      if (!state.processId) return clear(history);
      const [defs, drafts] = await Promise.all([get<Definition[]>(`/api/process-definitions?bpmnProcessId=${encodeURIComponent(state.processId)}`).catch(() => [] as Definition[]), draftsOf(state.processId)]);
      const numbers = numberDrafts(drafts);
      clear(
        history,
        h('h2', {}, 'Version history'),
        h(
          'ol',
          { reversed: true },
          [...defs]
            .sort((a, b) => b.version - a.version)
            .map((d) => h('li', {}, h('a', { href: `#/modeler/${d.bpmnProcessId}/v/${d.version}` }, `version ${d.version}`), d.deployedAt ? ` deployed ${when(d.deployedAt)}` : '', state.version === d.version && !state.draft ? ' (open)' : '')),
        ),
        drafts.length ? h('h2', {}, 'Drafts') : null,
        h(
          'ul',
          {},
          drafts.map((d) =>
            h('li', {}, h('a', { href: `#/modeler/${d.bpmnProcessId}/draft/${d.id}`, title: `draft ${d.id}` }, `draft ${numbers.get(d.id)}`), ` by ${d.author}, ${when(d.createdAt)}`, d.deployedVersion ? ` → deployed as version ${d.deployedVersion}` : '', state.draft?.id === d.id ? ' (open)' : ''),
          ),
        ),
      );
    };

    saveBtn.addEventListener('click', async () => {
      try {
        const { xml } = await modeler.saveXML({ format: true });
        const bpmnProcessId = await processIdOf();
        const draft = await post<Draft>('/api/drafts', { bpmnProcessId, xml, baseVersion: state.version ?? state.draft?.baseVersion });
        state.draft = draft;
        state.processId = bpmnProcessId;
        state.dirty = false;
        history.replaceChildren();
        location.hash = `#/modeler/${bpmnProcessId}/draft/${draft.id}`;
        state.draftNo = numberDrafts(await draftsOf(bpmnProcessId)).get(draft.id);
        toast(`Saved ${bpmnProcessId} ${draftName(draft, state.draftNo)}`);
      } catch (err) {
        toast(explain(err), 'error');
      }
    });

    interface SpecReport { ok?: boolean; passed?: number; failed: number; skipped?: number; durationMs?: number; lint?: { errors: { elementId: string | null; message: string }[] }; specs: { file: string; error?: string; cases: { name: string; status: string; failure?: { where: string; message: string } }[] }[] }
    const failuresOf = (report?: SpecReport) =>
      (report?.specs ?? []).flatMap((sp) => [...(sp.error ? [`${sp.file}: ${sp.error}`] : []), ...sp.cases.filter((c) => c.status === 'failed').map((c) => `${sp.file} › ${c.name}${c.failure ? ` — ${c.failure.where}: ${c.failure.message}` : ''}`)]);

    // the dry run: lint and the process's tests against the saved draft on a throw-away engine; deploys nothing
    testBtn.addEventListener('click', async () => {
      if (!state.draft) return;
      testBtn.disabled = true;
      testBtn.setAttribute('aria-busy', 'true');
      clear(deployOutcome, h('p', { class: 'meta', role: 'status' }, 'Running the process tests against this draft…'));
      try {
        const report = await post<SpecReport>(`/api/drafts/${state.draft.id}/dry-run`);
        const failures = [...(report.lint?.errors ?? []).map((e) => `${e.elementId ?? 'diagram'}: ${e.message}`), ...failuresOf(report)];
        const cases = report.specs.flatMap((sp) => sp.cases);
        clear(
          deployOutcome,
          h(
            'div',
            { class: failures.length ? 'report bad' : 'report good', id: 'dry-run-report', role: 'status' },
            h('strong', {}, failures.length ? `Process tests: ${report.failed} of ${cases.length} failed` : cases.length ? `Process tests: all ${report.passed ?? cases.length} passed` : 'No process tests for this process'),
            report.durationMs !== undefined ? h('span', { class: 'meta' }, ` · ${(report.durationMs / 1000).toFixed(1)} s · nothing was deployed`) : null,
            failures.length ? h('ul', {}, failures.map((f) => h('li', {}, f))) : null,
            h('details', {}, h('summary', {}, 'Every case'), h('ul', { class: 'cases' }, cases.map((c) => h('li', { class: c.status }, `${c.status === 'passed' ? '✓' : c.status === 'failed' ? '✗' : '–'} ${c.name}`)))),
          ),
        );
      } catch (err) {
        clear(deployOutcome, refusal(err));
      } finally {
        testBtn.removeAttribute('aria-busy');
        renderStatus();
      }
    });
    const deploy = async (override?: { reason: string }) => {
      if (!state.draft) return;
      clear(deployOutcome);
      try {
        const res = await post<{ processes?: { bpmnProcessId: string; version: number; duplicate?: boolean }[]; version?: number }>(`/api/drafts/${state.draft.id}/deployment`, override ? { override } : {});
        const p = res.processes?.find((x) => x.bpmnProcessId === state.processId) ?? res.processes?.[0];
        const version = p?.version ?? res.version;
        toast(p?.duplicate ? `Unchanged: version ${version} is already this diagram` : `Deployed ${state.processId} version ${version}`);
        location.hash = `#/modeler/${state.processId}/v/${version}`;
      } catch (err) {
        if (err instanceof ApiProblem && err.status === 422 && err.rule === 'spec') {
          // the process tests failed against this draft: say which, and let an engineer deploy anyway, on the record
          const failures = failuresOf(err.body.report as SpecReport | undefined);
          const reason = h('textarea', { id: 'override-reason', rows: 2, minlength: 10 });
          clear(
            deployOutcome,
            h(
              'div',
              { class: 'refusal', role: 'alert' },
              h('strong', {}, 'Not deployed — process tests failed against this draft'),
              h('ul', {}, failures.map((f) => h('li', {}, f))),
              field('Deploy anyway? Say why (at least 10 characters; audited)', reason),
              h('button', { type: 'button', class: 'danger', id: 'deploy-override', onclick: () => (reason.value.trim().length >= 10 ? void deploy({ reason: reason.value.trim() }) : (reason.focus(), toast('Give a reason of at least 10 characters', 'error'))) }, 'Deploy anyway'),
            ),
          );
        } else if (err instanceof ApiProblem && err.status === 422 && Array.isArray(err.body.errors)) {
          const errors = err.body.errors as { elementId: string | null; message: string }[];
          clear(deployOutcome, h('div', { class: 'refusal', role: 'alert' }, h('strong', {}, `Not deployed — ${err.title}`), h('ul', {}, errors.map((e) => h('li', {}, `${e.elementId ?? 'diagram'}: ${e.message}`)))));
        } else clear(deployOutcome, refusal(err));
      }
    };
    deployBtn.addEventListener('click', async () => {
      deployBtn.disabled = true;
      deployBtn.setAttribute('aria-busy', 'true');
      clear(deployOutcome, h('p', { class: 'meta', role: 'status' }, 'Running the process tests, then deploying…'));
      await deploy();
      deployBtn.removeAttribute('aria-busy');
      renderStatus();
    });

    // the open diagram against the newest deployed version of its process, marked on the canvas and listed
    compareBtn.addEventListener('click', async () => {
      clearDiff();
      const id = state.processId ?? (await processIdOf());
      const deployed = defs.filter((d) => d.bpmnProcessId === id).sort((a, b) => b.version - a.version)[0];
      if (!deployed) return void clear(diffBox, h('p', { class: 'meta' }, `${id} is not deployed yet: everything in it is new.`));
      try {
        const res = await get<{ xml: string } | string>(`/api/process-definitions/${deployed.processDefinitionKey}/xml`);
        const { xml } = await modeler.saveXML({ format: true });
        const registry = modeler.get('elementRegistry') as { get(id: string): unknown };
        const changes = await compareDiagrams(typeof res === 'string' ? res : res.xml, xml!, (eid) => !!registry.get(eid));
        const canvas = modeler.get('canvas') as { addMarker(id: string, m: string): void };
        for (const c of changes) {
          if (c.kind === 'removed' || !registry.get(c.elementId)) continue;
          canvas.addMarker(c.elementId, `diff-${c.kind}`);
          marked.push({ id: c.elementId, marker: `diff-${c.kind}` });
        }
        const count = (k: Change['kind']) => changes.filter((c) => c.kind === k).length;
        const word: Record<Change['kind'], string> = { added: 'Added', changed: 'Changed', removed: 'Removed', moved: 'Moved' };
        clear(
          diffBox,
          h('h2', {}, `Compared with deployed version ${deployed.version}`),
          h('p', { class: 'meta', id: 'diff-counts' }, changes.length ? `${count('changed')} changed, ${count('added')} added, ${count('removed')} removed, ${count('moved')} moved` : 'No differences: this is the deployed diagram.'),
          changes.length
            ? h(
                'ul',
                { class: 'diff-list' },
                changes.map((c) => h('li', { class: `diff-${c.kind}`, 'data-element': c.elementId }, h('strong', {}, `${word[c.kind]}: `), `${c.name ? `${c.name} ` : ''}(${c.type} ${c.elementId})`, c.attrs?.length ? ` — ${c.attrs.join(', ')}` : '')),
              )
            : null,
          h('button', { type: 'button', onclick: () => clearDiff() }, 'Hide differences'),
        );
      } catch (err) {
        clear(diffBox, h('p', { class: 'error', role: 'alert' }, explain(err)));
      }
    });

    file.addEventListener('change', async () => {
      const f = file.files?.[0];
      if (!f) return;
      try {
        await open(await f.text());
        state.processId = await processIdOf();
        state.draft = undefined;
        state.version = undefined;
        state.dirty = true;
        renderStatus();
        toast(`Imported ${f.name}; save a draft to keep it`);
      } catch (err) {
        toast(`Cannot open ${f.name}: ${explain(err)}`, 'error');
      }
    });

    const download = async () => {
      const { xml } = await modeler.saveXML({ format: true });
      const a = h('a', { href: URL.createObjectURL(new Blob([xml!], { type: 'application/xml' })), download: `${await processIdOf()}.bpmn` });
      a.click();
      URL.revokeObjectURL(a.href);
    };

    const defs = await get<Definition[]>('/api/process-definitions').catch(() => [] as Definition[]);
    const latest = new Map<string, Definition>();
    for (const d of defs) if ((latest.get(d.bpmnProcessId)?.version ?? 0) < d.version) latest.set(d.bpmnProcessId, d);
    clear(
      picker,
      h('option', { value: '' }, '— new diagram —'),
      [...latest.keys()].sort().map((id) => h('option', { value: id, selected: id === processId }, id)),
    );
    picker.addEventListener('change', () => (location.hash = picker.value ? `#/modeler/${picker.value}` : '#/modeler'));

    clear(
      el,
      heading,
      h(
        'div',
        { class: 'toolbar' },
        field('Process', picker),
        h('button', { type: 'button', onclick: () => file.click() }, 'Import .bpmn'),
        file,
        h('button', { type: 'button', onclick: () => void download() }, 'Download .bpmn'),
        saveBtn,
        compareBtn,
        testBtn,
        session.has('engineer') || session.has('admin') ? deployBtn : h('span', { class: 'meta' }, 'An engineer deploys saved drafts.'),
      ),
      where,
      deployOutcome,
      diffBox,
      lint,
      h('div', { class: 'modeler' }, canvas, panel),
      history,
    );

    try {
      if (processId && kind === 'draft' && ref) {
        const [draft, drafts] = await Promise.all([get<Draft>(`/api/drafts/${ref}`), draftsOf(processId)]);
        state.draft = draft;
        state.draftNo = numberDrafts(drafts).get(draft.id);
        state.version = state.draft.baseVersion;
        await open(state.draft.xml!);
      } else if (processId) {
        const versions = defs.filter((d) => d.bpmnProcessId === processId);
        const want = kind === 'v' && ref ? versions.find((d) => d.version === Number(ref)) : latest.get(processId);
        if (!want) throw new Error(`${processId}${ref ? ` version ${ref}` : ''} is not deployed`);
        state.version = want.version;
        const xml = await get<{ xml: string } | string>(`/api/process-definitions/${want.processDefinitionKey}/xml`);
        await open(typeof xml === 'string' ? xml : xml.xml);
      } else {
        await open(EMPTY);
      }
      heading.textContent = processId ? `Modeler · ${processId}` : 'Modeler · new diagram';
      compareBtn.disabled = !defs.some((d) => d.bpmnProcessId === (state.processId ?? processId));
      compareBtn.title = compareBtn.disabled ? 'This process is not deployed yet' : 'Mark what this diagram changes against the newest deployed version';
    } catch (err) {
      toast(explain(err), 'error');
    }
    void loadHistory();
    return () => modeler.destroy();
  },
};
