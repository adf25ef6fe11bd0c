/**
 * Tasklist: given a $19,600 invoice notice initiated by bob that policy sends through two
 * approval levels, when alice (level 1) opens the task from her groups' tasks she sees the
 * rendered preview, claims it (it moves to her tasks), is asked for a reason when she rejects
 * without one (the decision form is form-js), and approves;
 * when bob, the initiator and a level-2 approver, then tries to approve the second level, he is
 * refused with the maker-checker rule named, the refusal is audited and the task stays open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { seriousViolations } from './support/a11y.js';
import { browserProblems, launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

describe.skipIf(skipReason)('tasklist (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startUiServer({ processes: ['customer-communication.bpmn'] });
    browser = await launch();
    // a loaded machine migrates PGlite and starts the server slowly (the request workspace's test waits as long)
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const openTask = async (processInstanceKey: string, elementId: string) => {
    await expect.poll(async () => (await server.db('tasks').where({ process_instance_key: processInstanceKey, element_id: elementId, state: 'CREATED' })).length, { timeout: 15_000 }).toBe(1);
    return (await server.db('tasks').where({ process_instance_key: processInstanceKey, element_id: elementId, state: 'CREATED' }).first()).key as string;
  };

  it('shows the preview, lets alice approve, refuses the initiator with the rule named', async () => {
    const { engine } = server;
    const ref = await engine.createInstance({
      bpmnProcessId: 'customer-communication',
      variables: { communicationId: 'ui-c-1', customerId: 'C-ACME', invoiceId: 'INV-2026-0142', templateId: 'invoice-notice', channel: 'email', kind: 'transactional', amount: '19600.00', currency: 'USD', initiatedBy: 'bob' },
    });
    const [job] = await engine.activateJobs({ type: 'validate-customer-data', worker: 'ui-test', maxJobsToActivate: 1, timeout: 60_000 });
    await engine.completeJob(job.key, { approvalLevels: 2 });
    await openTask(ref.processInstanceKey, 'approve-level-1');

    const alice = await signIn(browser, server.url, 'alice');
    // the list sorts (the sort is kept in the URL) and shows the task's own amount in the customer's format
    await alice.locator('#tl-sort').selectOption('due');
    await expect.poll(() => alice.url()).toContain('sort=due');
    await alice.locator('#tl-assignee').selectOption('none');
    await expect.poll(() => alice.locator('.tasks').textContent()).toContain('Amount: $19,600.00');
    expect(await alice.locator('.tasks').textContent()).not.toContain('19600.00');
    expect(await seriousViolations(alice), 'tasklist').toEqual([]);
    // keyboard only: the task's link, Enter
    await alice.getByRole('link', { name: /Approve communication/ }).focus();
    await alice.keyboard.press('Enter');
    await alice.locator('#preview-subject').waitFor();
    expect(await alice.locator('#preview-subject').textContent()).toMatch(/INV-2026-0142|invoice/i);
    const body = await alice.frameLocator('iframe.preview').locator('body').textContent();
    expect(body).toContain('19,600.00');
    expect(await alice.locator('.facts').textContent()).toContain('Acme');
    await shot(alice, 'tasklist-approver-preview');

    // claim: the task moves from her groups' tasks to her own
    await alice.getByRole('button', { name: 'Claim' }).click();
    await expect.poll(() => alice.url()).toContain('#/tasks/mine/');
    await expect.poll(() => alice.locator('.tasks').textContent()).toContain('claimed by alice');
    expect((await server.db('tasks').where({ process_instance_key: ref.processInstanceKey, element_id: 'approve-level-1' }).first()).assignee).toBe('alice');
    // unclaim is in sight once the task is hers; the sort survived opening and claiming the task
    await alice.locator('#tl-unclaim').waitFor();
    expect(alice.url()).toContain('sort=due');
    expect(await seriousViolations(alice), 'task view').toEqual([]);

    // the assignee reschedules (#18): a follow-up after the due date is refused naming the field; then dates and priority are saved, in the tasklist and on the engine's task
    const level1 = (await server.db('tasks').where({ process_instance_key: ref.processInstanceKey, element_id: 'approve-level-1' }).first()).key as string;
    await alice.getByLabel('Due date', { exact: true }).fill('2026-12-18T17:00');
    await alice.getByLabel('Follow-up date', { exact: true }).fill('2026-12-19T09:00');
    await alice.getByRole('button', { name: 'Save schedule' }).click();
    await expect.poll(() => alice.locator('.schedule [role="alert"]').textContent()).toContain('after the due date');
    await alice.getByLabel('Follow-up date', { exact: true }).fill('2026-12-16T09:00');
    await alice.getByLabel('Priority (0-100)', { exact: true }).fill('80');
    await alice.getByRole('button', { name: 'Save schedule' }).click();
    const [due, followUp] = await alice.evaluate(() => [new Date('2026-12-18T17:00').toISOString(), new Date('2026-12-16T09:00').toISOString()]);
    await expect.poll(async () => (await server.engine.listUserTasks({ processInstanceKey: ref.processInstanceKey })).find((x) => x.userTaskKey === level1)?.dueDate).toBe(due);
    expect((await server.engine.listUserTasks({ processInstanceKey: ref.processInstanceKey })).find((x) => x.userTaskKey === level1)).toMatchObject({ followUpDate: followUp, priority: 80 });
    expect(await server.db('tasks').where({ key: level1 }).first()).toMatchObject({ priority: 80 });
    await expect.poll(() => alice.locator('.facts').textContent()).toContain('Priority80');
    expect(await alice.locator(`.tasks [data-task="${level1}"] .tl-dates`).textContent()).toContain('Priority 80');
    expect(await alice.getByLabel('Due date', { exact: true }).inputValue()).toBe('2026-12-18T17:00');
    expect(await seriousViolations(alice), 'task view with its schedule').toEqual([]);
    await shot(alice, 'tasklist-rescheduled');

    // the decision form is rendered by form-js; rejecting needs a reason
    await alice.locator('.decision .fjs-form textarea').waitFor();
    await alice.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => alice.locator('.outcome [role="alert"]').textContent()).toContain('Give a reason to reject');
    expect((await server.db('tasks').where({ process_instance_key: ref.processInstanceKey, element_id: 'approve-level-1' }).first()).state).toBe('CREATED');
    // a comment on the task is kept with it, under her name
    await alice.getByLabel('Comment', { exact: true }).fill('Checked the amount against the invoice.');
    await alice.getByRole('button', { name: 'Add comment' }).click();
    await expect.poll(() => alice.locator('.task-comments').textContent()).toContain('Checked the amount against the invoice.');
    const task = await server.db('tasks').where({ process_instance_key: ref.processInstanceKey, element_id: 'approve-level-1' }).first();
    expect(await server.db('task_comments').where({ task_key: task.key })).toMatchObject([{ author: 'alice', body: 'Checked the amount against the invoice.' }]);
    await alice.getByRole('button', { name: 'Approve', exact: true }).click();
    await alice.getByText('Approved. The process continues.').waitFor();
    await shot(alice, 'tasklist-approved');

    const second = await openTask(ref.processInstanceKey, 'approve-level-2');
    const bob = await signIn(browser, server.url, 'bob');
    await bob.goto(`${server.url}/#/tasks/groups/${second}`);
    await bob.locator('#preview-subject').waitFor();
    await bob.getByRole('button', { name: 'Approve', exact: true }).click();
    const refusal = bob.getByRole('alert');
    await expect.poll(() => refusal.textContent()).toContain('maker-checker');
    expect(await refusal.textContent()).toContain('cannot approve');
    expect(await refusal.textContent()).toContain('whoever initiated an item cannot approve it');
    await shot(bob, 'tasklist-initiator-refused');

    const refused = await server.db('audit_log').where({ subject_type: 'task', subject_id: second, outcome: 'refused' });
    expect(refused.map((r) => [r.actor, r.rule])).toEqual([['bob', 'maker-checker']]);
    expect((await server.db('tasks').where({ key: second }).first()).state).toBe('CREATED');
    expect(browserProblems).toEqual([]);
  }, 90_000);
});
