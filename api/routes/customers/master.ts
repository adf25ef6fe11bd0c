/**
 * The customer master as Herald knows it: GET /api/customers, GET /api/customers/:id with contacts,
 * consent history, invoices and communications, and a data steward's correction (PATCH), which goes
 * through the one customer-master door and is audited with its reason. A customer sees only
 * itself (another customer's id is 404).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { communicationRepository } from '../../../storage/communications.js';
import { customerRepository } from '../../../storage/customers.js';
import type { Db } from '../../../storage/db.js';
import { principal } from '../../plugins/app/auth.js';
import { notFound } from '../../plugins/problem.js';
import { authProblems, Problem } from '../../schemas/common.js';
import { CorrectionResult, CustomerCorrection, CustomerDetail, CustomerListQuery, CustomerParams, CustomerSummary } from '../../schemas/customers.js';
import { customerMaster } from '../../services/customer-master.js';

const STAFF = ['analyst', 'engineer', 'approver', 'agent', 'data-steward', 'compliance', 'admin'] as const;
const STEWARDS = ['data-steward', 'admin'] as const;

export async function customerMasterRoutes(app: FastifyInstance, opts: { db: Db }): Promise<void> {
  const { db } = opts;
  const customers = customerRepository(db);
  const isStaff = (roles: string[]) => STAFF.some((r) => roles.includes(r));

  app.get(
    '/api/customers',
    { schema: { tags: ['customers'], summary: 'The customer master: customers with their risk, locale and open invoices', querystring: CustomerListQuery, response: { 200: Type.Array(CustomerSummary), 400: Problem, ...authProblems } } },
    async (request) => {
      const who = principal(request);
      const all = await customers.list((request.query as CustomerListQuery).limit ?? 200);
      const visible = isStaff(who.roles) ? all : all.filter((c) => c.id === who.customerId);
      return visible.map((c) => ({ id: c.id, legalName: c.legalName, status: c.status, kycStatus: c.kycStatus, kycExpiresAt: c.kycExpiresAt ?? null, riskSegment: c.riskSegment, locale: c.locale, accountManager: c.accountManager ?? null, openInvoices: c.openInvoices }));
    },
  );

  app.get(
    '/api/customers/:id',
    { schema: { tags: ['customers'], summary: 'One customer: contacts, consent history, invoices (with terms) and communications', params: CustomerParams, response: { 200: CustomerDetail, 400: Problem, 404: Problem, ...authProblems } } },
    async (request) => {
      const who = principal(request);
      const { id } = request.params as { id: string };
      if (!isStaff(who.roles) && who.customerId !== id) throw notFound('customer');
      const c = await customers.get(id);
      if (!c) throw notFound('customer');
      const [contacts, consentHistory, invoices, communications] = await Promise.all([customers.contacts(id), customers.consentHistory(id), customers.invoices(id), communicationRepository(db).listForCustomer(id, 200)]);
      return {
        id: c.id,
        legalName: c.legalName,
        status: c.status,
        kycStatus: c.kycStatus,
        kycExpiresAt: c.kycExpiresAt ?? null,
        riskSegment: c.riskSegment,
        locale: c.locale,
        accountManager: c.accountManager ?? null,
        portalUser: c.portalUser ?? null,
        contacts: contacts.map((k) => ({ channel: k.channel, address: k.address, displayName: k.displayName ?? null, consent: k.consent, marketingConsent: k.marketingConsent })),
        consentHistory,
        invoices: invoices.map((i) => ({ id: i.id, number: i.number, amount: i.amount, currency: i.currency, issueDate: i.issuedAt, dueDate: i.dueAt, paymentTerms: i.paymentTerms, status: i.status })),
        communications: communications.map((m) => ({ id: m.id, templateId: m.templateId, channel: m.channel, kind: m.kind, status: m.status, subject: m.subject ?? null })),
      };
    },
  );

  app.patch(
    '/api/customers/:id',
    {
      bodyLimit: 16 * 1024,
      config: { roles: [...STEWARDS] },
      schema: { tags: ['customers'], summary: 'Correct the customer master (data stewards): contacts, consent, locale, risk, KYC; audited with the reason', params: CustomerParams, body: CustomerCorrection, response: { 200: CorrectionResult, 400: Problem, 404: Problem, ...authProblems } },
    },
    async (request) => {
      const who = principal(request);
      const { id } = request.params as { id: string };
      const body = request.body as CustomerCorrection;
      const result = await customerMaster({ db }).change({ actor: who.id, customerId: id, changes: body.changes, reason: body.reason, source: 'steward' });
      return { customerId: id, fields: result.fields, consent: result.consent };
    },
  );
}
