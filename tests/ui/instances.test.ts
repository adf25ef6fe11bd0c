/**
 * Instances: the instance view shows the token moving. Given an instance waiting at "Review",
 * when the task is completed, then the view (refreshing itself) shows the token at "Confirm"
 * and "Review" completed with its outgoing flow taken.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

describe.skipIf(skipReason)('instances screen (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startUiServer({ fixtures: ['ui-token-moves.bpmn'] });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the token moving from Review to Confirm', async () => {
    const ref = await server.engine.createInstance({ bpmnProcessId: 'ui-token-moves', variables: { customerId: 'C-ACME', amount: '19600.00' } });
    const page = await signIn(browser, server.url, 'eric');
    await page.goto(`${server.url}/#/instances`);
    await page.getByRole('link', { name: ref.processInstanceKey }).click();
    const token = page.locator('.token');
    await token.first().waitFor();
    expect(await token.getAttribute('data-element')).toBe('review');
    await expect.poll(() => page.locator('[data-element-id="start"].exec-completed').count()).toBe(1);
    await shot(page, 'instance-token-at-review');

    const task = (await server.engine.listUserTasks({ processInstanceKey: ref.processInstanceKey }))[0];
    await server.engine.completeUserTask(task.userTaskKey, {});
    await expect.poll(() => page.locator('.token').getAttribute('data-element'), { timeout: 10_000 }).toBe('confirm');
    expect(await page.locator('[data-element-id="review"].exec-completed').count()).toBe(1);
    expect(await page.locator('[data-element-id="f2"].exec-taken').count()).toBe(1);
    await expect.poll(() => page.locator('.active-at').textContent()).toContain('Confirm');
    await shot(page, 'instance-token-at-confirm');
  }, 90_000);
});
