/**
 * Instances (Operate-class): a filtered list and an incidents view across instances (bulk retry),
 * both with their filters in the URL; an instance view with the diagram fitted to the view and
 * painted by the executionOverlays module (tokens, incidents, a called instance's incident on its
 * call activity), the element-instance history with real start and end times and names, the
 * called instances and the caller, variables an operator may correct before a retry (audited,
 * through the engine's setVariables), and the audit entries. While an instance is active the view
 * refreshes, so the token moves on its own.
 */
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { api, del, get, post } from '../../core/api.js';
import { clear, explain, field, h, table, toast, when } from '../../core/dom.js';
import type { Feature } from '../../core/feature.js';
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
  parentProcessInstanceKey?: string;
}

interface ElementRow {
  elementInstanceKey: string;
  elementId: string;
  elementName?: string;
  elementType: string;
  state: 'ACTIVATED' | 'COMPLETED' | 'TERMINATED';
  startedAt: string;
  endedAt?: string;
  incidentKey?: string;
}

interface IncidentRow {
  incidentKey: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  elementId: string;
  errorType: string;
  errorMessage: string;
  createdAt: string;
  jobKey?: string;
  state?: 'ACTIVE' | 'RESOLVED';
}

interface InstanceDetails extends InstanceSummary {
  variables: Record<string, unknown>;
  elements: ElementRow[];
  takenFlows: string[];
  incidents: IncidentRow[];
}

interface Child extends InstanceSummary {
  incidents: { incidentKey: string; elementId: string; errorType: string; errorMessage: string }[];
}

export const instancesFeature: Feature = {
  id: 'instances',
  title: 'Instances',
  route: 'instances',
  // the instance API is for those who operate or inspect the engine
  roles: ['engineer', 'analyst', 'compliance', 'admin'],
  mount(el, params) {
    if (params[0] === 'incidents') return incidentsView(el);
    return params[0] ? instanceView(el, params[0]) : instanceList(el);
  },
};

const operator = () => session.has('engineer') || session.has('admin');
const fromQuery = () => new URLSearchParams(location.hash.split('?')[1] ?? '');
/** Keeps a screen's filters in the URL (a reload or a shared link shows the same list); Back returns to the previous filters. */
function keepInUrl(path: string, params: URLSearchParams): void {
  const qs = params.toString();
  const next = `#/${path}${qs ? `?${qs}` : ''}`;
  if (location.hash !== next) history.pushState(null, '', next);
}

function tabs(current: 'list' | 'incidents'): HTMLElement {
  return h(
    'nav',
    { class: 'tabs', 'aria-label': 'Instances and incidents' },
    h('a', { href: '#/instances', 'aria-current': current === 'list' ? 'true' : null }, 'Instances'),
    ' ',
    h('a', { href: '#/instances/incidents', 'aria-current': current === 'incidents' ? 'true' : null, id: 'incidents-tab' }, 'Incidents'),
  );
}

/** Element names and call activities of a diagram, read once per definition. */
interface DiagramFacts {
  xml: string;
  names: Map<string, string>;
  /** call activity id → the process id it calls (when it is a literal) */
  calls: Map<string, string | undefined>;
}
const factsCache = new Map<string, Promise<DiagramFacts>>();
function diagramFacts(processDefinitionKey: string): Promise<DiagramFacts> {
  let found = factsCache.get(processDefinitionKey);
  if (!found) {
    found = get<{ xml: string } | string>(`/api/process-definitions/${processDefinitionKey}/xml`).then((res) => {
      const xml = typeof res === 'string' ? res : res.xml;
      const doc = new DOMParser().parseFromString(xml, 'application/xml');
      const names = new Map<string, string>();
      const calls = new Map<string, string | undefined>();
      for (const node of Array.from(doc.getElementsByTagName('*'))) {
        const id = node.getAttribute('id');
        const name = node.getAttribute('name');
        if (id && name) names.set(id, name.replace(/\s+/g, ' ').trim());
        if (id && node.localName === 'callActivity') {
          const called = Array.from(node.getElementsByTagName('*')).find((c) => c.localName === 'calledElement')?.getAttribute('processId') ?? undefined;
          calls.set(id, called && !called.startsWith('=') ? called : undefined);
        }
      }
      return { xml, names, calls };
    });
    found.catch(() => factsCache.delete(processDefinitionKey));
    factsCache.set(processDefinitionKey, found);
  }
  return found;
}

const humanType = (t: string) =>
  t
    .replace(/^bpmn:/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
const stateWord: Record<string, string> = { ACTIVATED: 'active', COMPLETED: 'completed', TERMINATED: 'terminated' };

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
    const kept = new URLSearchParams();
    if (process.value.trim()) kept.set('process', process.value.trim());
    if (version.value) kept.set('version', version.value);
    if (state.value) kept.set('state', state.value);
    if (customer.value.trim()) kept.set('customer', customer.value.trim());
    if (incident.checked) kept.set('incident', 'true');
    keepInUrl('instances', kept);
    const params = new URLSearchParams();
    if (process.value) params.set('bpmnProcessId', process.value.trim());
    if (state.value) params.set('state', state.value);
    params.set('limit', '200');
    try {
      let rows = await get<InstanceSummary[]>(`/api/instances?${params}`);
      // the list route filters by process and state; version, customer and incidents are narrowed here
      if (version.value) rows = rows.filter((r) => r.version === Number(version.value));
      if (state.value) rows = rows.filter((r) => r.state === state.value);
      // the list carries no variables: match the customer on each instance's customerId variable
      const wanted = customer.value.trim();
      if (wanted) rows = await withCustomer(rows, wanted);
      const incidents = await get<IncidentRow[]>('/api/incidents').catch(() => [] as IncidentRow[]);
      const withIncident = new Set(incidents.map((i) => i.processInstanceKey));
      if (incident.checked) rows = rows.filter((r) => withIncident.has(r.processInstanceKey));
      clear(
        results,
        rows.length
          ? table(
              ['Instance', 'Process', 'Version', 'State', 'Started', 'Ended', 'Called by'],
              rows.map((r) => [
                h('a', { href: `#/instances/${r.processInstanceKey}` }, r.processInstanceKey),
                r.bpmnProcessId,
                String(r.version),
                [h('span', { class: `state ${r.state.toLowerCase()}` }, r.state), withIncident.has(r.processInstanceKey) ? h('span', { class: 'state incident' }, 'INCIDENT') : null],
                when(r.startedAt),
                when(r.endedAt),
                r.parentProcessInstanceKey ? h('a', { href: `#/instances/${r.parentProcessInstanceKey}` }, r.parentProcessInstanceKey) : '',
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
  clear(el, h('h1', {}, 'Process instances'), tabs('list'), form, results);
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

/** Retries one incident through the audited route; the message on failure, undefined when it worked. */
async function retry(incidentKey: string): Promise<string | undefined> {
  try {
    await post(`/api/incidents/${incidentKey}/resolution`);
    return undefined;
  } catch (err) {
    return explain(err);
  }
}

/** Every open incident across instances, filtered (in the URL), selectable, retried in bulk. */
function incidentsView(el: HTMLElement): () => void {
  const q = fromQuery();
  const processFilter = h('select', { name: 'process', id: 'incident-process' });
  const typeFilter = h('select', { name: 'type', id: 'incident-type' });
  const messageFilter = h('input', { name: 'message', id: 'incident-message', value: q.get('message') ?? '', placeholder: 'words in the message' });
  const results = h('div', { class: 'results', id: 'incident-results' });
  const summary = h('p', { class: 'meta', role: 'status', id: 'bulk-outcome' });
  const retryBtn = h('button', { type: 'button', class: 'primary', id: 'bulk-retry', disabled: true }, 'Retry selected');
  let rows: IncidentRow[] = [];
  const selected = new Set<string>();
  const renderButton = () => {
    retryBtn.disabled = selected.size === 0 || !operator();
    retryBtn.textContent = `Retry selected (${selected.size})`;
  };
  // a filter stays chosen when nothing matches it any more (all its incidents retried)
  const fill = (select: HTMLSelectElement, values: string[], wanted: string | null, any: string) =>
    clear(select, h('option', { value: '' }, any), [...new Set(wanted ? [...values, wanted] : values)].sort().map((v) => h('option', { value: v, selected: v === wanted }, v)));

  const render = async () => {
    const kept = new URLSearchParams();
    if (processFilter.value) kept.set('process', processFilter.value);
    if (typeFilter.value) kept.set('type', typeFilter.value);
    if (messageFilter.value.trim()) kept.set('message', messageFilter.value.trim());
    keepInUrl('instances/incidents', kept);
    const words = messageFilter.value.trim().toLowerCase();
    const shown = rows.filter((r) => (!processFilter.value || r.bpmnProcessId === processFilter.value) && (!typeFilter.value || r.errorType === typeFilter.value) && (!words || r.errorMessage.toLowerCase().includes(words)));
    for (const k of [...selected]) if (!shown.some((r) => r.incidentKey === k)) selected.delete(k);
    const names = new Map<string, Map<string, string>>();
    await Promise.all([...new Set(shown.map((r) => r.processDefinitionKey))].map(async (d) => names.set(d, (await diagramFacts(d).catch(() => undefined))?.names ?? new Map())));
    const all = h('input', { type: 'checkbox', id: 'select-all-incidents', 'aria-label': 'Select every incident shown', checked: shown.length > 0 && selected.size === shown.length });
    all.addEventListener('change', () => {
      for (const r of shown) {
        if (all.checked) selected.add(r.incidentKey);
        else selected.delete(r.incidentKey);
      }
      void render();
    });
    clear(
      results,
      shown.length
        ? h(
            'table',
            {},
            h('caption', {}, `${shown.length} open incident${shown.length === 1 ? '' : 's'}`),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, operator() ? all : 'Select'), ['Instance', 'Process', 'Element', 'Type', 'Message', 'Since'].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              shown.map((r) => {
                const box = h('input', { type: 'checkbox', name: 'incident', value: r.incidentKey, 'aria-label': `Select incident ${r.incidentKey} on ${r.bpmnProcessId}`, checked: selected.has(r.incidentKey), disabled: !operator() });
                box.addEventListener('change', () => {
                  if (box.checked) selected.add(r.incidentKey);
                  else selected.delete(r.incidentKey);
                  all.checked = selected.size === shown.length;
                  renderButton();
                });
                const name = names.get(r.processDefinitionKey)?.get(r.elementId);
                return h(
                  'tr',
                  { 'data-incident': r.incidentKey },
                  h('td', {}, box),
                  h('td', {}, h('a', { href: `#/instances/${r.processInstanceKey}` }, r.processInstanceKey)),
                  h('td', {}, r.bpmnProcessId),
                  h('td', {}, name ?? r.elementId, name ? h('small', { class: 'meta' }, ` ${r.elementId}`) : null),
                  h('td', {}, r.errorType),
                  h('td', {}, r.errorMessage),
                  h('td', {}, when(r.createdAt)),
                );
              }),
            ),
          )
        : h('p', {}, rows.length ? 'No open incidents match these filters.' : 'No open incidents.'),
    );
    renderButton();
  };

  const load = async () => {
    try {
      rows = await get<IncidentRow[]>('/api/incidents');
    } catch (err) {
      clear(results, h('p', { class: 'error', role: 'alert' }, explain(err)));
      return;
    }
    const current = fromQuery();
    fill(processFilter, rows.map((r) => r.bpmnProcessId), processFilter.value || current.get('process'), 'any process');
    fill(typeFilter, rows.map((r) => r.errorType), typeFilter.value || current.get('type'), 'any type');
    await render();
  };

  retryBtn.addEventListener('click', async () => {
    const keys = [...selected];
    retryBtn.disabled = true;
    retryBtn.setAttribute('aria-busy', 'true');
    summary.textContent = `Retrying ${keys.length} incident${keys.length === 1 ? '' : 's'}…`;
    const failures: string[] = [];
    // one audited retry per incident, a few at a time
    const queue = [...keys];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let k = queue.shift(); k; k = queue.shift()) {
          const problem = await retry(k);
          if (problem) failures.push(`${k}: ${problem}`);
          else selected.delete(k);
        }
      }),
    );
    retryBtn.removeAttribute('aria-busy');
    const done = keys.length - failures.length;
    clear(summary, `Retried ${done} of ${keys.length}.`, failures.length ? h('ul', { class: 'error' }, failures.map((f) => h('li', {}, f))) : null);
    await load();
  });

  processFilter.addEventListener('change', () => void render());
  typeFilter.addEventListener('change', () => void render());
  const form = h(
    'form',
    { class: 'filters', onsubmit: (e: Event) => (e.preventDefault(), void render()) },
    field('Process', processFilter),
    field('Error type', typeFilter),
    field('Message contains', messageFilter),
    h('button', { type: 'submit' }, 'Filter'),
    h('button', { type: 'button', onclick: () => void load() }, 'Refresh'),
  );
  clear(
    el,
    h('h1', {}, 'Incidents'),
    tabs('incidents'),
    form,
    operator() ? h('div', { class: 'actions' }, retryBtn, h('span', { class: 'meta' }, ' Each retry gives a failed job one retry back and is audited.')) : h('p', { class: 'meta' }, 'Engineers retry incidents.'),
    summary,
    results,
  );
  void load();
  return () => undefined;
}

async function instanceView(el: HTMLElement, key: string): Promise<() => void> {
  const title = h('h1', {}, `Instance ${key}`);
  const lineage = h('p', { class: 'lineage', id: 'instance-lineage' }, h('a', { href: '#/instances' }, '← All instances'));
  const status = h('p', { class: 'meta', 'aria-live': 'polite' });
  // a message of this instance held for its recipient's sending window (docs/delivery.md, quiet hours)
  const quietHours = h('div', { id: 'instance-quiet-hours' });
  const actions = h('div', { class: 'actions' });
  const canvas = h('div', { class: 'canvas viewer', id: 'instance-diagram', role: 'region', 'aria-label': 'Process diagram with the instance state' });
  const incidentsBox = h('section', { class: 'incidents', id: 'instance-incidents' });
  const childrenBox = h('section', { id: 'called-instances' });
  const vars = h('div', { id: 'instance-variables' });
  const history = h('section', { id: 'instance-history' });
  const audit = h('section', { id: 'instance-audit' });

  // the variable editor stays put while the view refreshes around it
  const editName = h('input', { id: 'var-name', name: 'name', list: 'var-names', autocomplete: 'off', required: true });
  const editNames = h('datalist', { id: 'var-names' });
  const editValue = h('textarea', { id: 'var-value', name: 'value', rows: 4, spellcheck: false, required: true });
  const editReason = h('input', { id: 'var-reason', name: 'reason', placeholder: 'e.g. corrected the amount the customer confirmed' });
  const editOutcome = h('p', { class: 'meta', role: 'status', id: 'var-outcome' });
  let latest: InstanceDetails | undefined;
  const editor = h(
    'form',
    {
      class: 'card var-editor',
      id: 'variable-editor',
      'aria-label': 'Edit a variable',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        let value: unknown;
        try {
          value = JSON.parse(editValue.value);
        } catch {
          editOutcome.textContent = 'The value is not JSON: write text in double quotes ("120.00"), numbers and true/false as they are.';
          editOutcome.className = 'error';
          editValue.focus();
          return;
        }
        const name = editName.value.trim();
        try {
          await api('PUT', `/api/instances/${key}/variables`, { variables: { [name]: value }, ...(editReason.value.trim() ? { reason: editReason.value.trim() } : {}) });
          editOutcome.className = 'meta';
          editOutcome.textContent = `Saved ${name}; the change is on the audit trail.`;
          toast(`Variable ${name} saved`);
          void refresh();
        } catch (err) {
          editOutcome.className = 'error';
          editOutcome.textContent = explain(err);
        }
      },
    },
    h('h3', {}, 'Edit a variable'),
    h('p', { class: 'meta' }, 'Correct data before retrying an incident. The engine sets it on the instance; the change is audited.'),
    field('Variable name', editName),
    editNames,
    field('Value (JSON)', editValue),
    field('Reason (audited)', editReason),
    h('button', { type: 'submit', class: 'primary' }, 'Save variable'),
    editOutcome,
  );
  // instance modification (Zeebe's ModifyProcessInstance): terminate a token and start one elsewhere, audited
  const moveFrom = h('select', { id: 'move-from', name: 'from' });
  const moveTo = h('select', { id: 'move-to', name: 'to' });
  const mover = h(
    'form',
    {
      class: 'card var-editor',
      id: 'token-mover',
      'aria-label': 'Move a token',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        if (!moveFrom.value || !moveTo.value) return;
        try {
          await post(`/api/instances/${key}/modification`, { terminateInstructions: [{ elementInstanceKey: moveFrom.value }], activateInstructions: [{ elementId: moveTo.value }] });
          toast(`Token moved to ${moveTo.selectedOptions[0]?.textContent ?? moveTo.value}`);
          void refresh();
        } catch (err) {
          toast(explain(err), 'error');
        }
      },
    },
    h('h3', {}, 'Move a token'),
    h('p', { class: 'meta' }, 'Ends the token at one element and starts one at another (audited), e.g. to skip a step that cannot complete.'),
    field('From', moveFrom),
    field('To', moveTo),
    h('button', { type: 'submit' }, 'Move token'),
  );
  const refill = (select: HTMLSelectElement, options: [string, string][]) => {
    const chosen = select.value;
    const sig = JSON.stringify(options);
    if (select.dataset.options === sig) return;
    select.dataset.options = sig;
    clear(select, options.map(([value, label]) => h('option', { value, selected: value === chosen }, label)));
  };
  editName.addEventListener('change', () => {
    const v = latest?.variables[editName.value.trim()];
    if (v !== undefined) editValue.value = JSON.stringify(v, null, 2);
  });

  clear(
    el,
    lineage,
    title,
    status,
    quietHours,
    actions,
    canvas,
    incidentsBox,
    childrenBox,
    h('div', { class: 'columns' }, h('section', {}, h('h2', {}, 'Variables'), vars, operator() ? editor : null, operator() ? mover : null), history),
    audit,
  );

  const viewer = new NavigatedViewer({ container: canvas, additionalModules: [executionOverlaysModule] });
  let shownDefinition: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let auditShown = '';

  const refresh = async () => {
    if (timer) clearTimeout(timer);
    let d: InstanceDetails;
    let children: Child[];
    try {
      [d, children] = await Promise.all([get<InstanceDetails>(`/api/instances/${key}`), get<Child[]>(`/api/instances/${key}/children`).catch(() => [] as Child[])]);
    } catch (err) {
      clear(status, h('span', { class: 'error', role: 'alert' }, explain(err)));
      return;
    }
    if (stopped) return;
    latest = d;
    const facts = await diagramFacts(d.processDefinitionKey);
    if (shownDefinition !== d.processDefinitionKey) {
      await viewer.importXML(facts.xml);
      // the whole diagram in view: nothing cut off at the right or the bottom
      (viewer.get('canvas') as { zoom(v: string, center: string): number }).zoom('fit-viewport', 'auto');
      shownDefinition = d.processDefinitionKey;
    }
    void get<{ id: string; channel: string; waitingForQuietHours?: { localUntil: string; timeZone: string } | null }[]>(`/api/communications?processInstanceKey=${key}`)
      .then((comms) =>
        clear(
          quietHours,
          comms.filter((c) => c.waitingForQuietHours).map((c) => h('p', { class: 'meta quiet-hours' }, `${c.id} (${c.channel}): waiting for quiet hours until ${c.waitingForQuietHours!.localUntil}, ${c.waitingForQuietHours!.timeZone}`)),
        ),
      )
      .catch(() => clear(quietHours));
    const nameOf = (e: { elementId: string; elementName?: string }) => e.elementName ?? facts.names.get(e.elementId) ?? e.elementId;
    // resolved incidents stay in the instance's history; only open ones are painted and retried
    const open = d.incidents.filter((i) => i.state !== 'RESOLVED');
    // a called instance's incident shows on the call activity that started it
    const activeCalls = d.elements.filter((e) => e.state === 'ACTIVATED' && /call_?activity/i.test(e.elementType)).map((e) => e.elementId);
    const callOf = (child: Child) => activeCalls.find((id) => facts.calls.get(id) === child.bpmnProcessId) ?? activeCalls.find((id) => facts.calls.get(id) === undefined) ?? activeCalls[0];
    const childIncidents = children.filter((c) => c.state === 'ACTIVE' && c.incidents.length).map((c) => ({ child: c, elementId: callOf(c) }));
    (viewer.get('executionOverlays') as ExecutionOverlays).show({ ...d, incidents: [...open, ...childIncidents.filter((c) => c.elementId).map((c) => ({ elementId: c.elementId! }))] });

    const active = d.elements.filter((e) => e.state === 'ACTIVATED' && !/process$/i.test(e.elementType)).map(nameOf);
    title.textContent = `${facts.names.get(d.bpmnProcessId) ?? d.bpmnProcessId} v${d.version} · instance ${d.processInstanceKey}`;
    document.title = `Instance ${d.processInstanceKey} · Herald`;
    clear(
      lineage,
      h('a', { href: '#/instances' }, '← All instances'),
      d.parentProcessInstanceKey ? [' · called by ', h('a', { href: `#/instances/${d.parentProcessInstanceKey}`, id: 'parent-link' }, `instance ${d.parentProcessInstanceKey}`)] : null,
    );
    clear(
      status,
      h('span', { class: `state ${d.state.toLowerCase()}`, 'data-state': d.state }, d.state),
      ` ${d.bpmnProcessId} · started ${when(d.startedAt)}`,
      d.endedAt ? `, ended ${when(d.endedAt)}` : '',
      active.length ? h('span', { class: 'active-at' }, ` · waiting at: ${active.join(', ')}`) : '',
    );
    clear(
      actions,
      d.state === 'ACTIVE' && operator()
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
      open.length || childIncidents.length ? h('h2', {}, 'Incidents') : null,
      open.length
        ? table(
            ['Element', 'Type', 'Message', 'Since', ''],
            open.map((i) => [
              nameOf(i),
              i.errorType,
              i.errorMessage,
              when(i.createdAt),
              operator()
                ? h(
                    'button',
                    {
                      type: 'button',
                      'aria-label': `Retry ${nameOf(i)}`,
                      onclick: async () => {
                        const problem = await retry(i.incidentKey);
                        if (problem) return toast(problem, 'error');
                        toast('Incident resolved; the element retries');
                        void refresh();
                      },
                    },
                    'Retry',
                  )
                : '',
            ]),
          )
        : null,
      childIncidents.length
        ? h(
            'ul',
            { class: 'child-incidents' },
            childIncidents.flatMap(({ child, elementId }) =>
              child.incidents.map((i) =>
                h(
                  'li',
                  { class: 'error' },
                  `In called instance `,
                  h('a', { href: `#/instances/${child.processInstanceKey}` }, `${child.bpmnProcessId} ${child.processInstanceKey}`),
                  elementId ? ` (from ${facts.names.get(elementId) ?? elementId})` : '',
                  `: ${i.errorType} — ${i.errorMessage}`,
                ),
              ),
            ),
          )
        : null,
    );
    clear(
      childrenBox,
      children.length
        ? [
            h('h2', {}, 'Called instances'),
            table(
              ['Instance', 'Process', 'State', 'Started', 'Ended'],
              children.map((c) => [
                h('a', { href: `#/instances/${c.processInstanceKey}` }, c.processInstanceKey),
                `${c.bpmnProcessId} v${c.version}`,
                [h('span', { class: `state ${c.state.toLowerCase()}` }, c.state), c.incidents.length ? h('span', { class: 'state incident' }, `${c.incidents.length} INCIDENT${c.incidents.length === 1 ? '' : 'S'}`) : null],
                when(c.startedAt),
                when(c.endedAt),
              ]),
            ),
          ]
        : null,
    );
    // tokens can move between the process's own flow nodes (not into a sub-process)
    mover.hidden = d.state !== 'ACTIVE';
    const registry = viewer.get('elementRegistry') as { filter(fn: (e: { id: string; type: string; waypoints?: unknown; parent?: { type: string } }) => boolean): { id: string; type: string }[] };
    const targets = registry.filter((e) => !e.waypoints && e.type !== 'label' && /^bpmn:(Task|\w+Task|CallActivity|SubProcess|IntermediateCatchEvent|IntermediateThrowEvent|EndEvent|\w+Gateway)$/.test(e.type) && e.parent?.type === 'bpmn:Process');
    refill(moveFrom, d.elements.filter((e) => e.state === 'ACTIVATED' && !/process$/i.test(e.elementType)).map((e) => [e.elementInstanceKey, `${nameOf(e)} (${e.elementInstanceKey})`]));
    refill(moveTo, targets.map((t) => [t.id, facts.names.get(t.id) ?? t.id]));
    const names = Object.keys(d.variables).sort();
    clear(editNames, names.map((n) => h('option', { value: n })));
    editor.hidden = d.state !== 'ACTIVE';
    clear(
      vars,
      names.length
        ? table(
            operator() && d.state === 'ACTIVE' ? ['Name', 'Value', ''] : ['Name', 'Value'],
            names.map((k) => {
              const v = d.variables[k];
              const cells: (Node | string)[] = [h('code', {}, k), h('pre', { class: 'value' }, JSON.stringify(v, null, 1))];
              if (operator() && d.state === 'ACTIVE')
                cells.push(
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'link',
                      'aria-label': `Edit ${k}`,
                      onclick: () => {
                        editName.value = k;
                        editValue.value = JSON.stringify(v, null, 2);
                        editOutcome.textContent = '';
                        editValue.focus();
                      },
                    },
                    'Edit',
                  ),
                );
              return cells;
            }),
          )
        : h('p', { class: 'meta' }, 'No variables.'),
    );
    const rows = [...d.elements].filter((e) => !/^(bpmn:)?process$/i.test(e.elementType)).sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.elementInstanceKey.localeCompare(b.elementInstanceKey, undefined, { numeric: true }));
    clear(
      history,
      h('h2', {}, 'History'),
      h(
        'table',
        { class: 'history-table' },
        h('caption', {}, 'Each element instance: when it started, when it ended'),
        h('thead', {}, h('tr', {}, ['Element', 'Type', 'Started', 'Ended', 'State'].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          rows.map((e) =>
            h(
              'tr',
              { class: e.state.toLowerCase(), 'data-element': e.elementId },
              h('td', {}, h('strong', {}, nameOf(e))),
              h('td', {}, humanType(e.elementType)),
              h('td', {}, h('time', { datetime: e.startedAt }, when(e.startedAt))),
              h('td', {}, e.endedAt ? h('time', { datetime: e.endedAt }, when(e.endedAt)) : '—'),
              h('td', {}, e.incidentKey ? h('span', { class: 'state incident' }, 'incident') : h('span', { class: `state ${stateWord[e.state]}` }, stateWord[e.state])),
            ),
          ),
        ),
      ),
    );
    if (session.has('compliance') || session.has('admin')) {
      // the audit trail is keyed by subject (tasks, requests); this instance's rows name it in their detail
      get<{ at: string; actor: string; action: string; outcome: string; rule: string | null; detail: { processInstanceKey?: string; changed?: string[]; added?: string[]; reason?: string } }[]>('/api/audit?limit=1000')
        .then((rows) => rows.filter((r) => r.detail?.processInstanceKey === key).sort((a, b) => a.at.localeCompare(b.at)))
        .then((rows) => {
          const sig = JSON.stringify(rows);
          if (sig === auditShown) return;
          auditShown = sig;
          clear(
            audit,
            h('h2', {}, 'Audit'),
            rows.length
              ? table(
                  ['When', 'Who', 'What', 'Outcome'],
                  rows.map((r) => [
                    when(r.at),
                    r.actor,
                    [r.action, r.detail.changed?.length || r.detail.added?.length ? ` (${[...(r.detail.changed ?? []), ...(r.detail.added ?? [])].join(', ')})` : '', r.detail.reason ? ` — ${r.detail.reason}` : ''].join(''),
                    `${r.outcome}${r.rule ? ` (${r.rule})` : ''}`,
                  ]),
                )
              : h('p', {}, 'No audit entries.'),
          );
        })
        .catch((err) => clear(audit, h('h2', {}, 'Audit'), h('p', { class: 'muted' }, explain(err))));
    } else clear(audit, h('h2', {}, 'Audit'), h('p', { class: 'muted' }, 'The audit trail is open to compliance and admins.'));
    if (!stopped && (d.state === 'ACTIVE' || children.some((c) => c.state === 'ACTIVE'))) timer = setTimeout(() => void refresh(), 1500);
  };
  await refresh();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    viewer.destroy();
  };
}
