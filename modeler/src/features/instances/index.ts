/**
 * Instances (Operate-like): a filtered list, and an instance view with the diagram painted by the
 * executionOverlays module, variables, timeline, incidents (retry) and audit entries. While an
 * instance is active the view refreshes, so the token moves on its own.
 */
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { del, get, post } from '../../core/api.js';
import { clear, explain, field, h, table, toast, when } from '../../core/dom.js';
import type { Feature } from '../../core/feature.js';
import { readableZoom, type ZoomableCanvas } from '../../core/diagram.js';
import { session } from '../../core/session.js';
import executionOverlaysModule from './execution-overlays/index.js';
import type ExecutionOverlays from './execution-overlays/ExecutionOverlays.js';

interface InstanceSummary {
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  version: number;
  state: string;
  startedAt: string;
  endedAt?: string;
  hasIncident?: boolean;
  customerId?: string;
}

interface InstanceDetails extends InstanceSummary {
  variables: Record<string, unknown>;
  elements: { elementInstanceKey: string; elementId: string; elementName?: string; elementType: string; state: 'ACTIVATED' | 'COMPLETED' | 'TERMINATED'; startedAt: string; endedAt?: string; incidentKey?: string }[];
  takenFlows: string[];
  incidents: { incidentKey: string; elementId: string; errorType: string; errorMessage: string; createdAt: string; state?: 'ACTIVE' | 'RESOLVED' }[];
}

export const instancesFeature: Feature = {
  id: 'instances',
  title: 'Instances',
  route: 'instances',
  // the instance API is for those who operate or inspect the engine
  roles: ['engineer', 'analyst', 'compliance', 'admin'],
  mount(el, params) {
    return params[0] ? instanceView(el, params[0]) : instanceList(el);
  },
};

const fromQuery = () => new URLSearchParams(location.hash.split('?')[1] ?? '');

function instanceList(el: HTMLElement): () => void {
  const q = fromQuery();
  const process = h('input', { name: 'process', value: q.get('process') ?? '', placeholder: 'any process', list: 'process-ids', autocomplete: 'off' });
  const processIds = h('datalist', { id: 'process-ids' });
  void get<{ bpmnProcessId: string }[]>('/api/process-definitions')
    .then((defs) => clear(processIds, [...new Set(defs.map((d) => d.bpmnProcessId))].sort().map((id) => h('option', { value: id }))))
    .catch(() => undefined);
  const version = h('input', { name: 'version', type: 'number', min: 1, value: q.get('version') ?? '' });
  const state = h('select', { name: 'state' }, ['', 'ACTIVE', 'COMPLETED', 'TERMINATED'].map((s) => h('option', { value: s, selected: q.get('state') === s }, s || 'any')));
  const customer = h('input', { name: 'customer', value: q.get('customer') ?? '', placeholder: 'C-ACME' });
  const incident = h('input', { name: 'incident', type: 'checkbox', checked: q.get('incident') === 'true' });
  const results = h('div', { class: 'results' });
  const load = async () => {
    const params = new URLSearchParams();
    if (process.value) params.set('bpmnProcessId', process.value.trim());
    if (state.value) params.set('state', state.value);
    if (customer.value) params.set('customerId', customer.value.trim());
    params.set('limit', '200');
    try {
      let rows = await get<InstanceSummary[]>(`/api/instances?${params}`);
      // the list route filters by process and state; version, customer and incidents are narrowed here
      if (version.value) rows = rows.filter((r) => r.version === Number(version.value));
      if (state.value) rows = rows.filter((r) => r.state === state.value);
      // the list carries no variables: match the customer on each instance's customerId variable
      const wanted = customer.value.trim();
      if (wanted) rows = await withCustomer(rows, wanted);
      if (incident.checked) {
        const incidents = await get<{ processInstanceKey: string }[]>('/api/incidents');
        const withIncident = new Set(incidents.map((i) => i.processInstanceKey));
        rows = rows.filter((r) => withIncident.has(r.processInstanceKey));
      }
      clear(
        results,
        rows.length
          ? table(
              ['Instance', 'Process', 'Version', 'State', 'Started', 'Ended'],
              rows.map((r) => [
                h('a', { href: `#/instances/${r.processInstanceKey}` }, r.processInstanceKey),
                r.bpmnProcessId,
                String(r.version),
                h('span', { class: `state ${r.state.toLowerCase()}` }, r.state),
                when(r.startedAt),
                when(r.endedAt),
              ]),
              `${rows.length} instance${rows.length === 1 ? '' : 's'}`,
            )
          : h('p', {}, 'No instances match these filters.'),
      );
    } catch (err) {
      clear(results, h('p', { class: 'error', role: 'alert' }, explain(err)));
    }
  };
  const form = h(
    'form',
    { class: 'filters', onsubmit: (e: Event) => (e.preventDefault(), void load()) },
    field('Process', process),
    processIds,
    field('Version', version),
    field('State', state),
    field('Customer', customer),
    h('label', { class: 'check' }, incident, ' with incident'),
    h('button', { type: 'submit', class: 'primary' }, 'Filter'),
  );
  clear(el, h('h1', {}, 'Process instances'), form, results);
  void load();
  return () => undefined;
}

/** The rows whose instance has `customerId` = wanted (or carries it as `customer.id`), asked a few at a time. */
async function withCustomer(rows: InstanceSummary[], wanted: string): Promise<InstanceSummary[]> {
  const out: InstanceSummary[] = [];
  const queue = rows.slice(0, 200);
  const next = async (): Promise<void> => {
    const r = queue.shift();
    if (!r) return;
    const d = await get<InstanceDetails>(`/api/instances/${r.processInstanceKey}`).catch(() => undefined);
    const v = d?.variables ?? {};
    const id = v.customerId ?? (v.customer as { id?: unknown } | undefined)?.id;
    if (id === wanted) out.push({ ...r, customerId: wanted });
    return next();
  };
  await Promise.all(Array.from({ length: 6 }, next));
  return rows.filter((r) => out.some((o) => o.processInstanceKey === r.processInstanceKey));
}

async function instanceView(el: HTMLElement, key: string): Promise<() => void> {
  const title = h('h1', {}, `Instance ${key}`);
  const status = h('p', { class: 'meta', 'aria-live': 'polite' });
  const actions = h('div', { class: 'actions' });
  const canvas = h('div', { class: 'canvas viewer', id: 'instance-diagram', role: 'img', 'aria-label': 'process diagram with the instance state' });
  const incidentsBox = h('section', { class: 'incidents' });
  const vars = h('section', {});
  const timeline = h('section', {});
  const audit = h('section', { id: 'instance-audit' });
  clear(el, h('p', {}, h('a', { href: '#/instances' }, '← All instances')), title, status, actions, canvas, incidentsBox, h('div', { class: 'columns' }, vars, timeline), audit);

  const viewer = new NavigatedViewer({ container: canvas, additionalModules: [executionOverlaysModule] });
  let shownDefinition: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const refresh = async () => {
    if (timer) clearTimeout(timer);
    let d: InstanceDetails;
    try {
      d = await get<InstanceDetails>(`/api/instances/${key}`);
    } catch (err) {
      clear(status, h('span', { class: 'error', role: 'alert' }, explain(err)));
      return;
    }
    if (shownDefinition !== d.processDefinitionKey) {
      const xml = await get<{ xml: string } | string>(`/api/process-definitions/${d.processDefinitionKey}/xml`);
      await viewer.importXML(typeof xml === 'string' ? xml : xml.xml);
      readableZoom(viewer.get('canvas') as ZoomableCanvas, 0.6);
      shownDefinition = d.processDefinitionKey;
    }
    // resolved incidents stay in the instance's history; only open ones are painted and retried
    d.incidents = d.incidents.filter((i) => i.state !== 'RESOLVED');
    (viewer.get('executionOverlays') as ExecutionOverlays).show(d);
    const active = d.elements.filter((e) => e.state === 'ACTIVATED').map((e) => e.elementName ?? e.elementId);
    title.textContent = `${d.bpmnProcessId} v${d.version} · instance ${d.processInstanceKey}`;
    clear(
      status,
      h('span', { class: `state ${d.state.toLowerCase()}`, 'data-state': d.state }, d.state),
      ` started ${when(d.startedAt)}`,
      d.endedAt ? `, ended ${when(d.endedAt)}` : '',
      active.length ? h('span', { class: 'active-at' }, ` · waiting at: ${active.join(', ')}`) : '',
    );
    clear(
      actions,
      d.state === 'ACTIVE' && (session.has('engineer') || session.has('admin'))
        ? h(
            'button',
            {
              type: 'button',
              class: 'danger',
              onclick: async () => {
                if (!confirm(`Cancel instance ${key}? Its active elements are terminated.`)) return;
                try {
                  await del(`/api/instances/${key}`);
                  toast('Instance cancelled');
                  void refresh();
                } catch (err) {
                  toast(explain(err), 'error');
                }
              },
            },
            'Cancel instance',
          )
        : null,
      h('button', { type: 'button', onclick: () => void refresh() }, 'Refresh'),
    );
    clear(
      incidentsBox,
      d.incidents.length
        ? [
            h('h2', {}, 'Incidents'),
            table(
              ['Element', 'Type', 'Message', 'Since', ''],
              d.incidents.map((i) => [
                i.elementId,
                i.errorType,
                i.errorMessage,
                when(i.createdAt),
                h(
                  'button',
                  {
                    type: 'button',
                    onclick: async () => {
                      try {
                        await post(`/api/incidents/${i.incidentKey}/resolution`);
                        toast('Incident resolved; the element retries');
                        void refresh();
                      } catch (err) {
                        toast(explain(err), 'error');
                      }
                    },
                  },
                  'Retry',
                ),
              ]),
            ),
          ]
        : null,
    );
    clear(
      vars,
      h('h2', {}, 'Variables'),
      table(
        ['Name', 'Value'],
        Object.entries(d.variables).map(([k, v]) => [h('code', {}, k), h('pre', { class: 'value' }, JSON.stringify(v, null, 1))]),
      ),
    );
    clear(
      timeline,
      h('h2', {}, 'Timeline'),
      h(
        'ol',
        { class: 'timeline' },
        [...d.elements]
          .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
          .filter((e) => e.elementType !== 'bpmn:Process' && e.elementType !== 'process')
          .map((e) => h('li', { class: e.state.toLowerCase() }, h('time', {}, when(e.startedAt)), ' ', h('strong', {}, e.elementName ?? e.elementId), ` ${e.state.toLowerCase()}`, e.incidentKey ? ' (incident)' : '')),
      ),
    );
    if (session.has('compliance') || session.has('admin')) {
      // the audit trail is keyed by subject (tasks, requests); this instance's rows name it in their detail
      get<{ at: string; actor: string; action: string; outcome: string; rule: string | null; detail: { processInstanceKey?: string } }[]>('/api/audit?limit=1000')
        .then((rows) => rows.filter((r) => r.detail?.processInstanceKey === key).sort((a, b) => a.at.localeCompare(b.at)))
        .then((rows) =>
          clear(
            audit,
            h('h2', {}, 'Audit'),
            rows.length ? table(['When', 'Who', 'What', 'Outcome'], rows.map((r) => [when(r.at), r.actor, r.action, `${r.outcome}${r.rule ? ` (${r.rule})` : ''}`])) : h('p', {}, 'No audit entries.'),
          ),
        )
        .catch((err) => clear(audit, h('h2', {}, 'Audit'), h('p', { class: 'muted' }, explain(err))));
    } else clear(audit, h('h2', {}, 'Audit'), h('p', { class: 'muted' }, 'The audit trail is open to compliance and admins.'));
    if (!stopped && d.state === 'ACTIVE') timer = setTimeout(() => void refresh(), 1500);
  };
  await refresh();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    viewer.destroy();
  };
}
