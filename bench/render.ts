/**
 * Per-message rendering cost: the compile-once fill (renderMessage over a compiled template)
 * against a plain MJML render per message (placeholders substituted into the MJML source, then
 * mjml2html), on the invoice-notice template, same run.
 */
import mjml2html from 'mjml';
import { compileUncached, escapeHtml, MJML_OPTIONS, renderMessage } from '../domain/templates/index.js';
import { libraryTemplate, loadLibraryVersion } from '../domain/templates/library/index.js';
import { formatMoney } from '../domain/money.js';

type Result = { name: string; value: number; unit: string; baseline?: number; ratio?: number };

function variant(data: Record<string, unknown>, i: number): Record<string, unknown> {
  const d = data as { customer: Record<string, unknown>; invoice: Record<string, unknown> };
  return { ...data, customer: { ...d.customer, contactName: `Customer ${i}` }, invoice: { ...d.invoice, number: `INV-${i}`, amount: `${19600 + (i % 100)}.00` } };
}

/** The naive path: fill the MJML source with escaped values and run MJML for every message. */
function naiveFill(mjml: string, data: Record<string, unknown>, locale: string): string {
  return mjml.replace(/\{\{\s*([\w.]+)(?:\s*\|\s*(\w+)(?:\s+([\w.]+))?)?\s*\}\}/g, (_m, path: string, fmt?: string, arg?: string) => {
    const get = (p: string) => p.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)?.[k], data);
    const v = get(path);
    if (fmt === 'money') return escapeHtml(formatMoney(String(v), String(get(arg as string)), locale));
    if (fmt === 'date') return escapeHtml(new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${String(v)}T00:00:00Z`)));
    return escapeHtml(String(v));
  });
}

async function timePerOp(n: number, op: (i: number) => unknown | Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op(i);
  return Number(process.hrtime.bigint() - start) / 1000 / n;
}

export async function benchRender(): Promise<Result[]> {
  const t = libraryTemplate('invoice-notice');
  const version = await loadLibraryVersion('invoice-notice', 'en');
  const compiled = await compileUncached(version);
  const sink: number[] = [];

  // warm up both paths (JIT, Intl formatter caches, MJML's component registry)
  for (let i = 0; i < 2000; i++) sink.push(renderMessage(compiled, variant(t.sampleData, i)).html.length);
  for (let i = 0; i < 10; i++) sink.push((await mjml2html(naiveFill(version.mjml, variant(t.sampleData, i), 'en'), { ...MJML_OPTIONS } as never)).html.length);

  const baselineStart = process.hrtime.bigint();
  let baselineN = 0;
  // run the baseline for ~2 s or 300 messages, whichever comes first
  while (baselineN < 300 && Number(process.hrtime.bigint() - baselineStart) < 2e9) {
    sink.push((await mjml2html(naiveFill(version.mjml, variant(t.sampleData, baselineN), 'en'), { ...MJML_OPTIONS } as never)).html.length);
    baselineN++;
  }
  const baseline = Number(process.hrtime.bigint() - baselineStart) / 1000 / baselineN;

  const fill = await timePerOp(20_000, (i) => sink.push(renderMessage(compiled, variant(t.sampleData, i)).html.length));
  const compileOnce = await timePerOp(5, () => compileUncached(version));
  if (sink.length === 0) throw new Error('unreachable');

  return [
    { name: 'render: compile-once fill per message (invoice-notice en)', value: round(fill), unit: 'µs/msg', baseline: round(baseline), ratio: round(baseline / fill) },
    { name: 'render: plain mjml render per message (baseline)', value: round(baseline), unit: 'µs/msg' },
    { name: 'render: compile one template version (MJML + slot analysis)', value: round(compileOnce), unit: 'µs' },
  ];
}

const round = (x: number) => Math.round(x * 100) / 100;
