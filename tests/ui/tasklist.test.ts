/**
 * Tasklist: given a $19,600 invoice notice initiated by ivan waiting for a level-1 approval,
 * when ivan (also an approver) tries to approve it, then he is refused with the rule named;
 * when alice opens the task, she sees the rendered preview and approves, and the task is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

describe.skipIf(skipReason)('tasklist (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startUiServer({ processes: ['customer-communication.bpmn'] });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the preview, refuses the initiator with the rule named, lets another approver approve', async () => {
    const { engine } = server;
    const ref = await engine.createInstance({
      bpmnProcessId: 'customer-communication',
      variables: { communicationId: 'ui-c-1', customerId: 'C-ACME', invoiceId: 'INV-2026-0142', templateId: 'invoice-notice', channel: 'email', kind: 'transactional', amount: '19600.00', currency: 'USD', initiatedBy: 'ivan' },
    });
    const [job] = await engine.activateJobs({ type: 'validate-customer-data', worker: 'ui-test', maxJobsToActivate: 1, timeout: 60_000 });
    await engine.completeJob(job.key, { approvalLevels: 1 });
    await expect.poll(async () => (await engine.listUserTasks({ processInstanceKey: ref.processInstanceKey })).length).toBe(1);
    const [task] = await engine.listUserTasks({ processInstanceKey: ref.processInstanceKey });

    const ivan = await signIn(browser, server.url, 'ivan');
    await ivan.goto(`${server.url}/#/tasks/groups/${task.userTaskKey}`);
    await ivan.getByRole('button', { name: 'Approve', exact: true }).click();
    const refusal = ivan.getByRole('alert');
    await expect.poll(() => refusal.textContent()).toContain('maker-checker');
    expect(await refusal.textContent()).toContain('cannot approve');
    await shot(ivan, 'tasklist-initiator-refused');

    const alice = await signIn(browser, server.url, 'alice');
    await alice.getByRole('link', { name: /Approve communication/ }).click();
    await alice.locator('#preview-subject').waitFor();
    expect(await alice.locator('#preview-subject').textContent()).toMatch(/INV-2026-0142|invoice/i);
    const body = await alice.frameLocator('iframe.preview').locator('body').textContent();
    expect(body).toContain('19,600.00');
    await shot(alice, 'tasklist-approver-preview');
    await alice.getByRole('button', { name: 'Approve', exact: true }).click();
    await alice.getByText('Approved. The process continues.').waitFor();
    await shot(alice, 'tasklist-approved');
    await expect.poll(async () => (await engine.listUserTasks({ processInstanceKey: ref.processInstanceKey })).length).toBe(0);
  }, 90_000);
});
