/**
 * Dashboards: given communications, a dunning history and requests seeded with known dates,
 * when an engineer opens the dashboards, then six charts are drawn and their numbers (under
 * "Numbers") are the ones the seeded rows give.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { seriousViolations } from './support/a11y.js';
import { browserProblems, launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

const HOUR = 3_600_000;
// one reference instant, so whole-day differences between seeded rows are exact
const NOW = Date.now();
const ago = (hours: number) => new Date(NOW - hours * HOUR);

describe.skipIf(skipReason)('dashboards (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startUiServer();
    const { db } = server;
    const comm = (id: string, hoursAgo: number, channel: string, status: string) => ({ id, customer_id: 'C-ACME', template_id: 'invoice-notice', channel, kind: 'dunning', status, data: '{}', created_at: ago(hoursAgo) });
    const invoice = (id: string, status: string, paidHoursAgo?: number) => ({ id, customer_id: 'C-NORTHWIND', number: id, amount: '500.00', currency: 'EUR', issued_at: '2026-01-01', due_at: '2026-01-31', status, paid_at: paidHoursAgo === undefined ? null : ago(paidHoursAgo) });
    await db('invoices').insert([invoice('UI-D1', 'paid', 24 * 2), invoice('UI-D2', 'open'), invoice('UI-D3', 'paid', 24 * 4)]);
    await db('communications').insert([
      comm('UI-D1-notice', 24 * 12, 'email', 'delivered'), // paid 10 days after its notice
      comm('UI-D1-reminder-1', 24 * 6, 'email', 'opened'),
      comm('UI-D2-notice', 24 * 20, 'email', 'delivered'), // three reminders, escalated
      comm('UI-D2-reminder-1', 24 * 15, 'sms', 'delivered'),
      comm('UI-D2-reminder-2', 24 * 10, 'sms', 'delivered'),
      comm('UI-D2-reminder-3', 24 * 5, 'email', 'bounced'),
      comm('UI-D2-escalation', 24 * 3, 'portal', 'sent'),
      comm('UI-D3-notice', 24 * 6, 'email', 'delivered'), // paid 2 days after its notice; the only notice in the last 7 days
    ]);
    const req = (id: string, team: string, status: string, hoursAgo: number, breached: boolean) => ({ id, reference: `REQ-${id}`, customer_id: 'C-ACME', team, status, intake_channel: 'portal', subject: id, created_at: ago(hoursAgo), sla_breached_at: breached ? ago(1) : null });
    await db('customer_requests').insert([
      req('UI-R1', 'finance', 'open', 2, false),
      req('UI-R2', 'finance', 'open', 24 * 10, true),
      req('UI-R3', 'triage', 'in_progress', 24 * 2, false),
      req('UI-R4', 'finance', 'resolved', 24 * 4, true),
    ]);
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const numbers = async (page: import('playwright-core').Page, id: string) =>
    page.locator(`#${id} details table tbody tr`).evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));

  it('draws the six charts with the numbers the data gives', async () => {
    const eric = await signIn(browser, server.url, 'eric');
    await eric.goto(`${server.url}/#/dashboards`);
    await eric.locator('.charts[aria-busy="false"]').waitFor();
    expect(await eric.locator('.charts canvas').count()).toBe(6);
    // every canvas has something drawn on it
    const drawn = await eric.evaluate<boolean[]>(`[...document.querySelectorAll('.charts canvas')].map((c) => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v) => v !== 0))`);
    expect(drawn).toEqual([true, true, true, true, true, true]);

    expect(await numbers(eric, 'chart-channels')).toEqual([['email', '5'], ['sms', '2'], ['portal', '1']]);
    expect(await numbers(eric, 'chart-statuses')).toEqual([['delivered', '5'], ['bounced', '1'], ['opened', '1'], ['sent', '1']]);
    expect(await numbers(eric, 'chart-funnel')).toEqual([['notice', '3'], ['reminder 1', '2'], ['reminder 2', '1'], ['reminder 3', '1'], ['paid', '2'], ['escalated', '1']]);
    expect(await numbers(eric, 'chart-days-to-pay')).toEqual([['0–7 days', '1'], ['8–14 days', '1'], ['15–30 days', '0'], ['31–60 days', '0'], ['over 60 days', '0']]);
    expect(await eric.locator('#chart-days-to-pay .meta').textContent()).toContain('median 6 days');
    expect(await numbers(eric, 'chart-backlog')).toEqual([['finance', 'under 1 day', '1'], ['finance', 'over 7 days', '1'], ['triage', '1–3 days', '1']]);
    expect(await eric.locator('#sla-rate').textContent()).toBe('50.0 %');
    expect(await numbers(eric, 'chart-sla')).toEqual([['finance', '3', '2', '66.7 %'], ['triage', '1', '0', '0.0 %']]);
    expect(await seriousViolations(eric)).toEqual([]);
    await shot(eric, 'dashboards');

    await eric.locator('#window').selectOption('7');
    await expect.poll(() => eric.locator('#chart-funnel .meta').textContent()).toContain('Invoices noticed: 1');
    expect(browserProblems).toEqual([]);
  }, 90_000);
});
