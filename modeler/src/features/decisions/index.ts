/**
 * Decisions: open a deployed decision table (a .dmn file, versioned as a whole) or a draft of
 * one, edit its rules with dmn-js, save a draft (analysts and engineers), deploy a draft
 * (engineers; the server refuses the draft's author), download the .dmn, and see its versions.
 *
 * Routes: #/decisions/<id>[/v/<version> | /draft/<draft id>]; <id> is the file's definitions id
 * or one of its decision ids (that decision's table opens first).
 */
import { ApiProblem, get, post } from '../../core/api.js';
import { clear, explain, field, h, toast, when } from '../../core/dom.js';
import type { Feature } from '../../core/feature.js';
import { refusal } from '../../core/refusal.js';
import { session } from '../../core/session.js';
import { createDmnModeler, type DmnView } from './dmn-modeler.js';

interface Definition {
  decisionRequirementsKey: string;
  decisionRequirementsId: string;
  name?: string;
  version: number;
  resourceName: string;
  deployedAt: string;
  decisionIds: string[];
  deployedBy?: string;
  draftId?: string;
}
interface Draft {
  id: string;
  decisionRequirementsId: string;
  author: string;
  baseVersion?: number;
  createdAt: string;
  deployedBy?: string;
  deployedVersion?: number;
  xml?: string;
}
interface Deployed {
  decisionRequirementsId: string;
  version: number;
  duplicate: boolean;
}

// the decision last looked at, so saving or deploying (which reload the screen) keeps it open
let lastDecision: string | undefined;

export const decisionsFeature: Feature = {
  id: 'decisions',
  title: 'Decisions',
  route: 'decisions',
  roles: ['analyst', 'engineer', 'admin', 'compliance'],
  async mount(el, params) {
    const [ref, kind, which] = params;
    const defs = await get<Definition[]>('/api/decision-definitions');
    const latest = new Map<string, Definition>();
    for (const d of defs) if ((latest.get(d.decisionRequirementsId)?.version ?? 0) < d.version) latest.set(d.decisionRequirementsId, d);
    // a decision id opens the file that defines it, at that decision's table
    const owner = ref && !latest.has(ref) ? [...latest.values()].find((d) => d.decisionIds.includes(ref)) : undefined;
    const drgId = owner?.decisionRequirementsId ?? ref;
    if (owner) lastDecision = ref;
    const state: { draft?: Draft; version?: number; dirty: boolean } = { dirty: false };

    const heading = h('h1', {}, 'Decisions');
    const picker = h('select', { name: 'decision-file', id: 'decision-picker' });
    const where = h('p', { class: 'meta', id: 'decisions-status', 'aria-live': 'polite' });
    const outcome = h('div', { id: 'decision-outcome', 'aria-live': 'polite' });
    const tabs = h('nav', { class: 'tabs decision-views', 'aria-label': 'Decisions in this file' });
    const canvas = h('div', { class: 'dmn-canvas', id: 'dmn-canvas' });
    const versions = h('section', { class: 'history', id: 'decision-versions' });
    const saveBtn = h('button', { type: 'button', class: 'primary', id: 'save-decision-draft' }, 'Save draft');
    const deployBtn = h('button', { type: 'button', id: 'deploy-decision' }, 'Deploy');
    const downloadBtn = h('button', { type: 'button', id: 'download-dmn' }, 'Download .dmn');
    const canDeploy = session.has('engineer') || session.has('admin');
    const canSave = session.has('analyst') || session.has('engineer');

    clear(
      picker,
      h('option', { value: '' }, '— choose a decision table —'),
      [...latest.values()]
        .sort((a, b) => a.decisionRequirementsId.localeCompare(b.decisionRequirementsId))
        .map((d) => h('option', { value: d.decisionRequirementsId, selected: d.decisionRequirementsId === drgId }, d.name ? `${d.name} (${d.decisionRequirementsId})` : d.decisionRequirementsId)),
    );
    picker.addEventListener('change', () => (location.hash = picker.value ? `#/decisions/${encodeURIComponent(picker.value)}` : '#/decisions'));

    clear(
      el,
      heading,
      h(
        'div',
        { class: 'toolbar' },
        field('Decision table file', picker),
        downloadBtn,
        canSave ? saveBtn : null,
        canDeploy ? deployBtn : h('span', { class: 'meta' }, 'An engineer deploys saved drafts.'),
      ),
      where,
      outcome,
      tabs,
      canvas,
      versions,
    );
    if (!drgId) {
      canvas.replaceWith(h('p', { class: 'meta', id: 'dmn-canvas' }, latest.size ? 'Choose a decision table file to open it.' : 'No decision tables are deployed yet.'));
      downloadBtn.disabled = saveBtn.disabled = deployBtn.disabled = true;
      return;
    }

    const modeler = await createDmnModeler(canvas);
    const renderStatus = () => {
      const what = state.draft ? `draft ${state.draft.id} by ${state.draft.author}` : state.version ? `deployed version ${state.version}` : '';
      where.textContent = `${drgId} · ${what}${state.dirty ? ' · unsaved changes' : ''}`;
      deployBtn.disabled = !state.draft || state.dirty || state.draft.deployedVersion !== undefined;
      deployBtn.title = !state.draft ? 'Save a draft first; deployments work on a saved draft' : state.dirty ? 'Save the changes as a draft first' : state.draft.deployedVersion ? `Deployed as version ${state.draft.deployedVersion}` : '';
    };
    const renderTabs = (views: DmnView[], active?: DmnView) => {
      clear(
        tabs,
        views.map((v) =>
          h(
            'a',
            {
              href: '#',
              'data-view': v.id,
              'aria-current': active?.id === v.id ? 'true' : null,
              onclick: (e: Event) => {
                e.preventDefault();
                void modeler.open(v);
              },
            },
            v.type === 'drd' ? 'Requirements diagram' : (v.name ?? v.id),
          ),
        ),
      );
    };
    modeler.on('views.changed', ({ views, activeView }) => {
      if (activeView && activeView.type !== 'drd') lastDecision = activeView.id;
      renderTabs(views, activeView);
    });
    modeler.on('viewer.created', ({ viewer }) =>
      viewer.get('eventBus').on('commandStack.changed', () => {
        state.dirty = true;
        renderStatus();
      }),
    );

    const open = async (xml: string) => {
      const { warnings } = await modeler.importXML(xml);
      if (warnings.length) toast(`Opened with ${warnings.length} import warning(s)`);
      // a decision's table, not the diagram, is what an analyst edits
      const views = modeler.getViews();
      const preferred = views.find((v) => v.id === lastDecision) ?? views.find((v) => v.type === 'decisionTable');
      if (preferred && modeler.getActiveView()?.id !== preferred.id) await modeler.open(preferred);
      state.dirty = false;
      renderStatus();
    };

    const loadVersions = async () => {
      const [all, drafts] = await Promise.all([
        get<Definition[]>(`/api/decision-definitions?decisionRequirementsId=${encodeURIComponent(drgId)}`).catch(() => [] as Definition[]),
        get<Draft[]>(`/api/decision-drafts?decisionRequirementsId=${encodeURIComponent(drgId)}`).catch(() => [] as Draft[]),
      ]);
      clear(
        versions,
        h('h2', {}, 'Versions'),
        h(
          'ol',
          { reversed: true },
          [...all]
            .sort((a, b) => b.version - a.version)
            .map((d) =>
              h(
                'li',
                {},
                h('a', { href: `#/decisions/${encodeURIComponent(drgId)}/v/${d.version}` }, `version ${d.version}`),
                ` deployed ${when(d.deployedAt)}`,
                d.deployedBy ? ` by ${d.deployedBy}` : '',
                state.version === d.version && !state.draft ? ' (open)' : '',
              ),
            ),
        ),
        drafts.length ? h('h2', {}, 'Drafts') : null,
        h(
          'ul',
          {},
          drafts.map((d) =>
            h(
              'li',
              {},
              h('a', { href: `#/decisions/${encodeURIComponent(drgId)}/draft/${d.id}` }, `draft ${d.id}`),
              ` by ${d.author}, ${when(d.createdAt)}`,
              d.deployedVersion ? ` → deployed as version ${d.deployedVersion} by ${d.deployedBy}` : '',
              state.draft?.id === d.id ? ' (open)' : '',
            ),
          ),
        ),
      );
    };

    // DMN the engine cannot read comes back as 422 naming the decision, rule or cell
    const problem = (err: unknown, what: string) => {
      if (err instanceof ApiProblem && err.status === 422 && Array.isArray(err.body.errors) && err.body.errors.length) {
        const errors = err.body.errors as { elementId: string | null; message: string }[];
        return h('div', { class: 'refusal', role: 'alert' }, h('strong', {}, `Not ${what} — ${err.title}`), h('ul', {}, errors.map((e) => h('li', {}, `${e.elementId ?? 'file'}: ${e.message}`))));
      }
      return refusal(err);
    };

    saveBtn.addEventListener('click', async () => {
      clear(outcome);
      try {
        const { xml } = await modeler.saveXML({ format: true });
        const id = modeler.getDefinitions()?.id ?? drgId;
        const draft = await post<Draft>('/api/decision-drafts', { decisionRequirementsId: id, xml, baseVersion: state.version ?? state.draft?.baseVersion ?? null });
        state.dirty = false;
        toast(`Draft ${draft.id} saved`);
        location.hash = `#/decisions/${encodeURIComponent(id)}/draft/${draft.id}`;
      } catch (err) {
        clear(outcome, problem(err, 'saved'));
      }
    });

    deployBtn.addEventListener('click', async () => {
      if (!state.draft) return;
      deployBtn.disabled = true;
      deployBtn.setAttribute('aria-busy', 'true');
      clear(outcome);
      try {
        const res = await post<Deployed>(`/api/decision-drafts/${state.draft.id}/deployment`);
        toast(res.duplicate ? `Unchanged: version ${res.version} is already this table` : `Deployed ${res.decisionRequirementsId} version ${res.version}`);
        location.hash = `#/decisions/${encodeURIComponent(res.decisionRequirementsId)}/v/${res.version}`;
      } catch (err) {
        clear(outcome, problem(err, 'deployed'));
      } finally {
        deployBtn.removeAttribute('aria-busy');
        renderStatus();
      }
    });

    downloadBtn.addEventListener('click', async () => {
      const { xml } = await modeler.saveXML({ format: true });
      const a = h('a', { href: URL.createObjectURL(new Blob([xml], { type: 'application/xml' })), download: `${drgId}.dmn` });
      a.click();
      URL.revokeObjectURL(a.href);
    });

    try {
      if (kind === 'draft' && which) {
        state.draft = await get<Draft>(`/api/decision-drafts/${encodeURIComponent(which)}`);
        state.version = state.draft.baseVersion;
        await open(state.draft.xml!);
      } else {
        const want = kind === 'v' && which ? defs.find((d) => d.decisionRequirementsId === drgId && d.version === Number(which)) : latest.get(drgId);
        if (!want) throw new Error(`${drgId}${kind === 'v' ? ` version ${which}` : ''} is not deployed`);
        state.version = want.version;
        await open((await get<{ xml: string }>(`/api/decision-definitions/${want.decisionRequirementsKey}/xml`)).xml);
      }
      const name = modeler.getDefinitions()?.name;
      heading.textContent = `Decisions · ${name ?? drgId}`;
    } catch (err) {
      clear(outcome, h('p', { class: 'error', role: 'alert' }, explain(err)));
      saveBtn.disabled = downloadBtn.disabled = true;
    }
    void loadVersions();
    return () => modeler.destroy();
  },
};
