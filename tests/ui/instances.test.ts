/**
 * Instances: the instance view shows the token moving. Given an instance waiting at "Review",
 * when the task is completed through the tasklist, then the view (refreshing itself) shows the
 * token at "Confirm" and "Review" completed with its outgoing flow taken, and compliance sees the
 * task's audit entries on the instance. The list filters by customer and by incident; an engineer
 * retries an incident from its red element and cancels an instance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { browserProblems, launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

describe.skipIf(skipReason)('instances screen (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startUiServer({ fixtures: ['ui-token-moves.bpmn', 'ui-incident.bpmn'] });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const rowKeys = (page: Page) => page.locator('.results tbody tr td:first-child a').allTextContents();

  it('shows the token moving from Review to Confirm, and the audit entries of its task', async () => {
    const ref = await server.engine.createInstance({ bpmnProcessId: 'ui-token-moves', variables: { customerId: 'C-ACME', amount: '19600.00' } });
    const page = await signIn(browser, server.url, 'eric');
    await page.goto(`${server.url}/#/instances`);
    await page.getByRole('link', { name: ref.processInstanceKey }).click();
    const token = page.locator('.token');
    await token.first().waitFor();
    expect(await token.getAttribute('data-element')).toBe('review');
    await expect.poll(() => page.locator('[data-element-id="start"].exec-completed').count()).toBe(1);
    await shot(page, 'instance-token-at-review');

    // alice works the task through the tasklist API with her session: claimed and completed, both audited
    const alice = await signIn(browser, server.url, 'alice');
    await expect.poll(async () => (await server.db('tasks').where({ process_instance_key: ref.processInstanceKey, element_id: 'review', state: 'CREATED' })).length, { timeout: 15_000 }).toBe(1);
    const task = await server.db('tasks').where({ process_instance_key: ref.processInstanceKey, element_id: 'review' }).first();
    expect((await alice.request.post(`${server.url}/api/tasks/${task.key}/claim`, { data: {} })).status()).toBe(200);
    expect((await alice.request.post(`${server.url}/api/tasks/${task.key}/completion`, { data: { variables: {} } })).status()).toBe(200);
    await expect.poll(() => page.locator('.token').getAttribute('data-element'), { timeout: 10_000 }).toBe('confirm');
    expect(await page.locator('[data-element-id="review"].exec-completed').count()).toBe(1);
    expect(await page.locator('[data-element-id="f2"].exec-taken').count()).toBe(1);
    await expect.poll(() => page.locator('.active-at').textContent()).toContain('Confirm');
    await shot(page, 'instance-token-at-confirm');

    const carl = await signIn(browser, server.url, 'carl');
    await carl.goto(`${server.url}/#/instances/${ref.processInstanceKey}`);
    const audit = carl.locator('#instance-audit tbody tr');
    await expect.poll(() => audit.count()).toBe(2);
    expect((await audit.allTextContents()).join(' | ')).toMatch(/alice.*task\.claim.*allowed.*\|.*alice.*task\.complete.*allowed/);
    // compliance looks, it does not operate
    expect(await carl.getByRole('button', { name: 'Cancel instance' }).count()).toBe(0);
    await shot(carl, 'instance-audit-for-compliance');
    expect(browserProblems).toEqual([]);
  }, 60_000);

  it('filters by customer and incident, retries an incident, cancels an instance', async () => {
    const acme = await server.engine.createInstance({ bpmnProcessId: 'ui-token-moves', variables: { customerId: 'C-ACME' } });
    const northwind = await server.engine.createInstance({ bpmnProcessId: 'ui-token-moves', variables: { customerId: 'C-NORTHWIND' } });
    const failing = await server.engine.createInstance({ bpmnProcessId: 'ui-incident', variables: { customerId: 'C-ACME', amount: '120.00' } });
    const [job] = await server.engine.activateJobs({ type: 'ui-incident-book', worker: 'ui-test', maxJobsToActivate: 1, timeout: 60_000 });
    await server.engine.failJob(job.key, { retries: 0, errorMessage: 'payment gateway answered 503' });
    await expect.poll(async () => (await server.engine.listIncidents({ state: 'ACTIVE' })).length).toBe(1);

    const page = await signIn(browser, server.url, 'eric');
    await page.goto(`${server.url}/#/instances`);
    await page.getByLabel('Customer').fill('C-NORTHWIND');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rowKeys(page)).toEqual([northwind.processInstanceKey]);
    await page.getByLabel('Customer').fill('C-ACME');
    await page.getByLabel('Process').fill('ui-token-moves');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rowKeys(page)).toContain(acme.processInstanceKey);
    expect(await rowKeys(page)).not.toContain(northwind.processInstanceKey);
    expect(await rowKeys(page)).not.toContain(failing.processInstanceKey);
    await page.getByLabel('Customer').fill('');
    await page.getByLabel('Process').fill('');
    await page.getByLabel('with incident').check();
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rowKeys(page)).toEqual([failing.processInstanceKey]);
    await shot(page, 'instances-filtered-by-incident');

    await page.getByRole('link', { name: failing.processInstanceKey }).click();
    await page.locator('[data-element-id="book"].exec-incident').waitFor();
    expect(await page.locator('.incidents').textContent()).toContain('payment gateway answered 503');
    await shot(page, 'instance-incident');
    await page.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(async () => (await server.engine.listIncidents({ state: 'ACTIVE' })).length, { timeout: 10_000 }).toBe(0);
    await expect.poll(() => page.locator('.incidents table').count()).toBe(0);
    // the job is back: this time the worker books it and the instance completes
    const [again] = await server.engine.activateJobs({ type: 'ui-incident-book', worker: 'ui-test', maxJobsToActivate: 1, timeout: 60_000 });
    expect(again?.processInstanceKey).toBe(failing.processInstanceKey);
    await server.engine.completeJob(again.key, {});
    await expect.poll(() => page.locator('[data-state]').getAttribute('data-state'), { timeout: 10_000 }).toBe('COMPLETED');

    await page.goto(`${server.url}/#/instances/${acme.processInstanceKey}`);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel instance' }).click();
    await expect.poll(() => page.locator('[data-state]').getAttribute('data-state'), { timeout: 10_000 }).toBe('TERMINATED');
    expect((await server.engine.getInstance(acme.processInstanceKey))?.state).toBe('TERMINATED');
    await shot(page, 'instance-cancelled');
    expect(browserProblems).toEqual([]);
  }, 60_000);
});
