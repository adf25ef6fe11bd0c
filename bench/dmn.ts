/**
 * DMN evaluations per second of the invoice-business-decisions DRG (invoiceAssignApprover,
 * which requires invoiceClassification) through the embedded evaluator, against a baseline
 * from the same run: a plain feelin loop over the same input expressions and rules' unary
 * tests (no hit policy, no decimals, no error handling).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluate, unaryTest } from 'feelin';
import { evaluateDecision, parseDmn } from '../engine/embedded/dmn/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CANDIDATES = [path.join(here, '..', 'processes', 'invoice-business-decisions.dmn'), path.join(here, '..', '..', 'shared', 'bpmn-corpus', 'invoice-business-decisions.dmn')];

const INPUTS = [
  { amount: 100, invoiceCategory: 'Misc' },
  { amount: 500, invoiceCategory: 'Misc' },
  { amount: 5000, invoiceCategory: 'Misc' },
  { amount: 42, invoiceCategory: 'Travel Expenses' },
];

/** The same tables as the DMN file, as feelin would be driven by hand. */
const CLASSIFICATION = {
  inputs: ['assert(amount,amount!=null,"no variable found for name \'amount\'")', 'invoiceCategory'],
  rules: [
    [['< 250', '"Misc"'], '"day-to-day expense"'],
    [['[250..1000]', '"Misc"'], '"budget"'],
    [['> 1000', '"Misc"'], '"exceptional"'],
    [['-', '"Travel Expenses"'], '"day-to-day expense"'],
    [['-', '"Software License Costs"'], '"budget"'],
  ] as [string[], string][],
};
const APPROVER = {
  rules: [
    ['"day-to-day expense"', '"accounting"'],
    ['"day-to-day expense"', '"sales"'],
    ['"budget", "exceptional"', '"management"'],
  ] as [string, string][],
};

function feelinBaseline(vars: Record<string, unknown>): unknown {
  // feelin has no assert(): the plain input expression stands in for it
  const inputValues = [evaluate('amount', vars).value, evaluate(CLASSIFICATION.inputs[1], vars).value];
  let classification: unknown = null;
  for (const [tests, output] of CLASSIFICATION.rules) {
    if (tests.every((t, i) => t === '-' || unaryTest(t, { ...vars, '?': inputValues[i] }).value === true)) {
      classification = evaluate(output, vars).value;
      break;
    }
  }
  const ctx = { ...vars, invoiceClassification: classification };
  const input = evaluate('invoiceClassification', ctx).value;
  const result: unknown[] = [];
  for (const [test, output] of APPROVER.rules) {
    if (unaryTest(test, { ...ctx, '?': input }).value === true) result.push(evaluate(output, ctx).value);
  }
  return result;
}

function rate(fn: (i: number) => unknown, budgetMs: number): number {
  for (let i = 0; i < 200; i++) fn(i);
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    for (let i = 0; i < 100; i++) fn(n++);
    elapsed = performance.now() - start;
  }
  return (n / elapsed) * 1000;
}

export async function benchDmn(): Promise<{ name: string; value: number; unit: string; baseline?: number; ratio?: number }[]> {
  const file = CANDIDATES.find((p) => fs.existsSync(p));
  if (!file) throw new Error(`invoice-business-decisions.dmn not found (looked in ${CANDIDATES.join(', ')})`);
  const xml = fs.readFileSync(file, 'utf8');

  const parseStart = performance.now();
  let parses = 0;
  while (performance.now() - parseStart < 200) {
    parseDmn(xml);
    parses++;
  }
  const parseRate = (parses / (performance.now() - parseStart)) * 1000;

  const drg = parseDmn(xml, 'invoice-business-decisions.dmn');
  for (const vars of INPUTS) {
    const ours = evaluateDecision(drg, 'invoiceAssignApprover', vars).output;
    const theirs = feelinBaseline(vars);
    if (JSON.stringify(ours) !== JSON.stringify(theirs)) throw new Error(`bench check: evaluator gave ${JSON.stringify(ours)}, feelin loop ${JSON.stringify(theirs)}`);
  }
  const baseline = rate((i) => feelinBaseline(INPUTS[i % INPUTS.length]), 1000);
  const ours = rate((i) => evaluateDecision(drg, 'invoiceAssignApprover', INPUTS[i % INPUTS.length]), 1000);
  return [
    { name: 'dmn: invoiceAssignApprover DRG evaluations', value: Math.round(ours), unit: 'evals/s', baseline: Math.round(baseline), ratio: Number((ours / baseline).toFixed(2)) },
    { name: 'dmn: parse + compile invoice-business-decisions.dmn', value: Math.round(parseRate), unit: 'parses/s' },
  ];
}
