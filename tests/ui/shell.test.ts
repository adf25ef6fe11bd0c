/**
 * The shell around the screens. Given queues on Redis, an engineer finds the link to bull-board
 * and it shows the delivery queues; an agent gets neither the link nor the board. The UI works
 * from the keyboard (sign in, skip link, navigation, a visible focus ring) and every screen reads
 * on a laptop: labelled controls, no sideways scrolling at 1280×800 or 1440×900.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
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
});
