/**
 * Accessibility check for browser tests: runs axe-core (the real library, injected into the page)
 * on the current screen and returns the serious and critical violations, each with the rule,
 * its help text and the first offending elements, so a failing assertion names what to fix.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import type { Page } from 'playwright-core';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface A11yViolation {
  rule: string;
  impact: string;
  help: string;
  targets: string[];
}

/** Serious and critical axe violations on the page as it is now (an empty list when there are none). */
export async function seriousViolations(page: Page, options: { exclude?: string[] } = {}): Promise<A11yViolation[]> {
  // evaluated over the DevTools protocol, not as an inline <script>: Herald's Content-Security-Policy (script-src 'self') refuses those
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeSource);
  const results = await page.evaluate(async (exclude) => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const context = exclude.length ? { include: [['body']], exclude: exclude.map((s) => [s]) } : (globalThis as unknown as { document: unknown }).document;
    return axe.run(context, { resultTypes: ['violations'] });
  }, options.exclude ?? []);
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ rule: v.id, impact: v.impact ?? '', help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.map(String).join(' ')) }));
}
