/**
 * The template library API: list, preview (escaping, refusals that name the problem), draft,
 * submit, approve under segregation of duties, every decision in the audit trail.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditRepository } from '../../storage/repositories/audit.js';
import { createIdentityRepository } from '../../storage/repositories/identity.js';
import { seedTemplateLibrary, templateRepository } from '../../storage/templates.js';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from './harness.js';

const MJML = (inner: string) => `<mjml><mj-body><mj-section><mj-column><mj-text>${inner}</mj-text></mj-column></mj-section></mj-body></mjml>`;
let unique = 0;
const templateId = (name: string) => `tapi-${name}-${++unique}`;

describe.each(await dbKinds())('templates API on %s', (kind) => {
  let api: Api;
  const http = () => request(api.app.server);
  /** Tess writes templates and approves others' (analyst and approver): only SoD stops her approving her own. */
  let tess: { Authorization: string };

  beforeAll(async () => {
    api = await startApi(kind);
    await seedTemplateLibrary(api.t.db);
    const identity = createIdentityRepository(api.t.db);
    await identity.upsertUser({ id: 'tess', name: 'Tess (analyst and approver)', roles: ['analyst', 'approver'], approverLevel: 1, teams: [] });
    tess = { Authorization: `Bearer ${await identity.issueToken('tess', 'templates-api test')}` };
  });
  afterAll(async () => {
    await api?.close();
  });

  const audit = (id: string, version: number) => createAuditRepository(api.t.db).list({ subjectType: 'template-version', subjectId: `${id}@${version}` });
  const draft = (id: string, who: Record<string, string>, body: Record<string, unknown> = {}) =>
    http().post(`/api/templates/${id}/versions`).set(who).send({ subject: 'Hello {{customer.name}}', mjml: MJML('Dear {{customer.name}}'), sampleData: { customer: { name: 'Acme' } }, ...body });

  describe('reading the library', () => {
    it('lists every library template with its usable version, including request-information-needed', async () => {
      const res = await http().get('/api/templates').set(api.as('ada'));
      expect(res.status).toBe(200);
      const info = res.body.find((t: { templateId: string; locale: string }) => t.templateId === 'request-information-needed' && t.locale === 'en');
      expect(info).toMatchObject({ locale: 'en', kind: 'transactional', latest: 1, latestStatus: 'approved', usable: 1 });
      expect(res.body.find((t: { templateId: string; locale: string }) => t.templateId === 'invoice-notice' && t.locale === 'de')).toMatchObject({ latest: 1 });
      // customers do not read the library
      expect((await http().get('/api/templates').set(api.as('acme'))).status).toBe(403);
    });

    it("lists a template's versions with their MJML and sample data; an unknown one is 404", async () => {
      const res = await http().get('/api/templates/payment-reminder-1/versions').set(api.as('alice'));
      expect(res.status).toBe(200);
      expect(res.body[0]).toMatchObject({ templateId: 'payment-reminder-1', version: 1, status: 'approved', author: 'ada', approvedBy: 'carl', usable: true });
      expect(res.body[0].mjml).toContain('<mjml');
      expect(res.body[0].sampleData.invoice.number).toBe('INV-2025-0142');
      expect((await http().get('/api/templates/no-such-template/versions').set(api.as('alice'))).status).toBe(404);
    });
  });

  describe('preview', () => {
    it('escapes markup in the data: a <script> in a value arrives as text', async () => {
      const res = await http()
        .post('/api/templates/preview')
        .set(api.as('ada'))
        .send({ subject: 'For {{customer.name}}', mjml: MJML('Dear {{customer.name}}'), data: { customer: { name: '<script>alert(1)</script>' } } });
      expect(res.status).toBe(200);
      expect(res.body.html).not.toContain('<script>alert(1)</script>');
      expect(res.body.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(res.body.subject).toBe('For <script>alert(1)</script>');
      expect(res.body.placeholders).toEqual(['customer.name']);
    });

    it.each([
      ['mj-include', { mjml: '<mjml><mj-body><mj-include path="./header.mjml" /></mj-body></mjml>' }, 'MJ_INCLUDE', 'body.mjml', /mj-include is not allowed/],
      ['mj-raw', { mjml: '<mjml><mj-body><mj-raw><b>x</b></mj-raw></mj-body></mjml>' }, 'MJ_RAW', 'body.mjml', /mj-raw is not allowed/],
      ['a raw HTML placeholder', { mjml: MJML('{{{customer.name}}}') }, 'RAW_PLACEHOLDER', 'body.mjml', /unescaped HTML/],
      ['a javascript: link', { mjml: '<mjml><mj-body><mj-section><mj-column><mj-button href="javascript:alert(1)">Pay</mj-button></mj-column></mj-section></mj-body></mjml>' }, 'UNSAFE_LINK', 'body.mjml', /javascript: links are not allowed/],
      ['MJML that does not compile', { mjml: '<mjml><mj-body><mj-section><mj-text>no column</mj-text></mj-section></mj-body></mjml>' }, 'MJML_INVALID', 'body.mjml', /MJML does not compile/],
      ['a bad placeholder in the subject', { subject: 'Hi {{customer.name | shout}}' }, 'UNKNOWN_FORMATTER', 'body.subject', /shout/],
    ])('refuses %s with 422 naming the rule and the field', async (_what, patch, code, field, title) => {
      const res = await http()
        .post('/api/templates/preview')
        .set(api.as('ada'))
        .send({ subject: 'Hi', mjml: MJML('Hello'), data: { customer: { name: 'x' } }, ...patch });
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code, field });
      expect(res.body.title).toMatch(title);
    });

    it('names a placeholder the data lacks, and a link in the data that is not http(s)', async () => {
      const missing = await http().post('/api/templates/preview').set(api.as('ada')).send({ subject: 'Hi', mjml: MJML('Due {{invoice.dueDate | date}}'), data: {} });
      expect(missing.status).toBe(422);
      expect(missing.body).toMatchObject({ code: 'MISSING_PLACEHOLDER', field: 'body.data.invoice.dueDate' });
      const link = await http()
        .post('/api/templates/preview')
        .set(api.as('ada'))
        .send({ subject: 'Hi', mjml: '<mjml><mj-body><mj-section><mj-column><mj-button href="{{links.pay}}">Pay</mj-button></mj-column></mj-section></mj-body></mjml>', data: { links: { pay: 'javascript:alert(1)' } } });
      expect(link.status).toBe(422);
      expect(link.body).toMatchObject({ code: 'TEMPLATE_DATA', field: 'body.data.links.pay' });
      expect(link.body.title).toMatch(/only http\(s\) links/);
    });

    it('renders request-information-needed with the data customer-request sends (the list of missing data and the question in words)', async () => {
      const version = (await templateRepository(api.t.db).versions('request-information-needed')).find((v) => v.locale === 'en')!;
      const res = await http()
        .post('/api/templates/preview')
        .set(api.as('sam'))
        .send({
          templateId: version.templateId,
          subject: version.subject,
          mjml: version.mjml,
          // ask-customer's data, merged by render-communication with company, customer and links
          data: { reference: 'REQ-0A1B2C3D', infoNeeded: ['invoiceNumber'], question: 'Please tell us the number of the invoice your request concerns.', company: { name: 'Herald Finance', email: 'ar@herald.example', phone: '+1 555 0100' }, customer: { name: 'Acme', contactName: 'Dana' }, links: { portal: 'https://portal.example/' } },
        });
      expect(res.status).toBe(200);
      expect(res.body.subject).toBe('Your request REQ-0A1B2C3D: we need more information');
      expect(res.body.text).toContain('REQ-0A1B2C3D');
      expect(res.body.text).toContain('Please tell us the number of the invoice your request concerns.');
      expect(res.body.html).toContain('href="https://portal.example/"');
    });

    it('answers 413 for an oversized body and 400 naming the field for a malformed one', async () => {
      const big = await http().post('/api/templates/preview').set(api.as('ada')).send({ subject: 'Hi', mjml: MJML('x'.repeat(600 * 1024)) });
      expect(big.status).toBe(413);
      expect(big.headers['content-type']).toContain('application/problem+json');
      const bad = await http().post('/api/templates/preview').set(api.as('ada')).send({ subject: 'Hi' });
      expect(bad.status).toBe(400);
      expect(bad.body.field).toBe('body.mjml');
    });
  });

  describe('draft, submit, approve', () => {
    it('refuses the author approving her own version (403 naming the rule, audited); another approver makes it usable', async () => {
      const id = templateId('sod');
      // given ada drafts version 1 and submits it
      const drafted = await draft(id, api.as('ada'));
      expect(drafted.status).toBe(201);
      expect(drafted.body).toMatchObject({ templateId: id, version: 1, status: 'draft', author: 'ada', usable: false });
      const early = await http().post(`/api/templates/${id}/versions/1/approval`).set(api.as('alice'));
      expect(early.status).toBe(409);
      expect(early.body.title).toMatch(/draft/);
      const submitted = await http().post(`/api/templates/${id}/versions/1/submission`).set(api.as('ada'));
      expect(submitted.status).toBe(200);
      expect(submitted.body).toMatchObject({ status: 'submitted', by: 'ada', locales: ['en'] });
      // when ada approves it herself
      const own = await http().post(`/api/templates/${id}/versions/1/approval`).set(api.as('ada'));
      // then refused, naming the rule, and the refusal is in the audit trail
      expect(own.status).toBe(403);
      expect(own.headers['content-type']).toContain('application/problem+json');
      expect(own.body.rule).toBe('author-not-approver');
      expect(own.body.title).toMatch(/ada authored template-version/);
      expect((await templateRepository(api.t.db).usable(id, 'en'))).toBeUndefined();
      // when alice, an approver who did not write it, approves
      const approved = await http().post(`/api/templates/${id}/versions/1/approval`).set(api.as('alice'));
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ status: 'approved', by: 'alice' });
      // then it is the version messages use
      expect(await templateRepository(api.t.db).usable(id, 'en')).toMatchObject({ version: 1, approvedBy: 'alice', author: 'ada' });
      const versions = await http().get(`/api/templates/${id}/versions`).set(api.as('ada'));
      expect(versions.body[0]).toMatchObject({ status: 'approved', approvedBy: 'alice', usable: true });
      expect(versions.body[0].approvedAt).toBeTruthy();
      expect((await http().post(`/api/templates/${id}/versions/1/approval`).set(api.as('bob'))).status).toBe(409);
      // and every decision is on the hash-chained trail, in order
      const trail = await audit(id, 1);
      expect(trail.map((r) => `${r.action}:${r.actor}:${r.outcome}:${r.rule ?? ''}`)).toEqual([
        'template.version.drafted:ada:done:',
        'template.version.submitted:ada:done:',
        'template.version.approve:ada:refused:author-not-approver',
        'template.version.approve:alice:allowed:',
      ]);
      expect(trail[3].id).toBe(approved.body.auditId);
      expect((await createAuditRepository(api.t.db).verify()).ok).toBe(true);
    });

    it('refuses an author who also holds the approver role; compliance may approve', async () => {
      const id = templateId('tess');
      expect((await draft(id, tess)).status).toBe(201);
      expect((await http().post(`/api/templates/${id}/versions/1/submission`).set(tess)).status).toBe(200);
      const own = await http().post(`/api/templates/${id}/versions/1/approval`).set(tess);
      expect(own.status).toBe(403);
      expect(own.body.rule).toBe('author-not-approver');
      const carl = await http().post(`/api/templates/${id}/versions/1/approval`).set(api.as('carl'));
      expect(carl.status).toBe(200);
      expect((await audit(id, 1)).filter((r) => r.outcome === 'refused').map((r) => r.actor)).toEqual(['tess']);
    });

    it('refuses approval by someone who is neither approver nor compliance (audited), and drafting by non-authors', async () => {
      const id = templateId('roles');
      expect((await draft(id, api.as('eric'))).status).toBe(201);
      await http().post(`/api/templates/${id}/versions/1/submission`).set(api.as('eric'));
      const sam = await http().post(`/api/templates/${id}/versions/1/approval`).set(api.as('sam'));
      expect(sam.status).toBe(403);
      expect(sam.body.rule).toBe('role');
      expect((await audit(id, 1)).at(-1)).toMatchObject({ actor: 'sam', outcome: 'refused', rule: 'role' });
      const byAgent = await draft(id, api.as('sam'));
      expect(byAgent.status).toBe(403);
      expect(byAgent.body.rule).toBe('role');
      expect((await http().post(`/api/templates/${id}/versions/1/approval`).set(api.as('acme'))).status).toBe(403);
    });

    it('numbers versions on, keeps the kind, and refuses a draft that does not compile or render its sample data', async () => {
      const id = templateId('versions');
      expect((await draft(id, api.as('ada'), { kind: 'dunning' })).body.version).toBe(1);
      const second = await draft(id, api.as('ada'), { subject: 'Second {{customer.name}}' });
      expect(second.body).toMatchObject({ version: 2, kind: 'dunning', subject: 'Second {{customer.name}}' });
      const kindChange = await draft(id, api.as('ada'), { kind: 'marketing' });
      expect(kindChange.status).toBe(409);
      expect(kindChange.body.field).toBe('body.kind');
      const broken = await draft(id, api.as('ada'), { mjml: MJML('{{{customer.name}}}') });
      expect(broken.status).toBe(422);
      expect(broken.body.code).toBe('RAW_PLACEHOLDER');
      const unfilled = await draft(id, api.as('ada'), { mjml: MJML('{{invoice.number}}'), sampleData: { customer: { name: 'Acme' } } });
      expect(unfilled.status).toBe(422);
      expect(unfilled.body.field).toBe('body.data.invoice.number');
      const status = await draft(id, api.as('ada'), { status: 'approved' });
      expect(status.status).toBe(400);
      expect(status.body.field).toBe('body.status');
      // refused drafts left nothing behind
      expect((await templateRepository(api.t.db).versions(id)).map((v) => v.version)).toEqual([2, 1]);
    });
  });
});
