/**
 * A task's form is the allow-list of what completing it may set: the rules on their own, then
 * through the tasklist door on the embedded engine with processes/customer-onboarding and the
 * form it links (resolved by formId to the latest version deployed).
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredOutputs, validateAgainstForm } from '../../api/services/form-validation.js';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from './harness.js';

const processes = path.resolve(import.meta.dirname, '../../processes');
const read = (name: string) => fs.readFileSync(path.join(processes, name), 'utf8');

const form = (components: object[]) => JSON.stringify({ id: 'forms-test', type: 'default', schemaVersion: 18, components });
const decision = form([
  { type: 'text', id: 't', text: 'Amount: {{amount}}' },
  { type: 'radio', key: 'approved', values: [{ label: 'Approve', value: true }, { label: 'Reject', value: false }], validate: { required: true } },
  { type: 'textarea', key: 'rejectionReason', validate: { required: true }, conditional: { hide: '=approved != false' } },
  { type: 'textfield', key: 'shownOnly', readonly: true },
  { type: 'textfield', key: 'off', disabled: true },
  { type: 'group', path: 'address', components: [{ type: 'textfield', key: 'street' }] },
]);

describe('validateAgainstForm', () => {
  it('accepts what the form asks for, with a reason only where the form shows one', () => {
    expect(validateAgainstForm(decision, { approved: true })).toBeUndefined();
    expect(validateAgainstForm(decision, { approved: false, rejectionReason: 'wrong amount' })).toBeUndefined();
    expect(validateAgainstForm(decision, { approved: true, address: { street: 'Main St' } })).toBeUndefined();
  });

  it.each([
    [{}, 'variables.approved', /required/],
    [{ approved: 'yes' }, 'variables.approved', /one of true, false/],
    [{ approved: false }, 'variables.rejectionReason', /required/],
    [{ approved: true, rejectionReason: 'sneaked in' }, 'variables.rejectionReason', /hidden by the form here \(approved != false\)/],
    [{ approved: true, amount: '1.00' }, 'variables.amount', /set by Herald/],
    [{ approved: true, approvalLevels: 1 }, 'variables.approvalLevels', /set by Herald/],
    [{ approved: true, approvedBy2: 'x' }, 'variables.approvedBy2', /set by Herald/],
    [{ approved: true, riskOverride: true }, 'variables.riskOverride', /not a field of the task's form \(fields: approved, rejectionReason, address\)/],
    [{ approved: true, shownOnly: 'x' }, 'variables.shownOnly', /cannot be set \(disabled, read-only or computed\)/],
    [{ approved: true, off: 'x' }, 'variables.off', /cannot be set/],
    [{ approved: true, street: 'x' }, 'variables.street', /not a field/],
    [{ approved: true, address: 'Main St' }, 'variables.address', /must be an object/],
  ])('refuses %j naming %s', (variables, field, message) => {
    const v = validateAgainstForm(decision, variables as Record<string, unknown>);
    expect(v?.field).toBe(field);
    expect(v?.message).toMatch(message);
  });

  it('lets a task without a form set nothing, or only the outputs its herald:outputs header declares', () => {
    expect(validateAgainstForm(null, {})).toBeUndefined();
    expect(validateAgainstForm(null, { note: 'x' })).toEqual({ field: 'variables.note', message: expect.stringMatching(/no form and declares no outputs/) });
    const outputs = declaredOutputs({ approvalLevel: '1', 'herald:outputs': ' note, approved ' });
    expect(outputs).toEqual(['note', 'approved']);
    expect(validateAgainstForm(null, { note: 'x', approved: true }, outputs)).toBeUndefined();
    expect(validateAgainstForm(null, { other: 1 }, outputs)).toEqual({ field: 'variables.other', message: expect.stringMatching(/not an output the task declares \(herald:outputs: note, approved\)/) });
    expect(validateAgainstForm(null, { workedBy: 'me' }, ['workedBy'])?.message).toMatch(/set by Herald/);
    expect(declaredOutputs({})).toBeUndefined();
    // an approval task without a form may set its decision, as Herald's tasklist asks for it, and nothing else
    const approval = declaredOutputs({ approvalLevel: '2' });
    expect(validateAgainstForm(null, { approved: false, rejectionReason: 'wrong amount' }, approval)).toBeUndefined();
    expect(validateAgainstForm(null, { approved: true, note: 'x' }, approval)?.field).toBe('variables.note');
    expect(validateAgainstForm(null, { approved: true, approvalLevels: 1 }, approval)?.field).toBe('variables.approvalLevels');
  });

  it('offers each process form its own decision: the dispute review asks either for a credit or an answer, never both', () => {
    const review = read('invoice-review.form');
    expect(validateAgainstForm(review, { adjustmentAmount: '12500.00', adjustmentReason: 'contract price' })).toBeUndefined();
    expect(validateAgainstForm(review, { answer: 'the invoice matches the order' })).toBeUndefined();
    expect(validateAgainstForm(review, { needCustomerInfo: true, infoNeeded: 'which order?' })).toBeUndefined();
    expect(validateAgainstForm(review, { adjustmentAmount: '12500.00', answer: 'and also this' })?.field).toBe('variables.answer');
    expect(validateAgainstForm(review, { adjustmentAmount: '12,500' })?.field).toBe('variables.adjustmentAmount');
    expect(validateAgainstForm(review, { needCustomerInfo: true })?.field).toBe('variables.infoNeeded');
    expect(validateAgainstForm(review, { needCustomerInfo: true, infoNeeded: 'x', adjustmentAmount: '1.00' })?.field).toBe('variables.adjustmentAmount');
  });
});

describe.each(await dbKinds())('linked forms through the tasklist on %s', (kind) => {
  let api: Api;
  const http = () => request(api.app.server);
  beforeAll(async () => {
    api = await startApi(kind);
    await api.engine.deploy([
      { name: 'customer-onboarding.bpmn', content: read('customer-onboarding.bpmn') },
      { name: 'kyc-review.form', content: read('kyc-review.form') },
    ]);
    // KYC cannot be cleared automatically, so compliance reviews it
    api.engine.createWorker({ type: 'verify-kyc', handler: async () => ({ outcome: 'complete', variables: { kycStatus: 'pending', kycExpiresAt: null } }) });
  });
  afterAll(async () => {
    await api?.close();
  });

  async function reviewTask(customerId: string) {
    const pik = (await api.engine.createInstance({ bpmnProcessId: 'customer-onboarding', variables: { customerId, channel: 'email' } })).processInstanceKey;
    const task = await api.task(pik, 'review-kyc');
    expect((await http().post(`/api/tasks/${task.key}/claim`).set(api.as('carl'))).status).toBe(200);
    return task;
  }

  it('gives the task the form it links by formId, and refuses what the form does not offer (400 naming the variable)', async () => {
    // given compliance's KYC review, linked to kyc-review.form
    const task = await reviewTask('C-FORMS-1');
    expect(JSON.parse(task.form!)).toMatchObject({ id: 'kyc-review' });
    const complete = (variables: Record<string, unknown>) => http().post(`/api/tasks/${task.key}/completion`).set(api.as('carl')).send({ variables });
    // when carl sends a control variable, a field the form lacks, or leaves out a required one
    for (const [variables, field] of [
      [{ kycAccepted: true, kycDecisionNote: 'ok', approvalLevels: 0 }, 'variables.approvalLevels'],
      [{ kycAccepted: true, kycDecisionNote: 'ok', kycStatus: 'verified' }, 'variables.kycStatus'],
      [{ kycAccepted: true }, 'variables.kycDecisionNote'],
      [{ kycAccepted: 'yes', kycDecisionNote: 'ok' }, 'variables.kycAccepted'],
    ] as const) {
      const res = await complete(variables);
      // then each is refused naming the variable, and the task stays open
      expect(res.status, JSON.stringify(variables)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.field).toBe(field);
    }
    expect((await http().get(`/api/tasks/${task.key}`).set(api.as('carl'))).body.state).toBe('CREATED');
    // and what the form asks for completes it
    const ok = await complete({ kycAccepted: false, kycDecisionNote: 'registry extract does not match' });
    expect(ok.status).toBe(200);
  });

  it('resolves the linked form to the latest version deployed', async () => {
    // given a second version of kyc-review with one more field
    const v2 = JSON.parse(read('kyc-review.form'));
    v2.components.push({ type: 'textfield', id: 'Textfield_kyc_v2', key: 'kycReference', label: 'Registry reference' });
    const deployed = await api.engine.deploy([{ name: 'kyc-review.form', content: JSON.stringify(v2) }]);
    expect(deployed.forms[0]).toMatchObject({ formId: 'kyc-review', version: 2, duplicate: false });
    // when a new review task is created
    const task = await reviewTask('C-FORMS-2');
    // then it carries version 2 (and its key), and version 2's field may be set
    expect(task.form).toContain('kycReference');
    const done = await http()
      .post(`/api/tasks/${task.key}/completion`)
      .set(api.as('carl'))
      .send({ variables: { kycAccepted: false, kycDecisionNote: 'no registry match', kycReference: 'HRB 1234' } });
    expect(done.status).toBe(200);
  });
});
