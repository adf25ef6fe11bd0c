/**
 * Tasklist: my tasks and my groups' tasks, claim, and a task view with its context (the
 * communication rendered as the customer will see it, customer, invoice, amounts, the instance's
 * history) and its form: form-js when the task links one, else approve / reject with a reason /
 * request changes. A segregation-of-duties refusal is shown in plain words with the rule named.
 */
import { Form } from '@bpmn-io/form-js';
import { ApiProblem, get, post } from '../../core/api.js';
import { clear, explain, field, h, toast, when } from '../../core/dom.js';
import type { Feature } from '../../core/feature.js';
import { session } from '../../core/session.js';

interface Task {
  userTaskKey: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  elementId: string;
  elementName?: string;
  assignee?: string;
  candidateGroups: string[];
  form?: string;
  createdAt: string;
  variables: Record<string, unknown>;
  context?: {
    preview?: { subject: string; html: string; text: string };
    customer?: Record<string, unknown>;
    invoice?: Record<string, unknown>;
    history?: { at: string; what: string }[];
  };
}

const RULES: Record<string, string> = {
  'maker-checker': 'the person who started an item cannot approve it',
  'distinct-approvers': 'each approval level needs a different person',
  'four-eyes': 'this amount needs two different approvers',
  'candidate-group': 'the task belongs to a group you are not in',
  'proposer-not-approver': 'whoever proposed an adjustment cannot approve it',
  'author-not-deployer': "a draft's author cannot deploy it",
  'author-not-approver': "a template's author cannot approve it",
};

export function refusal(err: unknown): HTMLElement {
  if (err instanceof ApiProblem && err.status === 403) {
    const rule = err.rule;
    return h('div', { class: 'refusal', role: 'alert' }, h('strong', {}, `Not allowed${rule ? ` — ${rule}` : ''}`), rule && RULES[rule] ? `Segregation of duties: ${RULES[rule]}. ` : '', err.title);
  }
  return h('div', { class: 'refusal', role: 'alert' }, explain(err));
}

export const tasklistFeature: Feature = {
  id: 'tasklist',
  title: 'Tasks',
  route: 'tasks',
  roles: ['approver', 'agent', 'analyst', 'engineer', 'admin'],
  async mount(el, params) {
    const scope = params[0] === 'mine' ? 'mine' : 'groups';
    const selected = params[1];
    const list = h('ul', { class: 'tasks', 'aria-label': 'Tasks' });
    const detail = h('section', { class: 'task', 'aria-live': 'polite' });
    clear(
      el,
      h('h1', {}, 'Tasks'),
      h('p', {}, h('a', { href: '#/tasks/mine', 'aria-current': scope === 'mine' ? 'true' : null }, 'My tasks'), ' · ', h('a', { href: '#/tasks/groups', 'aria-current': scope === 'groups' ? 'true' : null }, "My groups' tasks")),
      h('div', { class: 'split' }, h('nav', { 'aria-label': 'Task list' }, list), detail),
    );
    const tasks = await get<Task[]>(`/api/tasks?scope=${scope}`);
    clear(
      list,
      tasks.length
        ? tasks.map((t) =>
            h(
              'li',
              {},
              h(
                'a',
                { href: `#/tasks/${scope}/${t.userTaskKey}`, 'aria-current': t.userTaskKey === selected ? 'true' : null },
                h('strong', {}, t.elementName ?? t.elementId),
                h('small', {}, `${t.bpmnProcessId} · ${String(t.variables.customerId ?? t.variables.reference ?? '')} ${t.variables.amount ? `· ${String(t.variables.amount)}` : ''}`),
                h('small', {}, t.assignee ? `claimed by ${t.assignee}` : `for ${t.candidateGroups.join(', ')}`, ` · ${when(t.createdAt)}`),
              ),
            ),
          )
        : h('li', {}, scope === 'mine' ? 'Nothing assigned to you. Claim a task from your groups.' : 'No open tasks for your groups.'),
    );
    if (selected) await taskView(detail, selected, scope);
  },
};

async function taskView(el: HTMLElement, key: string, scope: string): Promise<void> {
  const t = await get<Task>(`/api/tasks/${key}`);
  const me = session.current!.user.id;
  const outcome = h('div', {});
  const ctx = t.context ?? {};
  const v = t.variables;
  const facts: [string, unknown][] = [
    ['Customer', (ctx.customer?.name as string) ?? v.customerId],
    ['Invoice', (ctx.invoice?.id as string) ?? v.invoiceId],
    ['Amount', v.amount ? `${String(v.amount)} ${String(ctx.invoice?.currency ?? v.currency ?? '')}` : undefined],
    ['Channel', v.channel],
    ['Template', v.templateId],
    ['Initiated by', v.initiatedBy ?? v.requestedBy],
    ['Subject', v.subject],
  ];
  const claim = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        try {
          await post(`/api/tasks/${key}/claim`);
          toast('Claimed');
          location.hash = `#/tasks/mine/${key}`;
        } catch (err) {
          clear(outcome, refusal(err));
        }
      },
    },
    'Claim',
  );
  const complete = async (decision: 'approve' | 'reject' | 'changes', extra: Record<string, unknown> = {}) => {
    try {
      await post(`/api/tasks/${key}/completion`, { decision, ...extra });
      clear(outcome, h('p', { class: 'done', role: 'status' }, decision === 'approve' ? 'Approved. The process continues.' : decision === 'reject' ? 'Rejected.' : 'Sent back for changes.'));
      toast('Task completed');
      setTimeout(() => (location.hash = `#/tasks/${scope}`), 1200);
    } catch (err) {
      clear(outcome, refusal(err));
    }
  };
  const formBox = h('div', { class: 'form' });
  if (t.form) {
    const form = new Form({ container: formBox });
    await form.importSchema(JSON.parse(t.form), v);
    formBox.append(
      h('button', {
        type: 'button',
        class: 'primary',
        onclick: () => {
          const { data, errors } = form.submit();
          if (Object.keys(errors).length) return toast('Fix the highlighted fields', 'error');
          void complete('approve', { variables: data });
        },
      }, 'Submit'),
    );
  } else {
    const reason = h('textarea', { name: 'reason', rows: 3, id: 'reason' });
    formBox.append(
      field('Reason (needed to reject or request changes)', reason),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'primary', onclick: () => void complete('approve') }, 'Approve'),
        h('button', { type: 'button', class: 'danger', onclick: () => (reason.value.trim() ? void complete('reject', { reason: reason.value.trim() }) : (reason.focus(), toast('Give a reason to reject', 'error'))) }, 'Reject'),
        h('button', { type: 'button', onclick: () => (reason.value.trim() ? void complete('changes', { reason: reason.value.trim() }) : (reason.focus(), toast('Say what should change', 'error'))) }, 'Request changes'),
      ),
    );
  }
  clear(
    el,
    h('div', { class: 'card' },
      h('h2', {}, t.elementName ?? t.elementId),
      h('p', { class: 'meta' }, `${t.bpmnProcessId} · `, h('a', { href: `#/instances/${t.processInstanceKey}` }, `instance ${t.processInstanceKey}`), ` · ${t.assignee ? `claimed by ${t.assignee}` : `open for ${t.candidateGroups.join(', ')}`}`),
      t.assignee !== me ? claim : null,
      h('dl', { class: 'facts' }, facts.filter(([, x]) => x !== undefined && x !== null && x !== '').flatMap(([k, x]) => [h('dt', {}, k), h('dd', {}, String(x))])),
    ),
    ctx.preview
      ? h('div', { class: 'card' }, h('h2', {}, 'The message as the customer will see it'), h('p', {}, h('strong', {}, 'Subject: '), h('span', { id: 'preview-subject' }, ctx.preview.subject)), h('iframe', { class: 'preview', title: 'Rendered communication', sandbox: '', srcdoc: ctx.preview.html }))
      : null,
    h('div', { class: 'card' }, h('h2', {}, 'Decision'), formBox, outcome),
    ctx.history?.length ? h('div', { class: 'card' }, h('h2', {}, 'History'), h('ol', { class: 'timeline' }, ctx.history.map((e) => h('li', {}, h('time', {}, when(e.at)), ` ${e.what}`)))) : null,
  );
}
