/**
 * Modeler: an analyst opens customer-communication, changes the delivery timeout timer in the
 * Zeebe properties panel and saves a draft; the analyst cannot deploy (no Deploy button); an
 * engineer (eric) opens the draft and deploys it: the process tests fail against the fixed
 * timeout and block it, he deploys anyway with a reason, and sees version n+1 in the history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

describe.skipIf(skipReason)('modeler (browser)', () => {
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

  it('analyst edits a timer and saves a draft; engineer deploys version n+1', async () => {
    const before = await server.db('engine_resources').where({ kind: 'process', resource_id: 'customer-communication' }).max('version as v').first();
    expect(Number(before!.v)).toBe(1);
    const ada = await signIn(browser, server.url, 'ada');
    await ada.goto(`${server.url}/#/modeler/customer-communication`);
    await ada.locator('[data-element-id="delivery-timed-out"]').waitFor();
    await expect.poll(() => ada.locator('#lint-summary summary').textContent()).toMatch(/Lint:/);
    await ada.locator('[data-element-id="delivery-timed-out"]').click({ force: true });
    const timerGroup = ada.locator('[data-group-id="group-timer"]');
    if (!(await timerGroup.locator('.bio-properties-panel-group-entries.open').count())) await timerGroup.locator('.bio-properties-panel-group-header').click();
    const value = timerGroup.locator('[contenteditable="true"], input[type="text"], textarea').last();
    await value.click();
    await ada.keyboard.press('Control+A');
    await ada.keyboard.type('PT48H');
    await ada.keyboard.press('Tab');
    await expect.poll(() => ada.locator('#modeler-status').textContent()).toContain('unsaved changes');
    expect(await ada.locator('#deploy').count()).toBe(0);
    await shot(ada, 'modeler-timer-edited');
    await ada.locator('#save-draft').click();
    await expect.poll(() => ada.locator('#modeler-status').textContent()).toMatch(/draft \S+ by ada/);
    const draftUrl = ada.url();
    expect(draftUrl).toMatch(/#\/modeler\/customer-communication\/draft\/[^/]+$/);
    await shot(ada, 'modeler-draft-saved');

    const eric = await signIn(browser, server.url, 'eric');
    await eric.goto(draftUrl);
    await eric.locator('[data-element-id="delivery-timed-out"]').waitFor();
    await expect.poll(() => eric.locator('#deploy').isEnabled()).toBe(true);
    await eric.locator('#deploy').click();
    // a fixed PT48H ignores the deliveryTimeout variable the spec sets: its process test fails and blocks the deployment
    const blocked = eric.locator('#deploy-outcome [role="alert"]');
    await expect.poll(() => blocked.textContent(), { timeout: 30_000 }).toContain('process tests failed');
    expect(await blocked.textContent()).toContain('no delivery result within the timeout goes to an agent');
    expect(await server.db('engine_resources').where({ kind: 'process', resource_id: 'customer-communication', version: 2 }).first()).toBeUndefined();
    await shot(eric, 'modeler-deploy-blocked-by-spec');
    await eric.locator('#override-reason').fill('Carrier SLA is now 48 hours; the spec is updated next.');
    await eric.locator('#deploy-override').click();
    await expect.poll(() => eric.locator('#modeler-status').textContent(), { timeout: 30_000 }).toContain('deployed version 2');
    await eric.getByRole('link', { name: 'version 2' }).waitFor();
    await shot(eric, 'modeler-deployed-v2');
    const latest = await server.db('engine_resources').where({ kind: 'process', resource_id: 'customer-communication', version: 2 }).first();
    expect(latest.content).toContain('PT48H');
  }, 120_000);
});
