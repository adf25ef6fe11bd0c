/**
 * The shell around the screens. Given queues on Redis, an engineer finds the link to bull-board
 * and it shows the delivery queues; an agent gets neither the link nor the board. The UI works
 * from the keyboard (sign in, skip link, navigation, a visible focus ring) and every screen reads
 * on a laptop: labelled controls, no sideways scrolling at 1280×800 or 1440×900. axe-core finds no
 * serious or critical violation on any screen (sign-in, instances, incidents, modeler, decisions,
 * templates, dashboards, queue), the modeler loads without console warnings and nothing 404s
 * (the favicon included). The queue screen shows the delivery queue as the database has it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { seriousViolations } from './support/a11y.js';
import { browserProblems, DEMO_PASSWORD, launch, outDir, shot, signIn, skipReason, startUiServer, type UiServer } from './support/server.js';

const redisUrl = process.env.TEST_REDIS_URL;

describe.skipIf(skipReason)('shell: queue board, keyboard, laptop screens (browser)', () => {
  let server: UiServer;
  let browser: Browser;
  const previous = process.env.REDIS_URL;
  beforeAll(async () => {
    // the system route reads REDIS_URL from the configuration, as `npm start` does
    if (redisUrl) process.env.REDIS_URL = redisUrl;
    server = await startUiServer();
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (previous === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = previous;
  });

  it.skipIf(!redisUrl)('links engineers to bull-board over the delivery queues; agents get neither', async () => {
    const eric = await signIn(browser, server.url, 'eric');
    const link = eric.locator('#queue-board');
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('/admin/queues');
    const [board] = await Promise.all([eric.context().waitForEvent('page'), link.click()]);
    await board.getByText('herald-delivery-email').first().waitFor({ timeout: 20_000 });
    expect(await board.getByText('herald-delivery-sms').count()).toBeGreaterThan(0);
    await board.screenshot({ path: `${outDir}/queue-board.png` });

    const sam = await signIn(browser, server.url, 'sam');
    expect(await (await sam.request.get(`${server.url}/api/system`)).json()).toEqual({ engine: 'embedded', queues: { backend: 'redis' } });
    await sam.locator('#nav a').first().waitFor();
    expect(await sam.locator('#queue-board').count()).toBe(0);
    const refused = await sam.request.get(`${server.url}/admin/queues/api/queues`);
    expect(refused.status()).toBe(403);
    expect((await refused.json()).rule).toBe('role');
    const anonymous = await browser.newContext();
    expect((await anonymous.request.get(`${server.url}/admin/queues`)).status()).toBe(401);
    await anonymous.close();
  }, 60_000);

  /** Controls no label names, and whether the page scrolls sideways. */
  // page scripts as strings: this project's TypeScript has no DOM library
  const readability = (page: Page) =>
    page.evaluate<{ unlabelled: string[]; fakeButtons: string[]; sideways: number }>(`({
      unlabelled: [...document.querySelectorAll('main input, main select, main textarea')]
        .filter((el) => el.type !== 'hidden' && !el.closest('.djs-container') && el.getClientRects().length > 0)
        .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')))
        .map((el) => el.outerHTML.slice(0, 120)),
      // links that act as buttons (no href) and clickable things that are not buttons
      fakeButtons: [...document.querySelectorAll('main a:not([href]), main [role="button"]:not(button)')]
        .filter((el) => !el.closest('.djs-container, .bio-properties-panel'))
        .map((el) => el.outerHTML.slice(0, 120)),
      sideways: document.documentElement.scrollWidth - window.innerWidth,
    })`);
  const focused = (page: Page) =>
    page.evaluate<{ name: string | null; cls: string; text: string; outline: string }>(`(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return { name: el.getAttribute('name'), cls: el.className, text: (el.textContent || '').trim(), outline: style.outlineStyle + ' ' + style.outlineWidth };
    })()`);

  it('works from the keyboard and reads at 1280×800 and 1440×900', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => browserProblems.push(`[keyboard] ${err.message}`));
    await page.goto(`${server.url}/#/login`);
    // the user name has focus; sign in without the mouse
    await expect.poll(async () => (await focused(page)).name).toBe('username');
    await page.keyboard.type('eric');
    await page.keyboard.press('Tab');
    await page.keyboard.type(DEMO_PASSWORD);
    await page.keyboard.press('Enter');
    await page.locator('#who').getByText('Sign out').waitFor();

    // on a fresh page the first Tab reaches the skip link, which shows itself
    await page.reload();
    await page.locator('main h1').first().waitFor();
    await page.keyboard.press('Tab');
    expect((await focused(page)).cls).toBe('skip');
    expect((await page.locator('.skip').boundingBox())!.x).toBeGreaterThanOrEqual(0);
    // the navigation follows in order, each link with a visible focus ring
    const order: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      const now = await focused(page);
      expect(now.outline).toBe('solid 3px');
      order.push(now.text);
      if (now.text === 'Instances') break;
    }
    expect(order).toEqual(['Herald', 'Tasks', 'Instances']);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toContain('#/instances');
    await page.getByRole('button', { name: 'Filter' }).focus();
    await shot(page, 'keyboard-focus-1280');

    for (const size of [{ width: 1280, height: 800 }, { width: 1440, height: 900 }]) {
      await page.setViewportSize(size);
      for (const screen of ['tasks', 'instances', 'modeler', 'templates/invoice-notice', 'dashboards']) {
        await page.goto(`${server.url}/#/${screen}`);
        await page.locator('main h1').first().waitFor();
        if (screen === 'modeler') await page.locator('#properties-panel .bio-properties-panel').waitFor();
        if (screen.startsWith('templates')) await page.locator('#template-mjml').waitFor();
        const found = await readability(page);
        expect({ screen, size: size.width, ...found }).toEqual({ screen, size: size.width, unlabelled: [], fakeButtons: [], sideways: 0 });
        if (size.width === 1280) await shot(page, `laptop-1280-${screen.split('/')[0]}`);
      }
    }
    await context.close();
    expect(browserProblems).toEqual([]);
  }, 60_000);
  it('has no serious or critical axe violations on any screen, no console warnings and no 404', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const consoleProblems: string[] = [];
    const missing: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'warning' || msg.type() === 'error') consoleProblems.push(msg.text());
    });
    page.on('response', (res) => {
      if (res.status() === 404) missing.push(res.url());
    });
    page.on('pageerror', (err) => browserProblems.push(`[a11y walk] ${err.message}`));
    await page.goto(`${server.url}/#/login`);
    await page.getByLabel('User name').waitFor();
    const found: Record<string, unknown> = { login: await seriousViolations(page) };
    await shot(page, 'a11y-login');
    await page.getByLabel('User name').fill('eric');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#who').getByText('Sign out').waitFor();
    const screens: [string, string][] = [
      ['instances', '.results table, .results p'],
      ['instances/incidents', '#incident-results p, #incident-results table'],
      ['modeler', '#properties-panel .bio-properties-panel'],
      ['decisions', 'main h1'],
      ['templates/invoice-notice', '#template-mjml .cm-content'],
      ['dashboards', 'main h1'],
      ['queue', '#queue-summary table'],
    ];
    for (const [screen, ready] of screens) {
      await page.goto(`${server.url}/#/${screen}`);
      await page.locator(ready).first().waitFor({ timeout: 20_000 });
      // the preview frame holds the customer's email (its own document, checked by the template tests' rules)
      found[screen] = await seriousViolations(page, { exclude: ['iframe'] });
      await shot(page, `a11y-${screen.replace(/\//g, '-')}`);
    }
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
    expect(consoleProblems.filter((t) => /unsupported configuration|keyboard\.bindTo/.test(t))).toEqual([]);
    expect(missing).toEqual([]);
    await context.close();
    expect(browserProblems).toEqual([]);
  }, 120_000);

  it('shows the delivery queue: depth per channel, unfinished and failed jobs, the state filter in the URL', async () => {
    const { db } = server;
    const comm = (id: string, channel: string, status: string) => ({ id, customer_id: 'C-ACME', template_id: 'invoice-notice', channel, kind: 'dunning', status, data: '{}' });
    await db('communications').insert([comm('UI-Q-1', 'email', 'queued'), comm('UI-Q-2', 'sms', 'failed'), comm('UI-Q-3', 'email', 'sent')]);
    await db('deliveries').insert([
      { communication_id: 'UI-Q-1', channel: 'email', state: 'queued', attempts: 0 },
      { communication_id: 'UI-Q-2', channel: 'sms', state: 'failed', attempts: 5, error: 'SMS gateway answered 503 five times' },
      { communication_id: 'UI-Q-3', channel: 'email', state: 'sent', attempts: 1 },
    ]);
    const eric = await signIn(browser, server.url, 'eric');
    await eric.getByRole('link', { name: 'Queue', exact: true }).click();
    const rowOf = (channel: string) => eric.locator('#queue-summary tbody tr', { hasText: channel }).locator('td').allTextContents();
    await expect.poll(() => rowOf('email'), { timeout: 15_000 }).toEqual(['email', '1', '0', '1', '0']);
    expect(await rowOf('sms')).toEqual(['sms', '0', '0', '0', '1']);
    const jobs = eric.locator('#queue-jobs tbody tr');
    await expect.poll(() => jobs.count()).toBe(2);
    expect(await eric.locator('#queue-summary').textContent()).toContain(redisUrl ? 'BullMQ on Redis' : 'In-process queue · 1 job waiting or sending');
    await eric.getByLabel('Jobs').selectOption('failed');
    await expect.poll(() => jobs.count()).toBe(1);
    expect(await jobs.first().textContent()).toContain('SMS gateway answered 503 five times');
    expect(eric.url()).toContain('#/queue?state=failed');
    expect(await seriousViolations(eric)).toEqual([]);
    await shot(eric, 'queue-failed-jobs');
    // the queue is for engineers: an agent gets neither the screen nor its data
    const sam = await signIn(browser, server.url, 'sam');
    expect(await sam.locator('#nav').getByRole('link', { name: 'Queue', exact: true }).count()).toBe(0);
    expect((await sam.request.get(`${server.url}/api/delivery-queue`)).status()).toBe(403);
    expect(browserProblems).toEqual([]);
  }, 60_000);
});
