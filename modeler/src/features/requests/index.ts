/**
 * The request workspace, for the people who work customer requests (Zendesk's views and ticket
 * page, on Herald's process): a list filtered by status, type, priority, team and SLA time left,
 * with the filters in the URL (`#/requests?status=open&priority=high`) so a view can be shared
 * as a link, and saved views kept per user in this browser's localStorage; and a request page
 * with the customer's own words, the SLA clock, the open task with its linked form (completed
 * through the tasklist's door, which shows a refusal's problem+json in plain words), what was
 * sent to the customer, the customer's replies, and the request's hash-chained trail.
 */
import { Form } from '@bpmn-io/form-js';
import { ApiProblem, get, post } from '../../core/api.js';
import { clear, explain, field, h, when } from '../../core/dom.js';
import { attachmentList, type Attachment } from './attachments.js';
import type { Feature } from '../../core/feature.js';
import { refusal } from '../../core/refusal.js';
import { session } from '../../core/session.js';
import { money, remaining } from './money.js';

/** api/schemas/requests.ts CustomerRequest. */
export interface RequestView {
  id: string;
  reference: string;
  customerId: string | null;
  invoiceId: string | null;
  category: string;
  priority: string | null;
  status: string;
  intakeChannel: string;
  subject: string;
  amount: string | null;
  requestedBy: string | null;
  team: string | null;
  assignee: string | null;
  resolution: string | null;
  processInstanceKey: string | null;
  slaBreached: boolean;
  reopenCount: number;
  createdAt: string;
  resolvedAt: string | null;
  sla: { budget: string | null; state: string; remainingMs: number | null; dueAt: string | null };
}

interface RequestDetail extends RequestView {
  body: string | null;
  resolutionNote: string | null;
  messages: { communicationId: string; purpose: string; templateId: string; channel: string; status: string; subject: string | null; createdAt: string }[];
  /** Files the customer attached, with download links (GET /api/documents/{id}). */
  attachments?: Attachment[];
  events?: { at: string; action: string; actor: string; outcome: string; detail: Record<string, unknown>; hash: string }[];
  trailIntact?: boolean;
}

/** api/schemas/tasks.ts Task (the fields this page reads). */
interface Task {
  key: string;
  elementId: string;
  name: string | null;
  candidateGroups: string[];
  assignee: string | null;
  dueDate: string | null;
  form: string | null;
  variables: Record<string, unknown>;
}

const FILTERS = {
  status: { label: 'Status', options: ['open', 'in_progress', 'waiting_customer', 'resolved', 'closed'] },
  category: { label: 'Type', options: ['billing-dispute', 'payment-clarification', 'refund-adjustment', 'credit-restructuring', 'unclassified'] },
  priority: { label: 'Priority', options: ['critical', 'high', 'medium', 'low'] },
  team: { label: 'Team', options: ['finance', 'collections', 'customer-service', 'credit', 'triage'] },
  slaWithinHours: { label: 'SLA time left', options: ['1', '4', '8', '24'] },
} as const;
type FilterName = keyof typeof FILTERS;
const PAGE = 25;
const words = (s: string) => s.replace(/[_-]/g, ' ');

/** The query part of the hash: `#/requests?status=open` → status=open. */
function hashQuery(): URLSearchParams {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : location.hash.slice(i + 1));
}

interface SavedView {
  name: string;
  query: string;
}
/** Saved views live in this browser, per user: a list of names and filter queries. */
const viewsKey = () => `herald.requests.views.${session.current?.user.id ?? 'anonymous'}`;
function savedViews(): SavedView[] {
  try {
    const v = JSON.parse(localStorage.getItem(viewsKey()) ?? '[]') as SavedView[];
    return Array.isArray(v) ? v.filter((x) => typeof x?.name === 'string' && typeof x?.query === 'string') : [];
  } catch {
    return [];
  }
}
const storeViews = (views: SavedView[]) => localStorage.setItem(viewsKey(), JSON.stringify(views));

function slaBadge(sla: RequestView['sla']): HTMLElement {
  const tone = sla.state === 'breached' || (sla.remainingMs !== null && sla.remainingMs < 0) ? 'bad' : sla.remainingMs !== null && sla.remainingMs < 3_600_000 ? 'warn' : sla.state === 'running' ? 'ok' : 'idle';
  const text = sla.state === 'stopped' ? 'resolved' : sla.state === 'paused' ? `paused · ${remaining(sla.remainingMs)}` : sla.state === 'not-started' ? 'not started' : remaining(sla.remainingMs);
  return h('span', { class: `rq-sla rq-sla-${tone}` }, text);
}

export const requestsFeature: Feature = {
  id: 'requests',
  title: 'Requests',
  route: 'requests',
  roles: ['agent', 'approver', 'compliance', 'admin', 'data-steward'],
  async mount(el, params) {
    const ref = params[0];
    if (ref) return requestPage(el, ref);
    return listPage(el);
  },
};

async function listPage(el: HTMLElement): Promise<() => void> {
  const query = hashQuery();
  const controls = {} as Record<FilterName, HTMLSelectElement>;
  for (const [name, f] of Object.entries(FILTERS) as [FilterName, (typeof FILTERS)[FilterName]][]) {
    const select = h(
      'select',
      { name, id: `rq-filter-${name}` },
      h('option', { value: '' }, name === 'slaWithinHours' ? 'any' : 'all'),
      f.options.map((o) => h('option', { value: o, selected: query.get(name) === o }, name === 'slaWithinHours' ? `${o} h or less` : words(o))),
    );
    select.addEventListener('change', () => void apply(0));
    controls[name] = select;
  }
  const sort = h('select', { name: 'sort', id: 'rq-sort' }, h('option', { value: 'newest' }, 'newest first'), h('option', { value: 'sla', selected: query.get('sort') === 'sla' }, 'least SLA time left'));
  sort.addEventListener('change', () => void apply(0));
  const rows = h('tbody', {});
  const status = h('p', { class: 'muted', role: 'status' });
  const pager = h('div', { class: 'actions rq-pager' });
  const views = h('div', { class: 'rq-views', 'aria-label': 'Saved views' });
  const viewName = h('input', { id: 'rq-view-name', maxlength: '60', placeholder: 'e.g. Finance, under 4 h' }) as HTMLInputElement;

  const currentQuery = (offset: number) => {
    const q = new URLSearchParams();
    for (const [name, c] of Object.entries(controls)) if (c.value) q.set(name, c.value);
    if (sort.value !== 'newest') q.set('sort', sort.value);
    if (offset) q.set('offset', String(offset));
    return q;
  };

  const renderViews = () => {
    const list = savedViews();
    clear(
      views,
      h('h2', { id: 'rq-views-title' }, 'Saved views'),
      h('p', { class: 'muted' }, 'Kept in this browser for you.'),
      list.length
        ? h(
            'ul',
            { 'aria-labelledby': 'rq-views-title' },
            list.map((v) =>
              h(
                'li',
                {},
                h('a', { href: `#/requests?${v.query}` }, v.name),
                ' ',
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'link',
                    'aria-label': `Delete view ${v.name}`,
                    onclick: () => {
                      storeViews(savedViews().filter((x) => x.name !== v.name));
                      renderViews();
                    },
                  },
                  'delete',
                ),
              ),
            ),
          )
        : h('p', {}, 'None yet.'),
      h(
        'form',
        {
          class: 'rq-save',
          onsubmit: (e: Event) => {
            e.preventDefault();
            const name = viewName.value.trim();
            if (!name) return viewName.focus();
            const q = currentQuery(0).toString();
            storeViews([...savedViews().filter((x) => x.name !== name), { name, query: q }]);
            viewName.value = '';
            renderViews();
          },
        },
        field('Save these filters as', viewName),
        h('button', { type: 'submit' }, 'Save view'),
      ),
    );
  };

  async function apply(offset: number): Promise<void> {
    const q = currentQuery(offset);
    // the filters live in the URL, so a view is a link; replaceState does not remount the screen
    history.replaceState(null, '', `#/requests${q.size ? `?${q}` : ''}`);
    const api = new URLSearchParams(q);
    api.set('limit', String(PAGE + 1));
    status.textContent = 'Loading…';
    let list: RequestView[];
    try {
      list = await get<RequestView[]>(`/api/requests?${api}`);
    } catch (err) {
      status.textContent = explain(err);
      return;
    }
    const more = list.length > PAGE;
    list = list.slice(0, PAGE);
    status.textContent = list.length ? `${offset + 1}–${offset + list.length}${more ? ' (more on the next page)' : ''}` : 'No requests match these filters.';
    clear(
      rows,
      list.map((r) =>
        h(
          'tr',
          { 'data-reference': r.reference },
          h('td', {}, h('a', { href: `#/requests/${encodeURIComponent(r.reference)}` }, r.reference)),
          h('td', {}, r.subject),
          h('td', {}, r.customerId ?? ''),
          h('td', {}, words(r.category)),
          h('td', {}, r.priority ? h('span', { class: `rq-prio rq-prio-${r.priority}` }, r.priority) : '—'),
          h('td', {}, h('span', { class: `badge status-${r.status}` }, words(r.status))),
          h('td', {}, r.team ?? '—'),
          h('td', {}, slaBadge(r.sla)),
          h('td', {}, when(r.createdAt)),
        ),
      ),
    );
    clear(
      pager,
      offset > 0 ? h('button', { type: 'button', onclick: () => void apply(Math.max(0, offset - PAGE)) }, 'Previous page') : null,
      more ? h('button', { type: 'button', onclick: () => void apply(offset + PAGE) }, 'Next page') : null,
    );
  }

  clear(
    el,
    h('h1', {}, 'Requests'),
    h(
      'div',
      { class: 'rq-layout' },
      h(
        'section',
        { 'aria-label': 'Request list' },
        h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter requests', onsubmit: (e: Event) => e.preventDefault() }, (Object.keys(FILTERS) as FilterName[]).map((n) => field(FILTERS[n].label, controls[n])), field('Sort', sort)),
        status,
        h(
          'table',
          { class: 'rq-table' },
          h('caption', { class: 'visually-hidden' }, 'Customer requests'),
          h('thead', {}, h('tr', {}, ['Reference', 'Subject', 'Customer', 'Type', 'Priority', 'Status', 'Team', 'SLA', 'Raised'].map((c) => h('th', { scope: 'col' }, c)))),
          rows,
        ),
        pager,
      ),
      h('aside', { class: 'card' }, views),
    ),
  );
  renderViews();
  await apply(Number(query.get('offset') ?? 0) || 0);
  return () => undefined;
}

async function requestPage(el: HTMLElement, ref: string): Promise<() => void> {
  let r: RequestDetail;
  try {
    r = await get<RequestDetail>(`/api/requests/${encodeURIComponent(ref)}`);
  } catch (err) {
    clear(el, h('p', { class: 'error', role: 'alert' }, err instanceof ApiProblem && err.status === 404 ? `There is no request ${ref} you may see.` : explain(err)));
    return () => undefined;
  }
  const locale = undefined;
  const clock = h('p', { class: 'rq-clock', id: 'rq-sla' });
  // the SLA clock ticks in the page between reloads (the server's figure, counted down)
  const loadedAt = Date.now();
  const tick = () => {
    const sla = { ...r.sla, remainingMs: r.sla.state === 'running' && r.sla.remainingMs !== null ? r.sla.remainingMs - (Date.now() - loadedAt) : r.sla.remainingMs };
    clear(clock, h('strong', {}, 'SLA: '), slaBadge(sla), r.sla.budget ? h('span', { class: 'muted' }, ` · budget ${r.sla.budget.replace(/^PT?/, '').toLowerCase()}${r.sla.dueAt && sla.state === 'running' ? ` · escalates ${when(r.sla.dueAt)}` : ''}`) : null);
  };
  tick();
  const timer = setInterval(tick, 30_000);

  const conversation: { at: string; who: string; text: string; kind: string }[] = [
    { at: r.createdAt, who: r.requestedBy ?? 'customer', text: `${r.subject}${r.body ? `\n\n${r.body}` : ''}`, kind: 'customer' },
    ...(r.events ?? [])
      .filter((e) => e.action === 'customer-replied' || e.action === 'customer-message')
      .map((e) => ({ at: e.at, who: e.actor, text: String(e.detail.text ?? ''), kind: 'customer' })),
    ...r.messages.map((m) => ({ at: m.createdAt, who: 'Herald', text: `${m.subject ?? m.templateId} (${m.purpose}, ${m.channel}, ${m.status})`, kind: 'sent' })),
  ].sort((a, b) => a.at.localeCompare(b.at));

  const taskBox = h('section', { class: 'card', id: 'rq-task', 'aria-labelledby': 'rq-task-title' });
  const replyBox = r.status === 'waiting_customer' ? replyForm(r) : null;

  clear(
    el,
    h('p', {}, h('a', { href: '#/requests' }, '← All requests')),
    h('h1', {}, `${r.reference} · ${r.subject}`),
    h(
      'div',
      { class: 'rq-page' },
      h(
        'div',
        {},
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'rq-customer-title' },
          h('h2', { id: 'rq-customer-title' }, 'What the customer wrote'),
          h('blockquote', { class: 'rq-quote', id: 'rq-body' }, h('strong', {}, r.subject), r.body ? h('p', {}, r.body) : null),
          h('p', { class: 'muted' }, `via ${r.intakeChannel} · ${when(r.createdAt)}${r.requestedBy ? ` · by ${r.requestedBy}` : ''}`),
          h('h3', {}, 'Attachments'),
          attachmentList(r.attachments, 'rq-attachments', 'None came with this request.'),
        ),
        taskBox,
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'rq-conv-title' },
          h('h2', { id: 'rq-conv-title' }, 'Conversation'),
          h('ol', { class: 'rq-conversation' }, conversation.map((c) => h('li', { class: `rq-${c.kind}` }, h('strong', {}, c.who), ' ', h('time', {}, when(c.at)), h('p', {}, c.text)))),
          replyBox,
        ),
      ),
      h(
        'div',
        {},
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'rq-facts-title' },
          h('h2', { id: 'rq-facts-title' }, 'Request'),
          clock,
          h(
            'dl',
            { class: 'facts' },
            (
              [
                ['Status', words(r.status)],
                ['Type', words(r.category)],
                ['Priority', r.priority ?? '—'],
                ['Team', r.team ?? '—'],
                ['Assignee', r.assignee ?? '—'],
                ['Customer', r.customerId ?? '—'],
                ['Invoice', r.invoiceId ?? '—'],
                ['Amount in question', r.amount ? money(r.amount, 'USD', locale) : '—'],
                ['Resolution', r.resolution ? words(r.resolution) : '—'],
                ['Instance', r.processInstanceKey ? h('a', { href: `#/instances/${r.processInstanceKey}` }, r.processInstanceKey) : '—'],
              ] as [string, string | HTMLElement][]
            ).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
          ),
        ),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'rq-trail-title' },
          h('h2', { id: 'rq-trail-title' }, 'Trail'),
          r.trailIntact === undefined ? null : h('p', { class: r.trailIntact ? 'rq-intact' : 'error' }, r.trailIntact ? 'The trail is intact (hash chain verified).' : 'The trail does not verify: an entry was changed.'),
          h(
            'ol',
            { class: 'timeline', id: 'rq-trail' },
            (r.events ?? []).map((e) => h('li', { class: e.outcome === 'refused' ? 'terminated' : e.actor === 'herald' ? 'activated' : 'completed' }, h('time', {}, when(e.at)), ` ${words(e.action)} — ${e.actor}${e.outcome === 'refused' ? ` (refused${e.detail.rule ? `: ${String(e.detail.rule)}` : ''})` : ''}`)),
          ),
        ),
      ),
    ),
  );
  await openTask(taskBox, r);
  return () => clearInterval(timer);
}

/** An agent passes on what the customer answered (phone, letter) to a request waiting on them. */
function replyForm(r: RequestDetail): HTMLElement {
  const text = h('textarea', { id: 'rq-reply', rows: '3', maxlength: '10000' }) as HTMLTextAreaElement;
  const out = h('div', {});
  return h(
    'form',
    {
      class: 'rq-reply',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        if (!text.value.trim()) return text.focus();
        try {
          await post(`/api/requests/${encodeURIComponent(r.reference)}/replies`, { text: text.value.trim() });
          clear(out, h('p', { class: 'done', role: 'status' }, 'Passed on: the request resumes.'));
          text.value = '';
        } catch (err) {
          clear(out, problemBox(err));
        }
      },
    },
    field("The customer's answer", text),
    h('button', { type: 'submit' }, 'Pass on the reply'),
    out,
  );
}

/** A refusal in plain words plus the server's own problem+json detail. */
function problemBox(err: unknown): HTMLElement {
  const box = refusal(err);
  if (err instanceof ApiProblem) {
    const detail = typeof err.body.detail === 'string' ? err.body.detail : undefined;
    const fieldName = typeof err.body.field === 'string' ? err.body.field : undefined;
    if (err.status !== 403) clear(box, h('strong', {}, err.title));
    if (detail) box.append(h('p', {}, detail));
    if (fieldName) box.append(h('p', { class: 'muted' }, `Field: ${fieldName}`));
  }
  return box;
}

/** Values a person left empty are not answers: the form's allow-list gets only what was filled in. */
function filled(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== '' && v !== null && v !== undefined));
}

async function openTask(box: HTMLElement, r: RequestDetail): Promise<void> {
  const heading = h('h2', { id: 'rq-task-title' }, 'Open task');
  if (!r.processInstanceKey) return clear(box, heading, h('p', { class: 'muted' }, 'No process yet.'));
  let tasks: Task[];
  try {
    tasks = (await get<Task[]>(`/api/tasks?processInstanceKey=${r.processInstanceKey}&state=CREATED`)).filter((t) => t.variables.requestId === r.id || t.variables.requestId === undefined);
  } catch (err) {
    return clear(box, heading, h('p', { class: 'error' }, explain(err)));
  }
  if (!tasks.length) return clear(box, heading, h('p', { class: 'muted' }, r.resolvedAt ? 'Resolved: nothing left to do.' : 'No task open for you right now: the process is working, or the task is for another group.'));
  const me = session.current!.user.id;
  const t = tasks[0];
  const outcome = h('div', { class: 'outcome', 'aria-live': 'polite' });
  const formBox = h('div', { class: 'rq-form' });
  clear(
    box,
    heading,
    h('p', { class: 'meta' }, h('strong', {}, t.name ?? t.elementId), ` · ${t.assignee ? (t.assignee === me ? 'claimed by you' : `claimed by ${t.assignee}`) : `open for ${t.candidateGroups.join(', ')}`}${t.dueDate ? ` · due ${when(t.dueDate)}` : ''} · `, h('a', { href: `#/tasks/groups/${t.key}` }, 'open in the tasklist')),
    formBox,
    outcome,
  );
  if (!t.form) {
    formBox.append(h('p', { class: 'muted' }, 'This task has no form; work it in the tasklist.'));
    return;
  }
  const form = new Form({ container: formBox });
  await form.importSchema(JSON.parse(t.form), t.variables);
  const submit = h('button', { type: 'button', class: 'primary', id: 'rq-submit' }, 'Complete task');
  submit.addEventListener('click', async () => {
    const { data, errors } = form.submit();
    if (Object.keys(errors).length) {
      clear(outcome, h('p', { class: 'error', role: 'alert' }, 'Fix the highlighted fields.'));
      return;
    }
    submit.setAttribute('aria-busy', 'true');
    try {
      if (t.assignee !== me) await post(`/api/tasks/${t.key}/claim`);
      t.assignee = me;
      await post(`/api/tasks/${t.key}/completion`, { variables: filled(data as Record<string, unknown>) });
      clear(outcome, h('p', { class: 'done', role: 'status' }, `Done: ${t.name ?? t.elementId} completed. The request moves on.`));
      submit.remove();
    } catch (err) {
      clear(outcome, problemBox(err));
    } finally {
      submit.removeAttribute('aria-busy');
    }
  });
  formBox.append(h('div', { class: 'actions' }, submit));
}
