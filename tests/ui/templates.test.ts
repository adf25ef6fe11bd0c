/**
 * Templates: an analyst opens invoice-notice, edits the MJML and sees the live preview change
 * against the sample data, saves version 2 and submits it; approving her own version is refused
 * with the rule named; an approver approves it, and version 2 is the one in use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { seriousViolations } from './support/a11y.js';
import { browserProblems, launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

describe.skipIf(skipReason)('templates (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startUiServer();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('edits with live preview, saves and submits a version, refuses its author, lets an approver approve', async () => {
    const ada = await signIn(browser, server.url, 'ada');
    await ada.goto(`${server.url}/#/templates`);
    await ada.getByRole('link', { name: /invoice-notice/ }).click();
    const preview = ada.frameLocator('iframe.preview');
    await expect.poll(() => ada.locator('#preview-subject').textContent()).not.toBe('');
    const before = await preview.locator('body').textContent();

    // the MJML is in CodeMirror, highlighted: tags, attributes and placeholders are styled spans
    const mjml = ada.locator('#template-mjml .cm-content');
    await mjml.waitFor();
    expect(await ada.locator('#template-mjml .cm-line span[class]').count()).toBeGreaterThan(10);
    const source = (await server.db('template_versions').where({ template_id: 'invoice-notice', version: 1, locale: 'en' }).first()).mjml as string;
    expect(source).toContain('<mjml');
    const edited = source.replace('<p>Dear ', '<p>Please note our new bank details.</p><p>Dear ');
    expect(edited).not.toBe(source);
    await mjml.fill(edited);
    await expect.poll(() => preview.locator('body').textContent(), { timeout: 10_000 }).toContain('Please note our new bank details.');
    expect(before).not.toContain('Please note our new bank details.');
    expect(await seriousViolations(ada, { exclude: ['iframe.preview'] })).toEqual([]);
    await shot(ada, 'templates-live-preview');

    // the live preview on a chosen real customer: their name and invoice, as production fills them
    await ada.getByLabel('Preview for').selectOption('C-NORTHWIND');
    await expect.poll(() => preview.locator('body').textContent(), { timeout: 10_000 }).toContain('Northwind Traders GmbH');
    expect(await preview.locator('body').textContent()).toContain('Please note our new bank details.');
    await shot(ada, 'templates-preview-on-customer');
    await ada.getByLabel('Preview for').selectOption('');

    // a placeholder the sample data lacks is named, not rendered blank
    await mjml.fill(edited.replace('Please note our new bank details.', 'Ref {{nothing.here}}.'));
    await expect.poll(() => ada.locator('#preview-problem').textContent(), { timeout: 10_000 }).toContain('nothing.here');
    await mjml.fill(edited);
    await expect.poll(() => ada.locator('#preview-problem').textContent(), { timeout: 10_000 }).toBe('');

    await ada.locator('#save-version').click();
    await expect.poll(() => ada.locator('#template-status').textContent()).toMatch(/v2 .* draft · by ada/);
    // the version diff: v2 against v1 shows the added paragraph and nothing else
    await ada.getByLabel('Compare the editor with').selectOption('1');
    await expect.poll(() => ada.locator('#diff-summary').textContent()).toMatch(/^Since v1: [1-9]\d* lines? added, \d+ removed$/);
    expect(await ada.locator('#template-diff ins').textContent()).toContain('Please note our new bank details.');
    expect(await seriousViolations(ada, { exclude: ['iframe.preview'] })).toEqual([]);
    await shot(ada, 'templates-version-diff');
    await ada.getByRole('button', { name: 'Submit v2 for approval' }).click();
    await expect.poll(() => ada.locator('#template-versions [data-version="2"][data-locale="en"]').textContent()).toBe('submitted');

    await ada.getByRole('button', { name: 'Approve v2' }).click();
    const refusal = ada.locator('#template-outcome [role="alert"]');
    await expect.poll(() => refusal.textContent()).toContain('author-not-approver');
    expect(await refusal.textContent()).toContain("a template's author cannot approve it");
    await shot(ada, 'templates-author-refused');

    const alice = await signIn(browser, server.url, 'alice');
    await alice.goto(`${server.url}/#/templates/invoice-notice`);
    await alice.getByRole('button', { name: 'Approve v2' }).click();
    await expect.poll(() => alice.locator('#template-versions [data-version="2"][data-locale="en"]').textContent()).toBe('approved');
    await shot(alice, 'templates-approved');

    const v2 = await server.db('template_versions').where({ template_id: 'invoice-notice', version: 2 }).first();
    expect([v2.status, v2.author, v2.approved_by]).toEqual(['approved', 'ada', 'alice']);
    expect(v2.mjml).toContain('Please note our new bank details.');
    expect(browserProblems).toEqual([]);
  }, 90_000);
});
