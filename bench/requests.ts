/**
 * Customer requests: requests per second through intake → registration and acknowledgement →
 * enrichment → classification, priority and SLA (DMN) → assignment, on the embedded engine
 * with PGlite (a request counts when its first work task is open); and DMN evaluations per
 * second of the request tables through the embedded evaluator against a baseline from the
 * same run: a plain feelin loop over the same tables' input expressions and unary tests (first
 * hit, no decimals, no error handling), the approach of bench/dmn.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { evaluate, unaryTest } from 'feelin';
import { evaluateDecision, parseDmn, type Decision } from '../engine/embedded/dmn/index.js';
import { openRequestWorld } from '../tests/requests/harness.js';

export interface Result {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  note?: string;
}

const processes = path.join(import.meta.dirname, '..', 'processes');

const SAMPLES = [
  { triagedCategory: null, statedCategory: null, invoiceId: 'INV-1', subject: 'Invoice 2026-0199 discrepancy', body: 'list price instead of contract price', requestAmount: '25000.00', riskSegment: 'low', ageDays: 21 },
  { triagedCategory: null, statedCategory: null, invoiceId: null, subject: 'Did you receive our payment?', body: 'please confirm', requestAmount: null, riskSegment: 'high', ageDays: 40 },
  { triagedCategory: null, statedCategory: 'credit-restructuring', invoiceId: null, subject: 'Payment plan', body: '', requestAmount: null, riskSegment: 'high', ageDays: 0 },
  { triagedCategory: null, statedCategory: null, invoiceId: null, subject: 'Hello', body: 'call me', requestAmount: null, riskSegment: 'medium', ageDays: 3 },
];

/** The same first-hit tables driven by hand with feelin. */
function feelinFirstHit(decision: Decision, vars: Record<string, unknown>): unknown {
  if (decision.logic.type !== 'decisionTable') throw new Error('not a table');
  const { inputs, outputs, rules } = decision.logic;
  const values = inputs.map((i) => evaluate(i.expression, vars).value);
  for (const rule of rules) {
    if (rule.inputEntries.every((t, i) => t === '-' || t === '' || unaryTest(t, { ...vars, '?': values[i] }).value === true)) {
      const out = rule.outputEntries.map((e) => evaluate(e, vars).value);
      return outputs.length === 1 ? out[0] : Object.fromEntries(outputs.map((o, i) => [o.name, out[i]]));
    }
  }
  return null;
}

function rate(fn: (i: number) => unknown, budgetMs: number): number {
  for (let i = 0; i < 200; i++) fn(i);
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    for (let i = 0; i < 50; i++) fn(n++);
    elapsed = performance.now() - start;
  }
  return (n / elapsed) * 1000;
}

async function dmnRates(): Promise<Result> {
  const classification = parseDmn(fs.readFileSync(path.join(processes, 'customer-request-classification.dmn'), 'utf8'));
  const priority = parseDmn(fs.readFileSync(path.join(processes, 'customer-request-priority.dmn'), 'utf8'));
  const byId = (drg: typeof priority, id: string) => drg.decisions.find((d) => d.id === id)!;
  const ours = (vars: Record<string, unknown>) => {
    const category = evaluateDecision(classification, 'customer-request-classification', vars).output;
    const prio = evaluateDecision(priority, 'customer-request-priority', { ...vars, category }).output;
    return [category, prio, evaluateDecision(priority, 'customer-request-sla', { priority: prio }).output];
  };
  const theirs = (vars: Record<string, unknown>) => {
    const category = feelinFirstHit(byId(classification, 'customer-request-classification'), vars);
    const prio = feelinFirstHit(byId(priority, 'customer-request-priority'), { ...vars, category });
    return [category, prio, feelinFirstHit(byId(priority, 'customer-request-sla'), { priority: prio })];
  };
  for (const s of SAMPLES) {
    if (JSON.stringify(ours(s)) !== JSON.stringify(theirs(s))) throw new Error(`bench check: evaluator gave ${JSON.stringify(ours(s))}, feelin loop ${JSON.stringify(theirs(s))}`);
  }
  const baseline = rate((i) => theirs(SAMPLES[i % SAMPLES.length]), 1000);
  const value = rate((i) => ours(SAMPLES[i % SAMPLES.length]), 1000);
  return { name: 'requests: classify + prioritise + SLA (3 decisions)', value: Math.round(value), unit: 'evals/s', baseline: Math.round(baseline), ratio: Number((value / baseline).toFixed(2)), note: 'baseline: plain feelin loop over the same tables' };
}

async function throughput(total: number, concurrency: number): Promise<Result> {
  const w = await openRequestWorld('pglite');
  try {
    let assigned = 0;
    let done: () => void = () => undefined;
    const all = new Promise<void>((r) => (done = r));
    w.engine.onUserTask({
      created: () => {
        if (++assigned === total) done();
      },
    });
    const subjects = ['Invoice 2026-0142 discrepancy', 'Did you receive our payment?', 'Refund of duplicate payment', 'Payment plan request'];
    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const i = next++;
          await w.service.submit({ customerId: i % 2 ? 'C-ACME' : 'C-NORTHWIND', invoiceId: i % 4 === 0 ? (i % 2 ? 'INV-2026-0142' : 'INV-2026-0157') : null, amount: i % 4 === 2 ? '150.00' : null, intakeChannel: 'portal', subject: subjects[i % 4], body: '', requestedBy: 'bench' });
        }
      }),
    );
    await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${assigned} of ${total} requests reached assignment in 120 s`)), 120_000))]);
    const seconds = (performance.now() - start) / 1000;
    return { name: `requests: intake → classification → assignment (${total} requests, ${concurrency} at a time, PGlite)`, value: Number((total / seconds).toFixed(1)), unit: 'requests/s', note: 'includes the acknowledgement via customer-communication (delivery stubbed)' };
  } finally {
    await w.close();
  }
}

export async function benchRequests(options: { requests?: number; concurrency?: number } = {}): Promise<Result[]> {
  return [await throughput(options.requests ?? 200, options.concurrency ?? 20), await dmnRates()];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await benchRequests());
}
