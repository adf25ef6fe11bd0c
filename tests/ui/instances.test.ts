/**
 * Instances: the instance view shows the token moving. Given an instance waiting at "Review",
 * when the task is completed through the tasklist, then the view (refreshing itself) shows the
 * token at "Confirm" and "Review" completed with its outgoing flow taken, and compliance sees the
 * task's audit entries on the instance. The list filters by customer and by incident; an engineer
 * retries an incident from its red element and cancels an instance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { seriousViolations } from './support/a11y.js';
import { browserProblems, launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

describe.skipIf(skipReason)('instances screen (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startUiServer({ fixtures: ['ui-token-moves.bpmn', 'ui-incident.bpmn', 'ui-call-parent.bpmn'] });
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
    // the history names each element and gives real start and end times: the start event has both, Review has no end yet
    const startRow = page.locator('#instance-history tr[data-element="start"] td');
    await expect.poll(() => startRow.allTextContents()).toEqual([expect.any(String), 'start event', expect.stringMatching(/\d/), expect.stringMatching(/\d/), 'completed']);
    expect((await startRow.allTextContents())[0]).toBe('Start');
    expect(await page.locator('#instance-history tr[data-element="review"] td').allTextContents()).toEqual(['Review', 'user task', expect.stringMatching(/\d/), '—', 'active']);
    // the whole diagram is in view: every shape lies inside the canvas
    const box = (await page.locator('#instance-diagram').boundingBox())!;
    for (const id of ['start', 'review', 'confirm']) {
      const shape = (await page.locator(`#instance-diagram [data-element-id="${id}"]`).boundingBox())!;
      expect(shape.x >= box.x && shape.y >= box.y && shape.x + shape.width <= box.x + box.width && shape.y + shape.height <= box.y + box.height).toBe(true);
    }
    expect(await seriousViolations(page)).toEqual([]);
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

  it('says when a message of the instance waits for its recipient quiet hours, until when in their zone', async () => {
    // an instance of no customer the filter test below counts (its message is Northwind's)
    const ref = await server.engine.createInstance({ bpmnProcessId: 'ui-token-moves', variables: { customerId: 'C-QUIET-HOURS' } });
    const until = new Date(Date.now() + 6 * 3_600_000);
    await server.db('communications').insert({ id: `ui-qh-${ref.processInstanceKey}`, customer_id: 'C-NORTHWIND', template_id: 'payment-reminder', channel: 'sms', kind: 'dunning', status: 'queued', process_instance_key: ref.processInstanceKey, data: '{}' });
    await server.db('deliveries').insert({ communication_id: `ui-qh-${ref.processInstanceKey}`, channel: 'sms', state: 'queued' });
    await server.db('tracking_events').insert({ communication_id: `ui-qh-${ref.processInstanceKey}`, kind: 'deferred', at: new Date(), meta: JSON.stringify({ until: until.toISOString(), timeZone: 'Australia/Sydney', reason: 'quiet hours' }), provider_event_id: 'deferred' });
    const page = await signIn(browser, server.url, 'eric');
    await page.goto(`${server.url}/#/instances/${ref.processInstanceKey}`);
    const line = page.locator('#instance-quiet-hours .quiet-hours');
    await line.first().waitFor();
    expect(await line.textContent()).toMatch(new RegExp(`^ui-qh-${ref.processInstanceKey} \\(sms\\): waiting for quiet hours until \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}, Australia/Sydney$`));
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
    // the filters are in the URL: a reload shows the same list
    expect(page.url()).toContain('#/instances?incident=true');
    await page.reload();
    await expect.poll(() => rowKeys(page)).toEqual([failing.processInstanceKey]);
    expect(await page.getByLabel('with incident').isChecked()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
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
    // instance modification: the token waiting at Review is moved to Confirm (audited)
    await page.locator('.token[data-element="review"]').waitFor();
    await expect.poll(() => page.locator('#move-from option').allTextContents()).toEqual([expect.stringMatching(/^Review \(/)]);
    await page.locator('#move-to').selectOption({ label: 'Confirm' });
    await page.getByRole('button', { name: 'Move token' }).click();
    await expect.poll(() => page.locator('.token').getAttribute('data-element'), { timeout: 15_000 }).toBe('confirm');
    expect((await server.engine.getInstance(acme.processInstanceKey))?.elements.filter((e) => e.state === 'ACTIVATED').map((e) => e.elementId)).toContain('confirm');
    expect(await server.db('audit_log').where({ action: 'instance.modify', subject_id: acme.processInstanceKey, outcome: 'allowed' })).toHaveLength(1);
    await shot(page, 'instance-token-moved');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel instance' }).click();
    await expect.poll(() => page.locator('[data-state]').getAttribute('data-state'), { timeout: 10_000 }).toBe('TERMINATED');
    expect((await server.engine.getInstance(acme.processInstanceKey))?.state).toBe('TERMINATED');
    await shot(page, 'instance-cancelled');
    expect(browserProblems).toEqual([]);
  }, 60_000);
  it('shows a called instance\'s incident on its parent; an operator corrects a variable and retries; incidents are bulk-retried across instances', async () => {
    const parent = await server.engine.createInstance({ bpmnProcessId: 'ui-call-parent', variables: { customerId: 'C-ACME', amount: '1200.00' } });
    await expect.poll(async () => (await server.engine.listInstances({ parentProcessInstanceKey: parent.processInstanceKey })).length, { timeout: 15_000 }).toBe(1);
    const [child] = await server.engine.listInstances({ parentProcessInstanceKey: parent.processInstanceKey });
    const [job] = await server.engine.activateJobs({ type: 'ui-incident-book', worker: 'ui-test', maxJobsToActivate: 1, timeout: 60_000 });
    expect(job.processInstanceKey).toBe(child.processInstanceKey);
    await server.engine.failJob(job.key, { retries: 0, errorMessage: 'amount 1200.00 exceeds the mandate' });

    // the parent shows the child's incident on the call activity and links to the child
    const eric = await signIn(browser, server.url, 'eric');
    await eric.goto(`${server.url}/#/instances/${parent.processInstanceKey}`);
    await eric.locator('[data-element-id="call-booking"].exec-incident').waitFor({ timeout: 15_000 });
    await expect.poll(() => eric.locator('#instance-incidents .child-incidents').textContent()).toContain('amount 1200.00 exceeds the mandate');
    expect(await eric.locator('#called-instances').textContent()).toContain(child.processInstanceKey);
    expect(await seriousViolations(eric)).toEqual([]);
    await shot(eric, 'instance-parent-shows-child-incident');
    await eric.locator('#instance-incidents').getByRole('link', { name: new RegExp(child.processInstanceKey) }).click();
    await eric.locator('#parent-link').waitFor();
    expect(await eric.locator('#parent-link').getAttribute('href')).toBe(`#/instances/${parent.processInstanceKey}`);
    await eric.locator('[data-element-id="book"].exec-incident').waitFor();

    // the operator corrects the amount, then retries: the job runs again with the corrected value
    await eric.getByRole('button', { name: 'Edit amount' }).click();
    expect(await eric.getByLabel('Value (JSON)').inputValue()).toBe('"1200.00"');
    await eric.getByLabel('Value (JSON)').fill('"950.00"');
    await eric.getByLabel('Reason (audited)').fill('customer confirmed the reduced amount');
    await eric.getByRole('button', { name: 'Save variable' }).click();
    await expect.poll(async () => (await server.engine.getInstance(child.processInstanceKey))?.variables.amount, { timeout: 15_000 }).toBe('950.00');
    await expect.poll(() => eric.locator('#instance-variables').textContent()).toContain('950.00');
    expect(await seriousViolations(eric)).toEqual([]);
    await shot(eric, 'instance-variable-edited');
    await eric.getByRole('button', { name: 'Retry Book payment' }).click();
    await expect.poll(async () => (await server.engine.listIncidents({ state: 'ACTIVE', processInstanceKey: child.processInstanceKey })).length, { timeout: 15_000 }).toBe(0);
    const [again] = await server.engine.activateJobs({ type: 'ui-incident-book', worker: 'ui-test', maxJobsToActivate: 1, timeout: 60_000 });
    expect(again.variables.amount).toBe('950.00');
    await server.engine.completeJob(again.key, {});
    await expect.poll(async () => (await server.engine.getInstance(parent.processInstanceKey))?.state, { timeout: 15_000 }).toBe('COMPLETED');
    await expect.poll(() => eric.locator('[data-state]').getAttribute('data-state'), { timeout: 15_000 }).toBe('COMPLETED');
    await shot(eric, 'instance-child-completed-after-retry');

    // compliance reads the trail: the variable change (names and reason, not values) and the retry, by eric
    const edits = await server.db('audit_log').where({ action: 'instance.variables', subject_id: child.processInstanceKey });
    expect(edits).toHaveLength(1);
    expect(edits[0].actor).toBe('eric');
    const carl = await signIn(browser, server.url, 'carl');
    await carl.goto(`${server.url}/#/instances/${child.processInstanceKey}`);
    const trail = carl.locator('#instance-audit tbody tr');
    await expect.poll(async () => (await trail.allTextContents()).join(' | '), { timeout: 15_000 }).toMatch(/eric.*instance\.variables \(amount\) — customer confirmed the reduced amount.*allowed.*\|.*eric.*incident\.resolve.*allowed/);
    expect(await carl.locator('#variable-editor').count()).toBe(0);
    expect(await seriousViolations(carl)).toEqual([]);
    await shot(carl, 'instance-trail-for-compliance');

    // two more failures, bulk-retried from the incidents view across instances
    const failing = [await server.engine.createInstance({ bpmnProcessId: 'ui-incident', variables: { amount: '10.00' } }), await server.engine.createInstance({ bpmnProcessId: 'ui-incident', variables: { amount: '20.00' } })];
    const jobs = await server.engine.activateJobs({ type: 'ui-incident-book', worker: 'ui-test', maxJobsToActivate: 5, timeout: 60_000 });
    for (const j of jobs) await server.engine.failJob(j.key, { retries: 0, errorMessage: `gateway timeout for ${j.processInstanceKey}` });
    const keysOf = async () => (await server.engine.listIncidents({ state: 'ACTIVE' })).filter((i) => failing.some((f) => f.processInstanceKey === i.processInstanceKey));
    await expect.poll(async () => (await keysOf()).length, { timeout: 15_000 }).toBe(2);
    await eric.goto(`${server.url}/#/instances/incidents?process=ui-incident&message=gateway`);
    const rows = eric.locator('#incident-results tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    expect(await eric.getByLabel('Process').inputValue()).toBe('ui-incident');
    expect(await rows.first().textContent()).toContain('Book payment');
    await eric.getByLabel('Select every incident shown').check();
    expect(await eric.locator('#bulk-retry').textContent()).toBe('Retry selected (2)');
    expect(await seriousViolations(eric)).toEqual([]);
    await shot(eric, 'incidents-selected-for-bulk-retry');
    await eric.locator('#bulk-retry').click();
    await expect.poll(() => eric.locator('#bulk-outcome').textContent(), { timeout: 15_000 }).toContain('Retried 2 of 2');
    expect(await keysOf()).toEqual([]);
    await expect.poll(() => rows.count()).toBe(0);
    expect(eric.url()).toContain('process=ui-incident');
    await shot(eric, 'incidents-bulk-retried');
    expect(browserProblems).toEqual([]);
  }, 120_000);
});
