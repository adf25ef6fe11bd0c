/**
 * Refusals in plain words: what was refused, the rule by name (segregation of duties or a role),
 * what the rule means, and the server's reason, in an alert so screen readers announce it.
 */
import { ApiProblem } from './api.js';
import { explain, h } from './dom.js';

/** Each segregation-of-duties rule in the words of the people it stops. */
export const RULES: Record<string, string> = {
  'maker-checker': 'whoever initiated an item cannot approve it',
  'distinct-approvers': 'each approval level needs a different person',
  'four-eyes': 'this amount needs two different approvers',
  'candidate-group': 'the task belongs to a group you are not in',
  'proposer-not-approver': 'whoever proposed an adjustment cannot approve it',
  'author-not-deployer': "a draft's author cannot deploy it",
  'author-not-approver': "a template's author cannot approve it",
  'requester-not-resolver': 'whoever raised a request cannot work on it',
  'assignee-or-lead': "only the task's assignee or a lead of its groups changes its dates and priority",
  role: 'your role does not allow this',
};

/** A refusal as a person reads it: what was refused, the rule by name, and the server's reason. */
export function refusal(err: unknown): HTMLElement {
  if (err instanceof ApiProblem && err.status === 403) {
    const rule = err.rule;
    const sod = rule && rule !== 'role' && rule !== 'assignee';
    return h(
      'div',
      { class: 'refusal', role: 'alert' },
      h('strong', {}, `Not allowed${rule ? ` — rule “${rule}”` : ''}`),
      rule && RULES[rule] ? h('p', {}, `${sod ? 'Segregation of duties: ' : ''}${RULES[rule]}.`) : null,
      h('p', { class: 'reason' }, capitalise(err.title.replace(/^segregation of duties: /, ''))),
    );
  }
  return h('div', { class: 'refusal', role: 'alert' }, explain(err));
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.');
