/**
 * Modeler: an analyst opens customer-communication; emptying the delivery timeout timer in the
 * Zeebe properties panel shows a lint error on the canvas at once, a fixed PT48H clears it; she
 * downloads the .bpmn, saves a draft and runs the process tests against it (they fail: the spec
 * sets its own timeout), and cannot deploy (no Deploy button); importing a .bpmn opens it unsaved.
 * An engineer (eric) cannot deploy a draft he authored himself (author-not-deployer); he deploys
 * ada's draft: the process tests block it, he deploys anyway with a reason, and sees version n+1.
 * Drafts are named by process, number and author, not by id; before deploying, eric compares
 * ada's draft with the deployed version and sees the changed timer marked on the canvas.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { seriousViolations } from './support/a11y.js';
import { browserProblems, launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

describe.skipIf(skipReason)('modeler (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  // the draft ada saves in the first test, deployed by eric in the second
  let draftUrl = '';
  beforeAll(async () => {
    server = await startUiServer({ processes: ['customer-communication.bpmn'] });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('analyst edits a timer with lint on the canvas, downloads, saves a draft and runs its process tests', async () => {
    const before = await server.db('engine_resources').where({ kind: 'process', resource_id: 'customer-communication' }).max('version as v').first();
    expect(Number(before!.v)).toBe(1);
    const ada = await signIn(browser, server.url, 'ada');
    await ada.goto(`${server.url}/#/modeler/customer-communication`);
    await ada.locator('[data-element-id="delivery-timed-out"]').waitFor();
    const lint = ada.locator('#lint-summary summary');
    await expect.poll(() => lint.textContent()).toMatch(/^Lint: 0 errors/);
    // the diagram opens at its start; find the timer as an analyst would, with the search (Ctrl+F)
    await ada.locator('#modeler-canvas').click({ position: { x: 400, y: 300 } });
    await ada.keyboard.press('Control+f');
    await ada.keyboard.type('No result in time');
    await ada.locator('.djs-search-container .djs-search-result').first().waitFor();
    await ada.keyboard.press('Enter');
    const timerGroup = ada.locator('[data-group-id="group-timer"]');
    if (!(await timerGroup.locator('.bio-properties-panel-group-entries.open').count())) await timerGroup.locator('.bio-properties-panel-group-header').click();
    const value = timerGroup.locator('[contenteditable="true"], input[type="text"], textarea').last();

    // an empty timer is an error on the canvas while she types, not at deploy time
    await value.click();
    await ada.keyboard.press('Control+A');
    await ada.keyboard.press('Delete');
    await ada.keyboard.press('Tab');
    await expect.poll(() => lint.textContent(), { timeout: 10_000 }).toMatch(/^Lint: [1-9]\d* errors?/);
    expect(await ada.locator('#lint-summary li.error').first().textContent()).toContain('delivery-timed-out');
    expect(await ada.locator('.bjsl-overlay .bjsl-icon-error, .bjsl-overlay.bjsl-issues-bottom-right .bjsl-icon-error').count()).toBeGreaterThan(0);
    await shot(ada, 'modeler-lint-error-on-canvas');

    await value.click();
    await ada.keyboard.press('Control+A');
    await ada.keyboard.type('PT48H');
    await ada.keyboard.press('Tab');
    await expect.poll(() => lint.textContent(), { timeout: 10_000 }).toMatch(/^Lint: 0 errors/);
    await expect.poll(() => ada.locator('#modeler-status').textContent()).toContain('unsaved changes');
    expect(await ada.locator('#deploy').count()).toBe(0);
    await shot(ada, 'modeler-timer-edited');

    const [download] = await Promise.all([ada.waitForEvent('download'), ada.getByRole('button', { name: 'Download .bpmn' }).click()]);
    expect(download.suggestedFilename()).toBe('customer-communication.bpmn');
    const downloaded = fs.readFileSync((await download.path())!, 'utf8');
    expect(downloaded).toContain('PT48H');
    expect(downloaded).toContain('xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"');

    await ada.locator('#save-draft').click();
    await expect.poll(() => ada.locator('#modeler-status').textContent()).toBe('customer-communication · draft 1 by ada');
    draftUrl = ada.url();
    expect(draftUrl).toMatch(/#\/modeler\/customer-communication\/draft\/[^/]+$/);
    await shot(ada, 'modeler-draft-saved');

    // the dry run: the spec's own deliveryTimeout no longer applies, so its timeout case fails; nothing is deployed
    await expect.poll(() => ada.locator('#dry-run').isEnabled()).toBe(true);
    await ada.locator('#dry-run').click();
    const report = ada.locator('#dry-run-report');
    await expect.poll(() => report.textContent(), { timeout: 40_000 }).toMatch(/Process tests: 1 of \d+ failed/);
    expect(await report.textContent()).toContain('no delivery result within the timeout goes to an agent');
    expect(await report.textContent()).toContain('nothing was deployed');
    await shot(ada, 'modeler-dry-run-report');

    // importing a .bpmn opens it as an unsaved new diagram
    await ada.locator('#import-file').setInputFiles(path.resolve('tests/ui/fixtures/ui-token-moves.bpmn'));
    await ada.locator('[data-element-id="review"]').waitFor();
    await expect.poll(() => ada.locator('#modeler-status').textContent()).toBe('ui-token-moves · new diagram · unsaved changes');
    expect(browserProblems).toEqual([]);
  }, 120_000);

  it("engineer cannot deploy his own draft; deploys the analyst's draft past failing tests with a reason", async () => {
    expect(draftUrl).not.toBe('');
    const eric = await signIn(browser, server.url, 'eric');

    // his own draft: refused before anything runs, with the rule named
    await eric.goto(`${server.url}/#/modeler/customer-communication`);
    await eric.locator('[data-element-id="delivery-timed-out"]').waitFor();
    await eric.locator('#save-draft').click();
    await expect.poll(() => eric.locator('#modeler-status').textContent()).toMatch(/draft \S+ by eric/);
    await expect.poll(() => eric.locator('#deploy').isEnabled()).toBe(true);
    await eric.locator('#deploy').click();
    const outcome = eric.locator('#deploy-outcome [role="alert"]');
    await expect.poll(() => outcome.textContent(), { timeout: 10_000 }).toContain('author-not-deployer');
    expect(await outcome.textContent()).toContain("a draft's author cannot deploy it");
    await shot(eric, 'modeler-author-refused');

    await eric.goto(draftUrl);
    await expect.poll(() => eric.locator('#modeler-status').textContent()).toBe('customer-communication · draft 1 by ada');
    await expect.poll(() => eric.locator('#version-history').textContent()).toMatch(/draft 1 by ada.*draft 2 by eric|draft 2 by eric.*draft 1 by ada/s);
    // the review: what ada's draft changes against the deployed version, on the canvas and in a list
    await expect.poll(() => eric.locator('#compare-deployed').isEnabled()).toBe(true);
    await eric.locator('#compare-deployed').click();
    await expect.poll(() => eric.locator('#diff-counts').textContent(), { timeout: 10_000 }).toMatch(/^[1-9]\d* changed/);
    expect(await eric.locator('#deployed-diff h2').textContent()).toBe('Compared with deployed version 1');
    expect(await eric.locator('#deployed-diff li.diff-changed[data-element="delivery-timed-out"]').count()).toBe(1);
    expect(await eric.locator('[data-element-id="delivery-timed-out"].diff-changed').count()).toBe(1);
    expect(await seriousViolations(eric, { exclude: ['.djs-container'] })).toEqual([]);
    await shot(eric, 'modeler-diff-against-deployed');
    await expect.poll(() => eric.locator('#deploy').isEnabled()).toBe(true);
    await eric.locator('#deploy').click();
    // a fixed PT48H ignores the deliveryTimeout variable the spec sets: its process test fails and blocks the deployment
    await expect.poll(() => outcome.textContent(), { timeout: 40_000 }).toContain('process tests failed');
    expect(await outcome.textContent()).toContain('no delivery result within the timeout goes to an agent');
    expect(await server.db('engine_resources').where({ kind: 'process', resource_id: 'customer-communication', version: 2 }).first()).toBeUndefined();
    await shot(eric, 'modeler-deploy-blocked-by-spec');
    await eric.locator('#override-reason').fill('Carrier SLA is now 48 hours; the spec is updated next.');
    await eric.locator('#deploy-override').click();
    // the deployment runs the process tests again first: on a loaded machine that takes a while
    await expect.poll(() => eric.locator('#modeler-status').textContent(), { timeout: 120_000 }).toContain('deployed version 2');
    await eric.getByRole('link', { name: 'version 2' }).waitFor();
    await shot(eric, 'modeler-deployed-v2');
    const latest = await server.db('engine_resources').where({ kind: 'process', resource_id: 'customer-communication', version: 2 }).first();
    expect(latest.content).toContain('PT48H');
    const audit = await server.db('audit_log').where({ action: 'draft.deploy' }).orderBy('id');
    expect(audit.map((r) => [r.actor, r.outcome, r.rule])).toEqual([
      ['eric', 'refused', 'author-not-deployer'],
      ['eric', 'refused', 'spec'],
      ['eric', 'allowed', null],
    ]);
    expect(browserProblems).toEqual([]);
  }, 240_000);
});
