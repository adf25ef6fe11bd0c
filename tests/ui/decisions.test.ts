/**
 * Decisions: an analyst (ada) opens customer-request-priority, changes the output of the rule
 * "1,000 or more is medium" to high and saves a draft (she has no Deploy button); an engineer
 * (eric) cannot deploy a draft of his own (author-not-deployer, in plain words), deploys ada's,
 * sees version 2 in the versions, and the engine decides with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { seriousViolations } from './support/a11y.js';
import { browserProblems, launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

const RULE6_OUTPUT = '[data-row-id="customer-request-priority-r6"][data-col-id="customer-request-priority-out0"]';
const payment = { category: 'payment-clarification', requestAmount: '2500.00', riskSegment: 'low', ageDays: 3 };

/** Replaces a decision table cell's text the way a person does: click, select all, type, leave. */
async function editCell(page: Page, cell: string, text: string): Promise<void> {
  const target = page.locator(cell);
  await target.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
  await page.locator('#decisions-status').click();
}

describe.skipIf(skipReason)('decisions (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  // the draft ada saves in the first test, deployed by eric in the second
  let draftUrl = '';
  beforeAll(async () => {
    server = await startUiServer({ processes: ['customer-request-classification.dmn', 'customer-request-priority.dmn'] });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('analyst opens the priority table, changes an output cell and saves a draft', async () => {
    expect((await server.engine.evaluateDecision({ decisionId: 'customer-request-priority', variables: payment })).output).toBe('medium');
    const ada = await signIn(browser, server.url, 'ada');
    await ada.getByRole('link', { name: 'Decisions' }).click();
    await expect.poll(() => ada.locator('#decision-picker option').allTextContents()).toEqual([
      '— choose a decision table —',
      'Customer request classification (customer-request-classification-definitions)',
      'Customer request priority and SLA (customer-request-priority-definitions)',
    ]);

    await ada.goto(`${server.url}/#/decisions/customer-request-priority`);
    await ada.locator(RULE6_OUTPUT).waitFor();
    expect(await ada.locator(RULE6_OUTPUT).textContent()).toBe('"medium"');
    expect(await ada.locator('#decisions-status').textContent()).toBe('customer-request-priority-definitions · deployed version 1');
    expect(await ada.locator('.decision-views a[aria-current="true"]').textContent()).toBe('Prioritise customer request');
    expect(await ada.locator('#deploy-decision').count()).toBe(0);
    // the file's other views: the requirements diagram, and back to the table
    await ada.getByRole('link', { name: 'Requirements diagram' }).click();
    await ada.locator('.dmn-drd-container [data-element-id="customer-request-sla"]').waitFor();
    await ada.getByRole('link', { name: 'Prioritise customer request' }).click();
    await ada.locator(RULE6_OUTPUT).waitFor();

    await editCell(ada, RULE6_OUTPUT, '"high"');
    await expect.poll(() => ada.locator('#decisions-status').textContent()).toContain('unsaved changes');
    expect(await ada.locator(RULE6_OUTPUT).textContent()).toBe('"high"');
    await ada.locator('#save-decision-draft').click();
    await expect.poll(() => ada.locator('#decisions-status').textContent()).toMatch(/^customer-request-priority-definitions · draft \S+ by ada$/);
    draftUrl = ada.url();
    expect(draftUrl).toMatch(/#\/decisions\/customer-request-priority-definitions\/draft\/[^/]+$/);
    // the saved draft reopens at the table she edited, with her change
    await ada.locator(RULE6_OUTPUT).waitFor();
    expect(await ada.locator(RULE6_OUTPUT).textContent()).toBe('"high"');
    await ada.locator('#decision-versions').getByText(/draft \S+/).first().waitFor();
    expect(await seriousViolations(ada)).toEqual([]);
    await shot(ada, 'decisions-draft-saved');

    const [draft] = await server.db('process_drafts').where({ kind: 'drg', author: 'ada' });
    expect(draft.xml).toMatch(/customer-request-priority-r6-o0">\s*<text>"high"<\/text>/);
    expect(browserProblems).toEqual([]);
  }, 60_000);

  it("engineer cannot deploy his own draft; deploys the analyst's and sees version 2", async () => {
    expect(draftUrl).not.toBe('');
    const eric = await signIn(browser, server.url, 'eric');

    // his own draft: refused, with the rule named and said in plain words
    await eric.goto(`${server.url}/#/decisions/customer-request-priority`);
    await eric.locator(RULE6_OUTPUT).waitFor();
    await editCell(eric, RULE6_OUTPUT, '"low"');
    await eric.locator('#save-decision-draft').click();
    await expect.poll(() => eric.locator('#decisions-status').textContent()).toMatch(/draft \S+ by eric$/);
    await expect.poll(() => eric.locator('#deploy-decision').isEnabled()).toBe(true);
    await eric.locator('#deploy-decision').click();
    const alert = eric.locator('#decision-outcome [role="alert"]');
    await expect.poll(() => alert.textContent()).toContain('author-not-deployer');
    expect(await alert.textContent()).toContain("a draft's author cannot deploy it");
    expect(await seriousViolations(eric)).toEqual([]);
    await shot(eric, 'decisions-author-refused');

    // ada's draft
    await eric.goto(draftUrl);
    await expect.poll(() => eric.locator('#decisions-status').textContent()).toMatch(/draft \S+ by ada$/);
    await expect.poll(() => eric.locator('#deploy-decision').isEnabled()).toBe(true);
    await eric.locator('#deploy-decision').click();
    await expect.poll(() => eric.locator('#decisions-status').textContent()).toBe('customer-request-priority-definitions · deployed version 2');
    expect(eric.url()).toMatch(/#\/decisions\/customer-request-priority-definitions\/v\/2$/);
    await eric.getByRole('link', { name: 'version 2' }).waitFor();
    expect(await eric.locator('#decision-versions li').first().textContent()).toMatch(/^version 2 deployed .* by eric \(open\)$/);
    expect(await eric.locator('#decision-versions').textContent()).toContain('→ deployed as version 2 by eric');
    expect(await eric.locator(RULE6_OUTPUT).textContent()).toBe('"high"');
    expect(await seriousViolations(eric)).toEqual([]);
    await shot(eric, 'decisions-deployed-v2');

    expect((await server.engine.evaluateDecision({ decisionId: 'customer-request-priority', variables: payment })).output).toBe('high');
    const audit = await server.db('audit_log').where({ action: 'decision-draft.deploy' }).orderBy('id');
    expect(audit.map((r) => [r.actor, r.outcome, r.rule])).toEqual([
      ['eric', 'refused', 'author-not-deployer'],
      ['eric', 'allowed', null],
    ]);
    expect(browserProblems).toEqual([]);
  }, 60_000);
});
