/**
 * The classification, priority and SLA tables as analysts wrote them, through the embedded DMN
 * evaluator; and the pure request rules: approval chains, segregation of duties, SLA arithmetic,
 * metrics.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateDecision, parseDmn } from '../../engine/embedded/dmn/index.js';
import { addAmounts, approvalChain, informationQuestion, slaDeadlines, subtractAmounts } from '../../domain/requests/policy.js';
import { checkSod, type DutyRecord } from '../../domain/sod/index.js';
import { requestMetrics } from '../../domain/requests/metrics.js';

const dmn = (name: string) => parseDmn(fs.readFileSync(path.resolve(import.meta.dirname, '../../processes', name), 'utf8'), name);
const classification = dmn('customer-request-classification.dmn');
const priority = dmn('customer-request-priority.dmn');
const classify = (v: Record<string, unknown>) => evaluateDecision(classification, 'customer-request-classification', { triagedCategory: null, statedCategory: null, invoiceId: null, body: '', ...v }).output;

describe('classification table', () => {
  it.each([
    [{ subject: 'Invoice 2026-0199 discrepancy', body: 'list price instead of contract price' }, 'billing-dispute'],
    [{ subject: 'Overcharged', body: null }, 'billing-dispute'],
    [{ subject: 'Refund please', body: 'we paid twice' }, 'refund-adjustment'],
    [{ subject: 'Contract amendment', body: 'reduce volume' }, 'refund-adjustment'],
    [{ subject: 'Payment plan', body: 'three instalments' }, 'credit-restructuring'],
    [{ subject: 'Did you receive our payment?', body: '' }, 'payment-clarification'],
    [{ subject: 'Hello', body: 'call me', invoiceId: 'INV-1' }, 'billing-dispute'],
    [{ subject: 'Hello', body: 'call me' }, 'unclassified'],
    [{ subject: 'Hello', statedCategory: 'credit-restructuring' }, 'credit-restructuring'],
    [{ subject: 'Refund', statedCategory: 'payment-clarification' }, 'payment-clarification'],
    [{ subject: 'Hello', triagedCategory: 'refund-adjustment' }, 'refund-adjustment'],
  ])('%j → %s', (vars, expected) => {
    expect(classify(vars)).toBe(expected);
  });
});

describe('priority and SLA tables', () => {
  const prio = (category: string, requestAmount: string | null, riskSegment: string, ageDays: number) => evaluateDecision(priority, 'customer-request-priority', { category, requestAmount, riskSegment, ageDays }).output;
  it.each([
    ['credit-restructuring', null, 'high', 0, 'critical'],
    ['payment-clarification', '75000.00', 'low', 0, 'critical'],
    ['billing-dispute', '25000.00', 'low', 21, 'high'],
    ['refund-adjustment', '10000.00', 'medium', 0, 'high'],
    ['payment-clarification', '500.00', 'high', 45, 'high'],
    ['credit-restructuring', null, 'low', 0, 'high'],
    ['payment-clarification', '1000.00', 'low', 0, 'medium'],
    ['payment-clarification', null, 'low', 61, 'medium'],
    ['billing-dispute', '800.00', 'high', 5, 'medium'],
    ['payment-clarification', '999.99', 'medium', 10, 'low'],
    ['unclassified', null, 'medium', 0, 'low'],
  ])('%s, %s, %s risk, %i days → %s', (category, amount, risk, age, expected) => {
    expect(prio(category, amount, risk, age)).toBe(expected);
  });
  it('gives each priority its reminder and escalation', () => {
    const sla = (p: string) => evaluateDecision(priority, 'customer-request-sla', { priority: p }).output;
    expect(sla('critical')).toEqual({ reminderAfter: 'PT4H', escalateAfter: 'PT8H' });
    expect(sla('high')).toEqual({ reminderAfter: 'P1D', escalateAfter: 'P2D' });
    expect(sla('medium')).toEqual({ reminderAfter: 'P2D', escalateAfter: 'P4D' });
    expect(sla('low')).toEqual({ reminderAfter: 'P3D', escalateAfter: 'P7D' });
  });
});

describe('approval chains', () => {
  it('corrections: none up to 1,000, a finance lead above, four eyes above 10,000', () => {
    expect(approvalChain('correction', '1000.00')).toEqual([]);
    expect(approvalChain('correction', '1000.01').map((s) => s.group)).toEqual(['finance-lead']);
    expect(approvalChain('correction', '12500.00').map((s) => s.group)).toEqual(['finance-lead', 'finance-controller']);
  });
  it('refunds: a service lead, then finance, then the controllers (two levels at most)', () => {
    expect(approvalChain('refund', '200.00').map((s) => s.group)).toEqual(['customer-service-lead']);
    expect(approvalChain('refund', '7800.00').map((s) => s.group)).toEqual(['customer-service-lead', 'finance-lead']);
    expect(approvalChain('contract', '30000.00').map((s) => s.group)).toEqual(['finance-lead', 'finance-controller']);
  });
});

describe('segregation of duties on requests and adjustments (rows of the one policy table)', () => {
  // the facts as services/controls reads them from the database: the requester, the account manager, the proposer
  const people: DutyRecord[] = [
    { actor: 'agent-a', duty: 'initiate' },
    { actor: 'sam', duty: 'manage' },
  ];
  const refund = { kind: 'adjustment' as const, id: 'adj-1', type: 'refund', amount: '7800.00', required: 2 };
  const work = (id: string, groups: string[], candidateGroups = ['finance']) => checkSod({ actor: { id, groups }, duty: 'work', subject: { kind: 'request', id: 'r-1' }, history: people, task: { candidateGroups } });
  const approve = (id: string, groups: string[], history: DutyRecord[], subject = refund, level = 1) =>
    checkSod({ actor: { id, groups }, duty: 'approve', subject, history: [...people, { actor: 'ravi', duty: 'propose' }, ...history], task: { candidateGroups: groups }, level });
  it('refuses the requester, the proposer, a second level by the first approver, the account manager on refunds, and outsiders', () => {
    expect(work('agent-a', ['finance'])).toMatchObject({ allowed: false, rule: 'requester-not-resolver' });
    expect(approve('ravi', ['finance-lead'], [])).toMatchObject({ allowed: false, rule: 'proposer-not-approver' });
    expect(approve('lena', ['finance-controller'], [{ actor: 'lena', duty: 'approve', level: 1 }], refund, 2)).toMatchObject({ allowed: false, rule: 'distinct-approvers' });
    expect(approve('sam', ['finance-lead'], [])).toMatchObject({ allowed: false, rule: 'account-manager-not-refund-approver' });
    expect(approve('sam', ['finance-lead'], [], { ...refund, type: 'correction' })).toEqual({ allowed: true });
    expect(work('x', ['credit'])).toMatchObject({ allowed: false, rule: 'candidate-group' });
  });
  it('re-checks a finished chain before anything is applied', () => {
    const release = (history: DutyRecord[], required = 2) => checkSod({ actor: { id: 'herald:release', groups: [] }, duty: 'release', subject: { kind: 'adjustment', id: 'adj-2', type: 'correction', amount: '1200.00', required }, history: [...people, ...history] });
    const lena = { actor: 'lena', duty: 'approve' as const, level: 1 };
    expect(release([{ actor: 'fiona', duty: 'propose' }, lena, { actor: 'fiona', duty: 'approve', level: 2 }])).toMatchObject({ allowed: false, rule: 'proposer-not-approver' });
    expect(release([{ actor: 'fiona', duty: 'propose' }, lena])).toMatchObject({ allowed: false, rule: 'four-eyes' });
    // a requester who proposed the adjustment for their own request (a door that did not know them)
    expect(release([{ actor: 'agent-a', duty: 'propose' }, lena, { actor: 'carl', duty: 'approve', level: 2 }])).toMatchObject({ allowed: false, rule: 'requester-not-resolver' });
    // a rejection never counts towards release
    expect(release([{ actor: 'fiona', duty: 'propose' }, lena, { actor: 'carl', duty: 'approve', level: 2, approved: false }])).toMatchObject({ allowed: false, rule: 'four-eyes' });
    expect(release([{ actor: 'fiona', duty: 'propose' }, lena, { actor: 'carl', duty: 'approve', level: 2 }])).toEqual({ allowed: true });
  });
});

describe('SLA arithmetic, amounts and metrics', () => {
  it('counts only time not spent waiting', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    expect(slaDeadlines({ now, consumedMs: 10 * 3_600_000, reminderAfter: 'P1D', escalateAfter: 'P2D' })).toEqual({ reminderAt: '2026-12-01T14:00:00.000Z', escalateAt: '2026-12-02T14:00:00.000Z' });
    expect(slaDeadlines({ now, consumedMs: 30 * 3_600_000, reminderAfter: 'P1D', escalateAfter: 'P2D' }).reminderAt).toBe(now.toISOString());
  });
  it('asks the customer in one sentence the template can show', () => {
    expect(informationQuestion(['invoiceNumber'])).toBe('Please tell us the number of the invoice your request concerns.');
    expect(informationQuestion(['invoiceNumber', 'amount'], 'Which order?')).toBe('Please tell us the number of the invoice your request concerns and the amount in question. Which order?');
    expect(informationQuestion([], '  Which order?  ')).toBe('Which order?');
    expect(informationQuestion([], null)).toBe('Please tell us more about your request.');
  });
  it('subtracts money exactly', () => {
    expect(subtractAmounts('25000.00', '12500.00')).toBe('12500.00');
    expect(subtractAmounts('0.3', '0.1')).toBe('0.20');
    expect(subtractAmounts('100', '100.01')).toBe('-0.01');
    expect(addAmounts('12500.00', '12500.00')).toBe('25000.00');
    expect(addAmounts('0.1', '0.2')).toBe('0.30');
  });
  it('computes resolution time, backlog by team and age, breach and reopen rates', () => {
    const now = new Date('2026-12-10T00:00:00Z');
    const d = (s: string) => new Date(s);
    const m = requestMetrics(
      [
        { team: 'finance', status: 'resolved', createdAt: d('2026-12-01T00:00:00Z'), resolvedAt: d('2026-12-01T10:00:00Z'), slaBreachedAt: null, reopenCount: 0 },
        { team: 'finance', status: 'resolved', createdAt: d('2026-12-01T00:00:00Z'), resolvedAt: d('2026-12-03T06:00:00Z'), slaBreachedAt: d('2026-12-03T00:00:00Z'), reopenCount: 1 },
        { team: 'finance', status: 'in_progress', createdAt: d('2026-12-09T12:00:00Z'), resolvedAt: null, slaBreachedAt: null, reopenCount: 0 },
        { team: 'credit', status: 'waiting_customer', createdAt: d('2026-12-01T00:00:00Z'), resolvedAt: null, slaBreachedAt: null, reopenCount: 0 },
      ],
      now,
    );
    expect(m.resolved).toBe(2);
    expect(m.resolutionHours).toEqual({ mean: 32, median: 10, p90: 54 });
    expect(m.backlog).toEqual([
      { team: 'credit', open: 1, age: { '<1d': 0, '1-3d': 0, '3-7d': 0, '>7d': 1 } },
      { team: 'finance', open: 1, age: { '<1d': 1, '1-3d': 0, '3-7d': 0, '>7d': 0 } },
    ]);
    expect(m.slaBreachRate).toBe(0.5);
    expect(m.reopenRate).toBe(0.5);
    // a request reopened and running again still counts as reopened
    const again = requestMetrics([{ team: 'finance', status: 'resolved', createdAt: d('2026-12-01T00:00:00Z'), resolvedAt: d('2026-12-02T00:00:00Z'), slaBreachedAt: null, reopenCount: 0 }, { team: 'finance', status: 'in_progress', createdAt: d('2026-12-01T00:00:00Z'), resolvedAt: null, slaBreachedAt: null, reopenCount: 1 }], now);
    expect(again.reopenRate).toBe(0.5);
    expect(again.resolved).toBe(1);
  });
});
