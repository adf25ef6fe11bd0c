/**
 * The credit update and onboarding messages are filled by the production data builder from
 * recorded facts, not sample data: a credit change booked through its release (apply-credit-change's
 * door, audited), the customer's account manager and printed invoice terms. One contract test per
 * template: every placeholder of its shipped version has a real value, none of them a sample's,
 * and the deployed processes that send them satisfy the contracts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentProblems } from '../../api/services/template-contracts.js';
import { formatMoney } from '../../domain/money.js';
import { compileTemplate, renderMessage } from '../../domain/templates/index.js';
import { checkContract, dataContract } from '../../domain/templates/contract.js';
import { library } from '../../domain/templates/library/index.js';
import { lookup } from '../../domain/templates/placeholders.js';
import { creditChangeFacts, recordApproval, release } from '../../services/controls.js';
import { seedDemoData } from '../../storage/demo-data.js';
import { seedTemplateLibrary, templateRepository } from '../../storage/templates.js';
import { buildMessageData, type Brand } from '../../workers/message-data.js';
import { startApi, type Api } from '../api/harness.js';
import { dbKinds } from '../support/db.js';

const BASE = 'http://herald.test';
const BRAND: Brand = { name: 'Herald Receivables', email: 'receivables@herald.example', phone: '+1 555 0100' };
const NOW = new Date('2026-12-04T09:00:00Z');

describe.each(await dbKinds())('credit and onboarding messages from recorded facts on %s', (kind) => {
  let api: Api;

  /** Books a credit change through its release, as apply-credit-change does, with carl's approval on the trail. */
  const book = async (customerId: string, instance: string, changeType: 'approval' | 'limit-change', newLimit: string) => {
    await api.t.db.transaction((tx) => recordApproval(tx, { actor: 'carl', subject: { kind: 'credit-change', id: instance }, level: 1, approved: true, taskKey: `t-${instance}`, processInstanceKey: instance }));
    const facts = await creditChangeFacts(api.t.db, instance, { customerId, changeType, newLimit, startedBy: ['sam'] });
    const verdict = await release(api.t.db, { facts, action: 'credit-change.book' }, (tx) => tx('customers').where({ id: customerId }).update({ credit_limit: newLimit, credit_currency: 'EUR' }));
    expect(verdict.allowed).toBe(true);
  };

  /** Renders through the builder and checks that every placeholder has a real value, none of the sample's. */
  const render = async (customerId: string, templateId: string) => {
    const built = await buildMessageData({ db: api.t.db, now: () => NOW, baseUrl: BASE, company: BRAND }, { customerId, channel: 'email', templateId, communicationId: `${customerId}-${templateId}` }, 'en');
    const version = await templateRepository(api.t.db).usable(templateId, 'en');
    const compiled = await compileTemplate(version!);
    const contract = dataContract(compiled);
    expect(checkContract(contract, built.data), `${templateId}: placeholders the builder left empty`).toEqual([]);
    const sample = library.find((t) => t.templateId === templateId)!.sampleData;
    const fromSample = contract.paths.filter((p) => !/^(company|customer)\./.test(p) && lookup(sample, p.split('.')) !== undefined && String(lookup(built.data, p.split('.'))) === String(lookup(sample, p.split('.'))));
    expect(fromSample, `${templateId}: values equal to the sample data's`).toEqual([]);
    const out = renderMessage(compiled, built.data, { locale: 'en' });
    expect(`${out.subject}\n${out.text}`).not.toMatch(/\{\{|undefined|null|NaN/);
    for (const link of [...out.html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]).filter((l) => l.startsWith(BASE))) {
      const res = await api.app.inject({ method: 'GET', url: link.slice(BASE.length) });
      expect(res.statusCode, `${link} answers ${res.statusCode}`).toBeLessThan(400);
    }
    return out;
  };

  beforeAll(async () => {
    api = await startApi(kind);
    await seedDemoData(api.t.db);
    await seedTemplateLibrary(api.t.db);
  }, 120_000);
  afterAll(async () => api?.close());

  it('credit-approval states the limit as booked, the terms printed on the customer’s invoices, the booking day and the annual review', async () => {
    await api.t.db('invoices').insert({ id: 'INV-ACC-1', customer_id: 'C-ACME', number: 'ACC-1', amount: '100.00', currency: 'USD', issued_at: '2026-11-01', due_at: '2026-12-01', status: 'open', payment_terms: 'net 45 days' });
    await book('C-ACME', 'credit-approval-1', 'approval', '60000.00');
    const out = await render('C-ACME', 'credit-approval');
    expect(out.text).toContain(`with a limit of ${formatMoney('60000.00', 'EUR', 'en')} on net 45 days payment terms`);
    expect(out.text).toMatch(/Next review:? December \d+, 2027/);
  });

  it('credit-limit-change states the limit it replaced (from the booking’s release), the new one and why', async () => {
    await book('C-ACME', 'credit-change-2', 'approval', '61000.00');
    const before = '61000.00';
    await book('C-ACME', 'credit-change-3', 'limit-change', '40000.00');
    const out = await render('C-ACME', 'credit-limit-change');
    // effective the day the change was booked (the release on the audit trail), not the day of writing
    const at = (await api.t.db('audit_log').where({ action: 'credit-change.book', subject_id: 'credit-change-3' }).first('at')).at;
    const booked = new Intl.DateTimeFormat('en', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(at));
    expect(out.text).toContain(`changes from ${formatMoney(String(before), 'EUR', 'en')} to ${formatMoney('40000.00', 'EUR', 'en')}, effective ${booked}`);
    expect(out.text).toContain('Reason for the change: the outcome of our periodic credit review');
  });

  it('welcome and account-setup name the account manager and a setup deadline, with working links', async () => {
    const manager = (await api.t.db('customers').where({ id: 'C-ACME' }).first('account_manager')).account_manager as string | null;
    const welcome = await render('C-ACME', 'welcome');
    if (manager) expect(welcome.text).toContain(`Your account manager is ${(await api.t.db('users').where({ id: manager }).first('name'))?.name}`);
    const setup = await render('C-ACME', 'account-setup');
    expect(setup.subject).toBe('Finish setting up your account by December 18, 2026');
  });

  it('the shipped credit-update and customer-onboarding processes satisfy every contract they send', async () => {
    const dir = path.resolve(import.meta.dirname, '../../processes');
    const resources = ['credit-update.bpmn', 'customer-onboarding.bpmn'].map((name) => ({ name, content: fs.readFileSync(path.join(dir, name), 'utf8') }));
    expect(await deploymentProblems(api.t.db, resources)).toEqual([]);
  });
});
