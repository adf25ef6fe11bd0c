/**
 * The restructuring notice's link in the browser (#15, #18): Acme opens /portal/agreements/{id}
 * from the notice, signs in, reads the schedule as recorded (each instalment's due date and
 * amount in its own locale) and accepts the agreement; the acceptance is on the record.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restructuringService } from '../../api/services/restructuring.js';
import { seriousViolations } from './support/a11y.js';
import { browserProblems, launch, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

describe.skipIf(skipReason)('a restructuring agreement in the portal (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startUiServer();
    browser = await launch();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the recorded schedule from the notice’s link and takes the acceptance', async () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    await restructuringService(server.db).record(
      { agreementId: 'AGR-UI-1', customerId: 'C-ACME', reference: 'RST-UI-1', agreementDate: day(-1), totalAmount: '19600.00', currency: 'USD', installments: [{ dueDate: day(38), amount: '6533.33' }, { dueDate: day(69), amount: '6533.33' }, { dueDate: day(97), amount: '6533.34' }], acceptBy: day(12), graceDays: 10, invoiceIds: ['INV-2026-0142'] },
      'system:erp',
    );
    const acme = await signIn(browser, server.url, 'acme');
    // the link as the notice carries it: a server route that lands in the portal
    await acme.goto(`${server.url}/portal/agreements/AGR-UI-1`);
    await acme.locator('#pt-agreement-title').waitFor({ timeout: 60_000 });
    expect(await acme.locator('#pt-agreement-title').textContent()).toBe('Restructuring agreement RST-UI-1');
    const rows = await acme.locator('table tbody tr').allTextContents();
    expect(rows).toHaveLength(3);
    expect(rows[2]).toContain('$6,533.34');
    expect(rows[0]).toContain('$6,533.33');
    expect(await acme.locator('section.card').first().textContent()).toContain('Restructured balance $19,600.00 in 3 instalments');
    expect(await seriousViolations(acme), 'agreement page').toEqual([]);
    await shot(acme, 'portal-agreement-proposed');
    await acme.locator('#pt-agreement-accept').click();
    await expect.poll(() => acme.locator('#pt-agreement-status').textContent()).toContain('Accepted');
    await shot(acme, 'portal-agreement-accepted');
    expect(await server.db('restructuring_agreements').where({ id: 'AGR-UI-1' }).first()).toMatchObject({ status: 'accepted', accepted_by: 'acme' });
    expect(browserProblems).toEqual([]);
  }, 240_000);
});
