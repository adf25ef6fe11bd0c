/**
 * Portal: a customer raises a request in the portal; it runs through intake with the real
 * workers and appears in the service agent's tasklist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

describe.skipIf(skipReason)('customer portal (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startUiServer({ processes: ['customer-request.bpmn', 'customer-request-classification.dmn', 'customer-request-priority.dmn', 'customer-communication.bpmn'], workers: true });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("a request raised in the portal appears in the agent's tasklist", async () => {
    const acme = await signIn(browser, server.url, 'acme');
    await acme.goto(`${server.url}/#/portal`);
    await acme.getByLabel('Subject').fill('Invoice INV-2026-0142 is billed twice');
    await acme.getByLabel('Invoice (optional)').selectOption('INV-2026-0142');
    await acme.getByLabel('What do you need?').fill('We were charged twice for the March delivery; please correct the invoice.');
    await acme.getByRole('button', { name: 'Send request' }).click();
    await acme.getByText(/received/).waitFor();
    await expect.poll(() => acme.locator('#portal-requests').textContent()).toContain('billed twice');
    await shot(acme, 'portal-request-raised');

    const sam = await signIn(browser, server.url, 'sam');
    try {
      await expect
        .poll(async () => {
          await sam.goto(`${server.url}/#/tasks/groups?${Date.now()}`);
          await sam.reload();
          await sam.locator('.tasks').waitFor();
          return sam.locator('.tasks').textContent();
        }, { timeout: 30_000, interval: 1000 })
        .toMatch(/C-ACME|REQ|Review|Triage|Answer|Assess/);
    } catch (err) {
      // say where the request stopped instead of only that it never arrived
      const incidents = await server.engine.listIncidents({ state: 'ACTIVE' });
      throw new Error(`the request never reached sam's tasklist; active incidents: ${incidents.map((i) => `${i.bpmnProcessId}/${i.elementId}: ${i.errorMessage}`).join('; ') || 'none'}`, { cause: err });
    } finally {
      await shot(sam, 'portal-request-in-agent-tasklist');
    }
  }, 120_000);
});
