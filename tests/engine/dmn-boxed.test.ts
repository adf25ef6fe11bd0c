/**
 * Issue 16's DMN findings, each against the behaviour of DMN-Scala (the engine inside Zeebe):
 * boxed expressions are evaluated, one decision the engine cannot evaluate leaves the rest of the
 * graph deployable, a COLLECT table without a match gives null, dates stay dates between decisions
 * and names with spaces and dashes are FEEL names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DmnError, evaluateDecision, parseDmn } from '../../engine/embedded/dmn/index.js';
import { prepareDmn } from '../../engine/embedded/deploy.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'dmn');
const xml = fs.readFileSync(path.join(FIXTURES, 'boxed-expressions.dmn'), 'utf8');
const drg = parseDmn(xml, 'boxed-expressions.dmn');
const inputs = { 'Monthly Income': 1000.1, 'Applicant-Age': 17, invoiceDate: '2020-12-10' };

describe('boxed expressions (DMN-Scala ContextEvaluator, ListEvaluator, RelationEvaluator, InvocationEvaluator)', () => {
  it('given a boxed context with a function definition, when evaluated, then each entry sees the ones before it', () => {
    const r = evaluateDecision(drg, 'summary', inputs);
    expect(r.output).toEqual({ 'Yearly Income': 12001.2, 'Is-Adult': false, Double: null, 'Doubled Income': 2000.2 });
    expect(r.evaluatedDecisions[0].decisionType).toBe('CONTEXT');
  });

  it('given a boxed list and a relation, when evaluated, then a list and a list of contexts', () => {
    expect(evaluateDecision(drg, 'limits', inputs).output).toEqual([100, 500.05]);
    expect(evaluateDecision(drg, 'tiers', inputs).output).toEqual([
      { tier: 'gold', rate: 0.1 },
      { tier: 'silver', rate: 0.2 },
    ]);
  });

  it('given an invocation of a business knowledge model, when evaluated, then the BKM runs with the bound parameters', () => {
    const r = evaluateDecision(drg, 'fee', inputs);
    expect(r.output).toBe(100.01);
    expect(r.evaluatedDecisions[0].decisionType).toBe('INVOCATION');
  });
});

describe('typed values between decisions', () => {
  it('given a required decision giving a date, when a table compares it with dates, then it is compared as a date', () => {
    expect(evaluateDecision(drg, 'dunningLevel', inputs).output).toBe('current');
    expect(evaluateDecision(drg, 'dunningLevel', { ...inputs, invoiceDate: '2020-11-01' }).output).toBe('archived');
  });

  it('given a date result, when handed to the process, then it is the JSON Zeebe stores, and raw it is a FEEL date', () => {
    expect(evaluateDecision(drg, 'dueDate', inputs).output).toBe('2021-01-09');
    expect(typeof evaluateDecision(drg, 'dueDate', inputs, { raw: true }).output).toBe('object');
  });
});

describe('one decision the engine cannot evaluate', () => {
  it('given a Java function definition, when the graph is parsed and deployed, then the rest deploys', () => {
    expect(drg.decisions.find((d) => d.id === 'javaScoring')?.logic.type).toBe('unsupported');
    const prepared = prepareDmn(xml, 'boxed-expressions.dmn');
    expect(prepared.decisions.map((d) => d.id)).toContain('fee');
    expect(prepared.evaluate('fee', inputs, () => 0)).toBe(100.01);
  });

  it('given that decision, when evaluated, then it fails with a message naming it', () => {
    let err: unknown;
    try {
      evaluateDecision(drg, 'javaScoring', inputs);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DmnError);
    expect((err as DmnError).decisionId).toBe('javaScoring');
    expect((err as DmnError).message).toMatch(/^Expected to evaluate decision 'javaScoring', but decision 'javaScoring' cannot be evaluated: .*kind 'Java'/);
  });
});

describe('DMN-Scala results and messages', () => {
  it('given a COLLECT table where no rule matches, when evaluated, then null, not []', () => {
    expect(evaluateDecision(drg, 'noMatchCollect', inputs).output).toBeNull();
  });

  it('given an unknown decision id, when evaluated, then DMN-Scala\'s "no decision found with id" text', () => {
    expect(() => evaluateDecision(drg, 'nope', {})).toThrow(/no decision found with id 'nope'/);
  });
});
