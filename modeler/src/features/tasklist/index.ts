/**
 * Tasklist: my tasks and my groups' tasks, claim, and a task view with its context (the
 * communication rendered as the customer will see it, customer, invoice, amounts, the instance's
 * history) and its form: form-js when the task links one, else approve / reject with a reason /
 * request changes. Completing claims the task first when it is not yours yet; the server checks
 * segregation of duties at both steps, and a refusal is shown in plain words with the rule named.
 */
import { Form } from '@bpmn-io/form-js';
import { ApiProblem, get, post } from '../../core/api.js';
import { clear, explain, field, h, toast, when } from '../../core/dom.js';
import type { Feature } from '../../core/feature.js';
import { refusal } from '../../core/refusal.js';
import { session } from '../../core/session.js';

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
  customer: { id: string; name: string; status: string; kycStatus: string; riskSegment: string } | null;
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

export const tasklistFeature: Feature = {
  id: 'tasklist',
  title: 'Tasks',
  route: 'tasks',
  roles: ['approver', 'agent', 'analyst', 'engineer', 'data-steward', 'compliance', 'admin'],
  async mount(el, params) {
    const scope = params[0] === 'mine' ? 'mine' : 'groups';
    const selected = params[1]?.split('?')[0];
    const list = h('ul', { class: 'tasks', 'aria-label': 'Tasks' });
    const detail = h('section', { class: 'task', 'aria-live': 'polite' });
    clear(
      el,
      h('h1', {}, 'Tasks'),
      h(
        'p',
        { class: 'tabs' },
        h('a', { href: '#/tasks/mine', 'aria-current': scope === 'mine' ? 'true' : null }, 'My tasks'),
        h('a', { href: '#/tasks/groups', 'aria-current': scope === 'groups' ? 'true' : null }, "My groups' tasks"),
      ),
      h('div', { class: 'split' }, h('nav', { 'aria-label': 'Task list' }, list), detail),
    );
    const tasks = await get<Task[]>(scope === 'mine' ? '/api/tasks?assignee=me&state=CREATED' : '/api/tasks?state=CREATED&limit=200');
    clear(
      list,
      tasks.length
        ? tasks.map((t) =>
            h(
              'li',
              {},
              h(
                'a',
                { href: `#/tasks/${scope}/${t.key}`, 'aria-current': t.key === selected ? 'true' : null },
                h('strong', {}, t.name ?? t.elementId),
                h('small', {}, [t.bpmnProcessId, t.customerId ?? str(t.variables.customerId) ?? str(t.variables.reference), str(t.variables.amount)].filter(Boolean).join(' · ')),
                h('small', {}, t.assignee ? `claimed by ${t.assignee}` : `for ${t.candidateGroups.join(', ') || t.candidateUsers.join(', ')}`, ` · ${when(t.createdAt)}`),
              ),
            ),
          )
        : h('li', { class: 'empty' }, scope === 'mine' ? 'Nothing assigned to you. Claim a task from your groups.' : 'No open tasks for your groups.'),
    );
    if (selected) await taskView(detail, selected, scope);
    else clear(detail, h('p', { class: 'muted' }, tasks.length ? 'Pick a task to see it in context.' : ''));
  },
};

async function taskView(el: HTMLElement, key: string, scope: string): Promise<void> {
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
  const amount = ctx.invoice ? `${ctx.invoice.amount} ${ctx.invoice.currency}` : v.amount ? `${String(v.amount)} ${str(v.currency) ?? ''}` : undefined;
  const facts: [string, unknown][] = [
    ['Customer', ctx.customer ? `${ctx.customer.name} (${ctx.customer.id})` : (t.customerId ?? v.customerId)],
    ['Customer status', ctx.customer ? `${ctx.customer.status}, KYC ${ctx.customer.kycStatus}, ${ctx.customer.riskSegment} risk` : undefined],
    ['Invoice', ctx.invoice ? `${ctx.invoice.number} · due ${ctx.invoice.dueAt} · ${ctx.invoice.status}` : v.invoiceId],
    ['Amount', amount],
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
          toast(`Claimed: ${t.name ?? t.elementId}`);
          location.hash = `#/tasks/mine/${key}`;
        }
      },
    },
    'Claim',
  );
  const complete = async (decision: 'approve' | 'reject' | 'changes', variables: Record<string, unknown>) => {
    clear(outcome);
    if (!(await ensureClaimed())) return;
    try {
      await post(`/api/tasks/${key}/completion`, { variables });
      clear(outcome, h('p', { class: 'done', role: 'status' }, decision === 'approve' ? 'Approved. The process continues.' : decision === 'reject' ? 'Rejected. The process records why.' : 'Sent back for changes.'));
      toast('Task completed');
      setTimeout(() => (location.hash = `#/tasks/${scope}`), 1500);
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
            if (Object.keys(errors).length) return toast('Fix the highlighted fields', 'error');
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
    t.assignee !== me ? h('div', { class: 'actions' }, claim) : null,
    h('dl', { class: 'facts' }, facts.filter(([, x]) => x !== undefined && x !== null && x !== '').flatMap(([k, x]) => [h('dt', {}, k), h('dd', {}, String(x))])),
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
