/**
 * The embedded DMN evaluator gives Zeebe's answers for the corpus decisions, every hit policy
 * and required decisions, and refuses what it cannot evaluate with a message naming the element.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DmnError, evaluateDecision, parseDmn } from '../../engine/embedded/dmn/index.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'dmn');
const CORPUS = path.resolve(import.meta.dirname, '../../../shared/bpmn-corpus');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const corpus = (name: string) => fs.readFileSync(path.join(CORPUS, name), 'utf8');

function dmnError(fn: () => unknown): DmnError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DmnError);
    return err as DmnError;
  }
  throw new Error('expected a DmnError');
}

describe('hit policies', () => {
  const drg = parseDmn(fixture('hit-policies.dmn'), 'hit-policies.dmn');
  const out = (decision: string, points: number) => evaluateDecision(drg, decision, { points }).output;

  it('given UNIQUE, when exactly one rule matches, then its output is the result', () => {
    expect(out('unique', 5)).toBe('low');
    expect(evaluateDecision(drg, 'unique', { points: 12 }).evaluatedDecisions[0].matchedRules).toEqual(['unique_r2']);
  });

  it('given UNIQUE, when two rules match, then the evaluation fails with DMN-Scala\'s text (its values as Scala prints them, which users match on) at the second rule', () => {
    const err = dmnError(() => out('unique', 16));
    expect(err.decisionId).toBe('unique');
    expect(err.elementId).toBe('unique_r3');
    expect(err.message).toBe("Expected to evaluate decision 'unique', but multiple values aren't allowed for UNIQUE hit policy. found: 'List(Map(band -> ValString(mid)), Map(band -> ValString(high)))'");
  });

  it('given FIRST, when several rules match, then the first in rule order wins', () => {
    expect(out('first', 35)).toBe(1);
    expect(out('first', 5)).toBeNull();
  });

  it('given PRIORITY, when several rules match, then the output value listed first in output values wins', () => {
    expect(out('priority', 25)).toBe('gold');
    expect(out('priority', 15)).toBe('silver');
    expect(evaluateDecision(drg, 'priority', { points: 25 }).evaluatedDecisions[0].matchedRules).toEqual(['priority_r2']);
  });

  it('given ANY, when the matches agree, then that output is the result; when they disagree, it fails', () => {
    expect(out('any', 25)).toBe('ok');
    expect(dmnError(() => out('any', 55)).message).toMatch(/ANY/);
  });

  it('given RULE ORDER, when several rules match, then all outputs in rule order; when none, null (DMN-Scala)', () => {
    expect(out('ruleOrder', 35)).toEqual([1, 2, 3]);
    expect(out('ruleOrder', 5)).toBeNull();
  });

  it('given OUTPUT ORDER, when several rules match, then all outputs sorted by output values', () => {
    expect(out('outputOrder', 25)).toEqual(['gold', 'silver', 'bronze']);
  });

  it('given COLLECT, when several rules match, then a list; when none, null as DMN-Scala gives (not [])', () => {
    expect(out('collect', 25)).toEqual([1, 2]);
    expect(out('collect', 1)).toBeNull();
  });

  it('given COLLECT SUM, when rules match, then the exact decimal sum', () => {
    expect(out('collectSum', 35)).toBe(0.7);
    expect(out('collectSum', 25)).toBe(0.3);
    expect(out('collectSum', 1)).toBeNull();
  });

  it('given COLLECT MIN / MAX / COUNT, when rules match, then the aggregate; when none, null (DMN-Scala, COUNT too)', () => {
    expect(out('collectMin', 35)).toBe(1);
    expect(out('collectMax', 35)).toBe(3);
    expect(out('collectCount', 35)).toBe(3);
    expect(out('collectCount', 1)).toBeNull();
    expect(out('collectMax', 1)).toBeNull();
  });

  it('given several outputs, when a rule matches, then a context keyed by output name with decimal outputs', () => {
    expect(evaluateDecision(drg, 'multiOutput', { amount: 19600, currency: 'EUR' }).output).toEqual({ approved: true, fee: 980 });
    expect(evaluateDecision(drg, 'multiOutput', { amount: 0.3, currency: 'EUR' }).output).toEqual({ approved: false, fee: 0 });
  });
});

describe('required decisions', () => {
  const drg = parseDmn(fixture('required-decisions.dmn'));

  it('given a decision requiring others, when evaluated, then they run first and are visible under their ids', () => {
    const r = evaluateDecision(drg, 'invoiceTotal', { gross: 1000.1, discount: 0.2 });
    expect(r.evaluatedDecisions.map((d) => d.decisionId)).toEqual(['netAmount', 'vat', 'invoiceTotal']);
    expect(r.evaluatedDecisions[0].output).toBe(999.9);
    expect(r.evaluatedDecisions[1].output).toBe(189.98);
    expect(r.output).toEqual({ total: 1189.88, review: true });
  });

  it('given the parsed graph, when inspected, then decisions and requirements are listed', () => {
    expect(drg).toMatchObject({ id: 'requiredDecisions', name: 'Required decisions' });
    expect(drg.decisions.map((d) => [d.id, d.requiredDecisions])).toEqual([
      ['netAmount', []],
      ['vat', ['netAmount']],
      ['invoiceTotal', ['netAmount', 'vat']],
    ]);
  });

  it('given an unknown decision id, when evaluated, then the error lists the decisions', () => {
    expect(dmnError(() => evaluateDecision(drg, 'nope', {})).message).toMatch(/'nope'.*netAmount, vat, invoiceTotal/);
  });
});

describe('corpus decisions as Zeebe evaluates them', () => {
  it('given invoice {amount:100, Misc}, when invoiceAssignApprover is evaluated, then ["accounting","sales"]', () => {
    const drg = parseDmn(corpus('invoice-business-decisions.dmn'), 'invoice-business-decisions.dmn');
    const r = evaluateDecision(drg, 'invoiceAssignApprover', { amount: 100, invoiceCategory: 'Misc' });
    expect(r.output).toEqual(['accounting', 'sales']);
    expect(r.evaluatedDecisions).toEqual([
      { decisionId: 'invoiceClassification', decisionName: 'Invoice Classification', decisionType: 'DECISION_TABLE', output: 'day-to-day expense', matchedRules: ['DecisionRule_1of5a87'] },
      { decisionId: 'invoiceAssignApprover', decisionName: 'Assign Approver Group', decisionType: 'DECISION_TABLE', output: ['accounting', 'sales'], matchedRules: ['row-49839158-1', 'row-49839158-6'] },
    ]);
    expect(evaluateDecision(drg, 'invoiceAssignApprover', { amount: 500, invoiceCategory: 'Misc' }).output).toEqual(['management']);
  });

  it('given invoice without amount, when evaluated, then the assert fails naming the decision', () => {
    const drg = parseDmn(corpus('invoice-business-decisions.dmn'));
    const err = dmnError(() => evaluateDecision(drg, 'invoiceAssignApprover', { invoiceCategory: 'Misc' }));
    expect(err.decisionId).toBe('invoiceClassification');
    expect(err.message).toMatch(/no variable found for name 'amount'/);
  });

  it('given the §2.27 bank-loan example, when evaluated, then the misspelled output is kept', () => {
    const drg = parseDmn(corpus('bank-loan-calculate-loan-results.dmn'));
    const vars = { creditScore: 760, pi: { annual_salary: 55200 }, loan: { amount: 25000, tenure: 36 } };
    expect(evaluateDecision(drg, 'calculate_loan_results_01uhf55', vars).output).toEqual({ isLoanEligble: true, sendToUnderwriter: false, interestRate: 14 });
    const underwriter = { ...vars, creditScore: 820, loan: { amount: 45000, tenure: 36 } };
    expect(evaluateDecision(drg, 'calculate_loan_results_01uhf55', underwriter).output).toMatchObject({ sendToUnderwriter: true });
  });

  it('given solos items, when is_legal_item is evaluated, then spice is illegal and water legal', () => {
    const drg = parseDmn(corpus('solos-is-legal-item.dmn'));
    expect(evaluateDecision(drg, 'is_legal_item', { item: 'spice' }).output).toBe(false);
    expect(evaluateDecision(drg, 'is_legal_item', { item: 'water' }).output).toBe(true);
  });

  it('given the §2.14 prices, when Decision_12lb3gf is evaluated, then 0.852 is refused and 1.018 accepted', () => {
    const drg = parseDmn(corpus('capital-market-price-comparison.dmn'));
    const base = { orderType: 'SELL_LIMIT', marketPrice: { price: 240.84, currency: 'USD' } };
    expect(evaluateDecision(drg, 'Decision_12lb3gf', { ...base, limitPricePerStock: { price: 205.22, currency: 'USD' } }).output).toBe(false);
    expect(evaluateDecision(drg, 'Decision_12lb3gf', { ...base, limitPricePerStock: { price: 245.22, currency: 'USD' } }).output).toBe(true);
  });
});

describe('refused DMN', () => {
  it('given invalid FEEL in a rule cell, when parsed, then the error names the decision, rule, row and entry', () => {
    const err = dmnError(() => parseDmn(fixture('invalid-feel-in-rule.dmn')));
    expect(err.decisionId).toBe('brokenTable');
    expect(err.elementId).toBe('broken_r2_i');
    expect(err.message).toMatch(/rule 'broken_r2' \(row 2\).*'broken_r2_i'.*Amount.*\[10\.\./);
  });


  it('given a DOCTYPE with an external entity, when parsed, then it is refused', () => {
    expect(dmnError(() => parseDmn(fixture('doctype-entity.dmn'))).message).toMatch(/DOCTYPE/);
  });

  it('given an undeclared entity reference, when parsed, then it is refused', () => {
    const xml = fixture('required-decisions.dmn').replace('gross - discount', 'gross &x; discount');
    expect(dmnError(() => parseDmn(xml)).message).toMatch(/entity '&x;'/);
  });

  it('given a BPMN file, when parsed as DMN, then it is refused as not DMN', () => {
    const bpmn = '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"/>';
    expect(dmnError(() => parseDmn(bpmn, 'x.dmn')).message).toMatch(/'x.dmn' is not a DMN file/);
  });

  it('given a requirement on a missing decision, when parsed, then it names both', () => {
    const xml = fixture('required-decisions.dmn').replace('id="vat_req"><requiredDecision href="#netAmount"', 'id="vat_req"><requiredDecision href="#gone"');
    expect(dmnError(() => parseDmn(xml)).message).toMatch(/'vat' requires decision 'gone'/);
  });
});
