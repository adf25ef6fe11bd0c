/**
 * Attachments in the browser (#18): Acme raises a request in the portal with a file picked in
 * the form, replies with another, and sees both as download links on the request's page; sam
 * (agent) sees them on the request's page in the workspace, and the link answers the file's
 * bytes. No workers run: this is about the files, not the request's process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { seriousViolations } from './support/a11y.js';
import { launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

describe.skipIf(skipReason)('attachments on customer requests (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startUiServer({ processes: ['customer-request.bpmn', 'customer-request-classification.dmn', 'customer-request-priority.dmn', 'customer-communication.bpmn'] });
    browser = await launch();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('a file attached to a new request and to a reply is listed with a download link for the customer and the agent', { timeout: 240_000 }, async () => {
    const acme = await signIn(browser, server.url, 'acme');
    acme.setDefaultTimeout(90_000);
    await acme.goto(`${server.url}/#/portal`);
    // when Acme raises a request with a PDF picked in the form
    await acme.getByLabel('Subject').fill('Remittance for the March delivery');
    await acme.getByLabel('What do you need?').fill('Our remittance advice is attached.');
    await acme.locator('#request-files').setInputFiles({ name: 'remittance-advice.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\nremittance\n') });
    await acme.getByRole('button', { name: 'Send request' }).click();
    await expect.poll(() => acme.locator('#portal-requests').textContent()).toContain('Remittance for the March delivery');
    const reference = (await acme.locator('#portal-requests a', { hasText: /^REQ-/ }).first().textContent())!.trim();
    // then its page lists the file as a link
    await acme.goto(`${server.url}/#/portal/requests/${encodeURIComponent(reference)}`);
    const link = acme.locator('#pt-attachments a', { hasText: 'remittance-advice.pdf' });
    await link.waitFor();
    // when Acme replies with a CSV attached
    await acme.getByLabel('Your message').fill('And the lines, as a spreadsheet export.');
    await acme.locator('#pt-reply-files').setInputFiles({ name: 'lines.csv', mimeType: 'text/csv', buffer: Buffer.from('line,amount\n1,12500.00\n') });
    await acme.getByRole('button', { name: 'Send reply' }).click();
    await expect.poll(() => acme.locator('#pt-attachments').textContent()).toContain('lines.csv');
    expect(await seriousViolations(acme), 'portal request with attachments').toEqual([]);
    await shot(acme, 'attachments-portal-request');
    // and the link answers the file (the browser's own request, with its session cookie)
    const href = await link.getAttribute('href');
    const file = await acme.request.get(`${server.url}${href}`);
    expect(file.status()).toBe(200);
    expect((await file.body()).toString()).toBe('%PDF-1.4\nremittance\n');

    // when sam opens the request in the workspace, both files are listed there too
    const sam = await signIn(browser, server.url, 'sam');
    sam.setDefaultTimeout(90_000);
    await sam.goto(`${server.url}/#/requests/${encodeURIComponent(reference)}`);
    await expect.poll(() => sam.locator('#rq-attachments').textContent()).toContain('remittance-advice.pdf');
    expect(await sam.locator('#rq-attachments a').allTextContents()).toEqual(['remittance-advice.pdf', 'lines.csv']);
    await shot(sam, 'attachments-request-workspace');
  });
});
