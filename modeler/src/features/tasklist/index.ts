/**
 * Tasklist: my tasks and my groups' tasks, claim, and a task view with its context (the
 * communication rendered as the customer will see it, customer, invoice, amounts, the instance's
 * history) and its form: form-js when the task links one, else approve / reject with a reason /
 * request changes. Completing claims the task first when it is not yours yet; the server checks
 * segregation of duties at both steps, and a refusal is shown in plain words with the rule named.
 */
import { Form } from '@bpmn-io/form-js';
import { ApiProblem, get, patch, post } from '../../core/api.js';
import { clear, explain, field, h, when } from '../../core/dom.js';
import type { Feature } from '../../core/feature.js';
import { refusal } from '../../core/refusal.js';
import { session } from '../../core/session.js';
import { money } from '../requests/money.js';

/** The real tasklist's task (api/schemas/tasks.ts). */
interface Task {
  key: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  elementId: string;
  name: string | null;
  candidateGroups: string[];
  candidateUsers: string[];
  assignee: string | null;
  dueDate: string | null;
  followUpDate: string | null;
  priority: number;
  form: string | null;
  variables: Record<string, unknown>;
  headers: Record<string, string>;
  customerId: string | null;
  state: 'CREATED' | 'COMPLETED' | 'CANCELED';
  createdAt: string;
}

/** GET /api/tasks/:key/context (api/schemas/task-context.ts). */
interface TaskContext {
  customer: { id: string; name: string; status: string; kycStatus: string; riskSegment: string; locale?: string } | null;
  invoice: { id: string; number: string; amount: string; currency: string; dueAt: string; status: string } | null;
  preview: { templateId: string; templateVersion: number | null; subject: string; html: string; text: string } | null;
  previewProblem: string | null;
  history: { at: string; what: string; outcome: string | null; rule: string | null }[];
}

/** The approval form when a task links none of its own: a reason, needed to reject or request changes. */
const DECISION_FORM = {
  type: 'default',
  id: 'herald-decision',
  schemaVersion: 16,
  components: [{ type: 'textarea', key: 'reason', id: 'reason', label: 'Reason (needed to reject or request changes)', description: 'Shown to the initiator and kept in the audit trail.' }],
};

const str = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : String(v));

/** The sorts a tasklist offers (Camunda Tasklist's, plus priority). */
const SORTS = {
  created: { label: 'newest first', cmp: (a: Task, b: Task) => b.createdAt.localeCompare(a.createdAt) },
  due: { label: 'due date, soonest first', cmp: (a: Task, b: Task) => byDate(a.dueDate, b.dueDate) },
  followUp: { label: 'follow-up date, soonest first', cmp: (a: Task, b: Task) => byDate(a.followUpDate, b.followUpDate) },
  priority: { label: 'priority, highest first', cmp: (a: Task, b: Task) => b.priority - a.priority },
  process: { label: 'process', cmp: (a: Task, b: Task) => a.bpmnProcessId.localeCompare(b.bpmnProcessId) },
} as const;
type SortName = keyof typeof SORTS;
/** Tasks without the date sort last, then the tie goes to the older task (first come, first served). */
const byDate = (a: string | null, b: string | null) => (a && b ? a.localeCompare(b) : a ? -1 : b ? 1 : 0);

/** The amount the task is about, as the task says it: a proposed credit is the credit, not the invoice it corrects. */
export function taskAmount(t: Pick<Task, 'variables'>, locale?: string): { label: string; text: string } | undefined {
  const v = t.variables;
  const currency = str(v.currency) ?? 'USD';
  if (str(v.adjustmentAmount)) return { label: str(v.adjustmentType) === 'refund' ? 'Refund proposed' : 'Credit proposed', text: money(String(v.adjustmentAmount), currency, locale) };
  if (str(v.amount)) return { label: 'Amount', text: money(String(v.amount), currency, locale) };
  if (str(v.requestAmount)) return { label: 'Amount in question', text: money(String(v.requestAmount), currency, locale) };
  return undefined;
}

/** A list item's due date, follow-up date and priority. */
const datesLine = (t: Pick<Task, 'dueDate' | 'followUpDate' | 'priority'>) =>
  h(
    'small',
    { class: 'tl-dates' },
    t.dueDate ? h('span', { class: overdue(t.dueDate) ? 'tl-overdue' : '' }, `Due ${day(t.dueDate)}`) : null,
    t.followUpDate ? h('span', {}, `Follow up ${day(t.followUpDate)}`) : null,
    h('span', {}, `Priority ${t.priority}`),
  );
const day = (iso: string | null) => (iso ? new Date(iso).toLocaleDateString(undefined, { dateStyle: 'medium' }) : '');
const overdue = (iso: string | null) => !!iso && new Date(iso).getTime() < Date.now();

export const tasklistFeature: Feature = {
  id: 'tasklist',
  title: 'Tasks',
  route: 'tasks',
  roles: ['approver', 'agent', 'analyst', 'engineer', 'data-steward', 'compliance', 'admin'],
  async mount(el, params) {
    const scope = params[0] === 'mine' ? 'mine' : 'groups';
    const selected = params[1];
    // the sort and filters ride in the hash's query, so a sorted list is a link and survives opening a task
    const hashAt = location.hash.indexOf('?');
    const query = new URLSearchParams(hashAt < 0 ? '' : location.hash.slice(hashAt + 1));
    const list = h('ul', { class: 'tasks', 'aria-label': 'Tasks' });
    const detail = h('section', { class: 'task', 'aria-live': 'polite' });
    const count = h('p', { class: 'muted tl-count', role: 'status' });
    const sort = h('select', { id: 'tl-sort', name: 'sort' }, (Object.keys(SORTS) as SortName[]).map((k) => h('option', { value: k, selected: query.get('sort') === k }, SORTS[k].label)));
    const filterProcess = h('select', { id: 'tl-process', name: 'process' });
    const filterGroup = h('select', { id: 'tl-group', name: 'group' });
    const filterAssignee = h('select', { id: 'tl-assignee', name: 'assignee' });
    const filterDue = h(
      'select',
      { id: 'tl-due', name: 'due' },
      [['', 'any'], ['overdue', 'overdue'], ['week', 'due within 7 days'], ['none', 'no due date'], ['followUp', 'follow-up date reached']].map(([v, l]) => h('option', { value: v, selected: query.get('due') === v }, l)),
    );
    const qs = () => {
      const q = new URLSearchParams();
      if (sort.value !== 'created') q.set('sort', sort.value);
      for (const [k, c] of [['process', filterProcess], ['group', filterGroup], ['assignee', filterAssignee], ['due', filterDue]] as const) if (c.value) q.set(k, c.value);
      return q.size ? `?${q}` : '';
    };
    clear(
      el,
      h('h1', {}, 'Tasks'),
      h(
        'p',
        { class: 'tabs' },
        h('a', { href: `#/tasks/mine${hashAt < 0 ? '' : location.hash.slice(hashAt)}`, 'aria-current': scope === 'mine' ? 'true' : null }, 'My tasks'),
        h('a', { href: `#/tasks/groups${hashAt < 0 ? '' : location.hash.slice(hashAt)}`, 'aria-current': scope === 'groups' ? 'true' : null }, "My groups' tasks"),
      ),
      h('form', { class: 'filters tl-filters', role: 'search', 'aria-label': 'Sort and filter tasks', onsubmit: (e: Event) => e.preventDefault() }, field('Sort by', sort), field('Process', filterProcess), field('Candidate group', filterGroup), field('Assignee', filterAssignee), field('Due', filterDue)),
      h('div', { class: 'split' }, h('nav', { 'aria-label': 'Task list' }, count, list), detail),
    );
    const tasks = await get<Task[]>(scope === 'mine' ? '/api/tasks?assignee=me&state=CREATED' : '/api/tasks?state=CREATED&limit=500');
    const distinct = (xs: string[]) => [...new Set(xs)].sort();
    const options = (select: HTMLSelectElement, name: string, values: [string, string][]) =>
      clear(select, h('option', { value: '' }, 'all'), values.map(([v, l]) => h('option', { value: v, selected: query.get(name) === v }, l)));
    options(filterProcess, 'process', distinct(tasks.map((t) => t.bpmnProcessId)).map((p) => [p, p]));
    options(filterGroup, 'group', distinct(tasks.flatMap((t) => t.candidateGroups)).map((g) => [g, g]));
    options(filterAssignee, 'assignee', [['me', 'me'], ['none', 'unassigned'], ...distinct(tasks.map((t) => t.assignee ?? '').filter((a) => a && a !== session.current?.user.id)).map((a): [string, string] => [a, a])]);

    const render = () => {
      const me = session.current?.user.id;
      const week = Date.now() + 7 * 86_400_000;
      const shown = tasks
        .filter((t) => !filterProcess.value || t.bpmnProcessId === filterProcess.value)
        .filter((t) => !filterGroup.value || t.candidateGroups.includes(filterGroup.value))
        .filter((t) => !filterAssignee.value || (filterAssignee.value === 'me' ? t.assignee === me : filterAssignee.value === 'none' ? !t.assignee : t.assignee === filterAssignee.value))
        .filter((t) => {
          switch (filterDue.value) {
            case 'overdue':
              return overdue(t.dueDate);
            case 'week':
              return !!t.dueDate && new Date(t.dueDate).getTime() <= week;
            case 'none':
              return !t.dueDate;
            case 'followUp':
              return overdue(t.followUpDate);
            default:
              return true;
          }
        })
        .sort((a, b) => SORTS[(sort.value as SortName) in SORTS ? (sort.value as SortName) : 'created'].cmp(a, b) || a.createdAt.localeCompare(b.createdAt));
      count.textContent = `${shown.length} of ${tasks.length} open task${tasks.length === 1 ? '' : 's'}`;
      const suffix = qs();
      clear(
        list,
        shown.length
          ? shown.map((t) => {
              const amount = taskAmount(t);
              return h(
                'li',
                { 'data-task': t.key },
                h(
                  'a',
                  { href: `#/tasks/${scope}/${t.key}${suffix}`, 'aria-current': t.key === selected ? 'true' : null },
                  h('strong', {}, t.name ?? t.elementId),
                  h('small', {}, [t.bpmnProcessId, t.customerId ?? str(t.variables.customerId) ?? str(t.variables.reference)].filter(Boolean).join(' · ')),
                  amount ? h('small', { class: 'tl-amount' }, `${amount.label}: ${amount.text}`) : null,
                  datesLine(t),
                  h('small', {}, t.assignee ? `claimed by ${t.assignee}` : `for ${t.candidateGroups.join(', ') || t.candidateUsers.join(', ')}`, ` · ${when(t.createdAt)}`),
                ),
              );
            })
          : h('li', { class: 'empty' }, tasks.length ? 'No task matches these filters.' : scope === 'mine' ? 'Nothing assigned to you. Claim a task from your groups.' : 'No open tasks for your groups.'),
      );
    };
    for (const c of [sort, filterProcess, filterGroup, filterAssignee, filterDue])
      c.addEventListener('change', () => {
        history.replaceState(null, '', `#/tasks/${scope}${selected ? `/${selected}` : ''}${qs()}`);
        render();
      });
    render();
    if (selected) await taskView(detail, selected);
    else clear(detail, h('p', { class: 'muted' }, tasks.length ? 'Pick a task to see it in context.' : ''));
  },
};

async function taskView(el: HTMLElement, key: string): Promise<void> {
  const at = location.hash.indexOf('?');
  const query = at < 0 ? '' : location.hash.slice(at);
  let t: Task;
  try {
    t = await get<Task>(`/api/tasks/${key}`);
  } catch (err) {
    clear(el, h('p', { class: 'error', role: 'alert' }, err instanceof ApiProblem && err.status === 404 ? `Task ${key} is done or not yours to see.` : explain(err)));
    return;
  }
  const ctx = await get<TaskContext>(`/api/tasks/${key}/context`).catch((): TaskContext => ({ customer: null, invoice: null, preview: null, previewProblem: null, history: [] }));
  const me = session.current!.user.id;
  const outcome = h('div', { class: 'outcome' });
  const v = t.variables;
  const locale = ctx.customer?.locale;
  // the task's own amount first (a proposed credit), then the invoice it is about, each in its currency
  const own = taskAmount(t, locale);
  const invoiceAmount = ctx.invoice ? money(ctx.invoice.amount, ctx.invoice.currency, locale) : undefined;
  const facts: [string, unknown][] = [
    ['Customer', ctx.customer ? `${ctx.customer.name} (${ctx.customer.id})` : (t.customerId ?? v.customerId)],
    ['Customer status', ctx.customer ? `${ctx.customer.status}, KYC ${ctx.customer.kycStatus}, ${ctx.customer.riskSegment} risk` : undefined],
    ['Invoice', ctx.invoice ? `${ctx.invoice.number} · due ${ctx.invoice.dueAt} · ${ctx.invoice.status}` : v.invoiceId],
    [own?.label ?? 'Amount', own?.text ?? invoiceAmount],
    ['Invoice amount', own && invoiceAmount && own.text !== invoiceAmount ? invoiceAmount : undefined],
    ['Due', t.dueDate ? when(t.dueDate) : undefined],
    ['Follow up', t.followUpDate ? when(t.followUpDate) : undefined],
    ['Priority', t.priority],
    ['Channel', v.channel],
    ['Template', ctx.preview ? `${ctx.preview.templateId} v${ctx.preview.templateVersion ?? '?'}` : v.templateId],
    ['Approval level', t.headers.approvalLevel],
    ['Initiated by', v.initiatedBy ?? v.requestedBy],
    ['Subject', v.subject],
  ];

  /** Claims the task for me unless it is mine already; a refusal is shown and false returned. */
  const ensureClaimed = async (): Promise<boolean> => {
    if (t.assignee === me) return true;
    try {
      t = await post<Task>(`/api/tasks/${key}/claim`);
      return true;
    } catch (err) {
      clear(outcome, refusal(err));
      return false;
    }
  };
  const claim = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        if (await ensureClaimed()) {
          // the sort and filters go along, except an assignee filter, which "My tasks" answers already
          const q = new URLSearchParams(query.slice(1));
          q.delete('assignee');
          location.hash = `#/tasks/mine/${key}${q.size ? `?${q}` : ''}`;
        }
      },
    },
    'Claim',
  );
  // giving a task back is as visible as taking it
  const unclaim = h(
    'button',
    {
      type: 'button',
      id: 'tl-unclaim',
      onclick: async () => {
        try {
          await post<Task>(`/api/tasks/${key}/unclaim`);
          location.hash = `#/tasks/groups/${key}${query}`;
        } catch (err) {
          clear(outcome, refusal(err));
        }
      },
    },
    'Unclaim',
  );
  const complete = async (decision: 'approve' | 'reject' | 'changes', variables: Record<string, unknown>) => {
    clear(outcome);
    if (!(await ensureClaimed())) return;
    try {
      await post(`/api/tasks/${key}/completion`, { variables });
      clear(outcome, h('p', { class: 'done', role: 'status' }, decision === 'approve' ? 'Approved. The process continues.' : decision === 'reject' ? 'Rejected. The process records why.' : 'Sent back for changes.'));
      // the outcome stays where the person looked; the list refreshes when they move on
      document.querySelector(`.tasks [data-task="${key}"]`)?.remove();
    } catch (err) {
      clear(outcome, refusal(err));
    }
  };

  const formBox = h('div', { class: 'form' });
  if (t.form) {
    const form = new Form({ container: formBox });
    await form.importSchema(JSON.parse(t.form), v);
    formBox.append(
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          onclick: () => {
            const { data, errors } = form.submit();
            if (Object.keys(errors).length) return clear(outcome, h('p', { class: 'error', role: 'alert' }, 'Fix the highlighted fields.'));
            void complete('approve', data as Record<string, unknown>);
          },
        },
        'Submit',
      ),
    );
  } else {
    // the decision form is a form-js form too, so a linked form and the built-in one render alike
    const form = new Form({ container: formBox });
    await form.importSchema(DECISION_FORM, {});
    const reasonOf = () => String((form.submit().data as { reason?: string }).reason ?? '').trim();
    const focusReason = () => formBox.querySelector<HTMLTextAreaElement>('textarea')?.focus();
    const needReason = (what: string, decision: 'reject' | 'changes') => () => {
      const text = reasonOf();
      if (!text) {
        focusReason();
        clear(outcome, h('p', { class: 'error', role: 'alert' }, what));
        return;
      }
      void complete(decision, decision === 'reject' ? { approved: false, rejectionReason: text } : { approved: false, changesRequested: true, rejectionReason: text });
    };
    formBox.append(
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'primary', onclick: () => void complete('approve', { approved: true }) }, 'Approve'),
        h('button', { type: 'button', class: 'danger', onclick: needReason('Give a reason to reject.', 'reject') }, 'Reject'),
        h('button', { type: 'button', onclick: needReason('Say what should change.', 'changes') }, 'Request changes'),
      ),
    );
  }
  const header = h(
    'div',
    { class: 'card' },
    h('h2', {}, t.name ?? t.elementId),
    h('p', { class: 'meta' }, `${t.bpmnProcessId} · `, h('a', { href: `#/instances/${t.processInstanceKey}` }, `instance ${t.processInstanceKey}`), ` · ${t.assignee ? `claimed by ${t.assignee}` : `open for ${t.candidateGroups.join(', ')}`}`),
    h('div', { class: 'actions' }, t.assignee !== me ? claim : unclaim),
    h('dl', { class: 'facts' }, facts.filter(([, x]) => x !== undefined && x !== null && x !== '').flatMap(([k, x]) => [h('dt', {}, k), h('dd', {}, String(x))])),
    scheduleForm(t, () => void taskView(el, key)),
  );
  const preview = ctx.preview
    ? h(
        'div',
        { class: 'card' },
        h('h2', {}, 'The message as the customer will see it'),
        h('p', {}, h('strong', {}, 'Subject: '), h('span', { id: 'preview-subject' }, ctx.preview.subject)),
        h('iframe', { class: 'preview', title: 'Rendered communication', sandbox: '', srcdoc: ctx.preview.html }),
      )
    : ctx.previewProblem
      ? h('div', { class: 'card' }, h('h2', {}, 'The message'), h('p', { class: 'error' }, `No preview: ${ctx.previewProblem}`))
      : null;
  const history = ctx.history.length
    ? h(
        'div',
        { class: 'card' },
        h('h2', {}, 'History'),
        h('ol', { class: 'timeline' }, ctx.history.map((e) => h('li', { class: e.outcome === 'refused' ? 'terminated' : e.what.endsWith('completed') ? 'completed' : 'activated' }, h('time', {}, when(e.at)), ` ${e.what}`))),
      )
    : null;
  const comments = await commentsCard(key);
  const decision = h('div', { class: 'card decision' }, h('h2', {}, 'Decision'), formBox, outcome, comments);
  // with a preview, the message and the decision sit side by side so the approver reads and decides without scrolling
  clear(el, preview ? h('div', { class: 'task-grid' }, h('div', {}, preview, history), h('div', {}, header, decision)) : [header, decision, history]);
}

/** An ISO instant as a datetime-local input shows it (the browser's time zone), and back. */
const localInput = (iso: string | null) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
const fromLocalInput = (value: string) => (value ? new Date(value).toISOString() : null);

/**
 * The task's due date, follow-up date and priority, changed through PATCH /api/tasks/{key}: the
 * server lets the assignee or a lead of the task's groups do it and says why not to anyone else.
 */
function scheduleForm(t: Task, reload: () => void): HTMLElement {
  const due = h('input', { type: 'datetime-local', id: 'tl-due-date', name: 'dueDate', value: localInput(t.dueDate) }) as HTMLInputElement;
  const followUp = h('input', { type: 'datetime-local', id: 'tl-follow-up-date', name: 'followUpDate', value: localInput(t.followUpDate) }) as HTMLInputElement;
  const priority = h('input', { type: 'number', id: 'tl-priority', name: 'priority', min: '0', max: '100', step: '1', value: String(t.priority) }) as HTMLInputElement;
  const outcome = h('div', { class: 'schedule-outcome' });
  const save = async () => {
    const changes: Record<string, unknown> = {};
    if (fromLocalInput(due.value) !== t.dueDate) changes.dueDate = fromLocalInput(due.value);
    if (fromLocalInput(followUp.value) !== t.followUpDate) changes.followUpDate = fromLocalInput(followUp.value);
    if (priority.value !== '' && Number(priority.value) !== t.priority) changes.priority = Number(priority.value);
    if (!Object.keys(changes).length) return clear(outcome, h('p', { class: 'muted', role: 'status' }, 'Nothing changed.'));
    try {
      const saved = await patch<Task>(`/api/tasks/${t.key}`, changes);
      // the list's line for the task shows the new schedule too (a listener may have corrected it)
      document.querySelector(`.tasks [data-task="${t.key}"] .tl-dates`)?.replaceWith(datesLine(saved));
      reload();
    } catch (err) {
      // a field the server refuses gets the focus, so the person fixes that one
      if (err instanceof ApiProblem && typeof err.body.field === 'string') ({ 'body.dueDate': due, 'body.followUpDate': followUp, 'body.priority': priority })[err.body.field]?.focus();
      clear(outcome, refusal(err));
    }
  };
  return h(
    'form',
    { class: 'schedule', 'aria-label': 'Schedule', onsubmit: (e: Event) => (e.preventDefault(), void save()) },
    h('h3', {}, 'Schedule'),
    h('div', { class: 'filters' }, field('Due date', due), field('Follow-up date', followUp), field('Priority (0-100)', priority)),
    h('button', { type: 'submit' }, 'Save schedule'),
    outcome,
  );
}

interface TaskComment {
  id: number;
  author: string;
  body: string;
  createdAt: string;
}

/** The task's comments (Herald's SLA reminders among them) and a box to add one. */
async function commentsCard(key: string): Promise<HTMLElement> {
  const list = h('ol', { class: 'comments', 'aria-live': 'polite' });
  const render = (items: TaskComment[]) =>
    clear(list, items.length ? items.map((c) => h('li', { class: c.author === 'herald' ? 'from-herald' : '' }, h('strong', {}, c.author), ' ', h('time', {}, when(c.createdAt)), h('p', {}, c.body))) : h('li', { class: 'muted' }, 'No comments yet.'));
  render(await get<TaskComment[]>(`/api/tasks/${key}/comments`).catch(() => []));
  const input = h('textarea', { id: 'comment-body', rows: '2', maxlength: '4000' }) as HTMLTextAreaElement;
  // an alert only once it says something, so it never stands beside the decision's own
  const problem = h('p', { class: 'error' });
  const add = h('button', { type: 'button' }, 'Add comment');
  add.addEventListener('click', async () => {
    if (!input.value.trim()) return;
    try {
      await post(`/api/tasks/${key}/comments`, { body: input.value.trim() });
      input.value = '';
      problem.removeAttribute('role');
      clear(problem);
      render(await get<TaskComment[]>(`/api/tasks/${key}/comments`));
    } catch (err) {
      problem.setAttribute('role', 'alert');
      clear(problem, explain(err));
    }
  });
  return h('section', { class: 'task-comments', 'aria-label': 'Comments' }, h('h3', {}, 'Comments'), list, field('Comment', input), add, problem);
}
