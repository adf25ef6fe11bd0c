import { describe, expect, it } from 'vitest';
import mjml2html from 'mjml';
import {
  canUse,
  compileUncached,
  createTemplateCompiler,
  localeChain,
  MissingPlaceholderError,
  renderMessage,
  selectVersion,
  TemplateCompileError,
  TemplateDataError,
  type MjmlRender,
  type TemplateVersion,
} from '../../domain/templates/index.js';
import { library, loadLibraryVersion } from '../../domain/templates/library/index.js';

const body = (inner: string) => `<mjml><mj-body><mj-section><mj-column>${inner}</mj-column></mj-section></mj-body></mjml>`;

function version(over: Partial<TemplateVersion> = {}): TemplateVersion {
  return {
    templateId: `tpl-${Math.random().toString(36).slice(2, 8)}`,
    version: 1,
    locale: 'en',
    subject: 'Invoice {{invoice.number}}',
    mjml: body('<mj-text>Dear {{customer.name}}, you owe {{invoice.amount | money invoice.currency}} by {{invoice.dueDate | date}}.</mj-text><mj-button href="{{links.pay}}">Pay now</mj-button>'),
    kind: 'transactional',
    status: 'approved',
    author: 'ana',
    approvedBy: 'ben',
    ...over,
  };
}

const data = {
  customer: { name: 'Contoso Retail' },
  invoice: { number: 'INV-1', amount: '19600.00', currency: 'USD', dueDate: '2025-03-31' },
  links: { pay: 'https://pay.example.com/inv/1?a=1&b=2' },
};

async function refusal(v: TemplateVersion): Promise<TemplateCompileError> {
  const e = await compileUncached(v).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TemplateCompileError);
  return e as TemplateCompileError;
}

describe('compile once', () => {
  it('runs MJML once per template version and locale, however many messages are rendered', async () => {
    // given a compiler whose MJML calls are counted
    let calls = 0;
    const render: MjmlRender = (src, opts) => {
      calls++;
      return mjml2html(src, opts) as ReturnType<MjmlRender>;
    };
    const compiler = createTemplateCompiler({ render });
    const v = version();
    // when the same version is compiled for many messages, some concurrently
    const compiled = await Promise.all([compiler.compile(v), compiler.compile(v)]);
    for (let i = 0; i < 50; i++) renderMessage(await compiler.compile({ ...v }), data);
    // then MJML ran once; another locale or version compiles again
    expect(calls).toBe(1);
    expect(compiled[0]).toBe(compiled[1]);
    await compiler.compile({ ...v, locale: 'de' });
    await compiler.compile({ ...v, version: 2 });
    expect(calls).toBe(3);
    expect(compiler.compiles).toBe(3);
  });

  it('compiles again when a draft is edited in place under the same version number', async () => {
    let calls = 0;
    const compiler = createTemplateCompiler({ render: (s, o) => (calls++, mjml2html(s, o) as ReturnType<MjmlRender>) });
    const v = version({ status: 'draft' });
    await compiler.compile(v);
    const edited = await compiler.compile({ ...v, subject: 'Your invoice {{invoice.number}}' });
    expect(calls).toBe(2);
    expect(renderMessage(edited, data).subject).toBe('Your invoice INV-1');
  });
});

describe('render', () => {
  it('fills subject, HTML and a plain-text part with formatted values', async () => {
    const compiled = await compileUncached(version());
    const out = renderMessage(compiled, data);
    expect(out.subject).toBe('Invoice INV-1');
    expect(out.html).toContain('Dear Contoso Retail, you owe $19,600.00 by March 31, 2025.');
    expect(out.html).toContain('href="https://pay.example.com/inv/1?a=1&amp;b=2"');
    expect(out.html).not.toContain('{{');
    expect(out.text).toContain('Dear Contoso Retail, you owe $19,600.00 by March 31, 2025.');
    expect(out.text).toContain('Pay now (https://pay.example.com/inv/1?a=1&b=2)');
    expect(out.text).not.toMatch(/<|\{\{/);
  });

  it('counts days with their noun in the message’s language: a reminder one day late never reads "1 days overdue"', async () => {
    const v = await loadLibraryVersion('payment-reminder-2', 'en');
    const de = await loadLibraryVersion('payment-reminder-2', 'de');
    const sample = library.find((t) => t.templateId === 'payment-reminder-2')!.sampleData as Record<string, any>;
    const at = (days: number) => ({ ...sample, invoice: { ...sample.invoice, daysOverdue: days } });
    const en1 = renderMessage(await compileUncached(v), at(1), { locale: 'en' });
    expect(en1.subject).toMatch(/is 1 day overdue$/);
    expect(en1.text).toContain('is now 1 day overdue');
    expect(renderMessage(await compileUncached(v), at(12), { locale: 'en' }).text).toContain('is now 12 days overdue');
    const de1 = renderMessage(await compileUncached(de), at(1), { locale: 'de' });
    expect(de1.subject).toMatch(/ist 1 Tag überfällig$/);
    expect(de1.text).toContain('seit 1 Tag überfällig');
    const de12 = renderMessage(await compileUncached(de), at(12), { locale: 'de' });
    expect(de12.subject).toMatch(/ist 12 Tage überfällig$/);
    expect(de12.text).toContain('seit 12 Tagen überfällig');
    await expect(compileUncached({ ...v, subject: '{{invoice.daysOverdue | days genitive}}' })).rejects.toThrow(/takes only "dative"/);
    const counted = await compileUncached(version({ subject: 'Late by {{n | days}}', mjml: body('<mj-text>{{n | days}}</mj-text>') }));
    expect(() => renderMessage(counted, { n: 'soon' }, { locale: 'en' })).toThrow(/not a whole number of days/);
  });

  it('escapes HTML in values: a <script> in a customer name arrives as text', async () => {
    // given a customer name carrying markup
    const compiled = await compileUncached(version());
    const hostile = { ...data, customer: { name: '<script>alert("x")</script><img src=x onerror=alert(1)>' } };
    // when rendered
    const out = renderMessage(compiled, hostile);
    // then no tag from the data survives in the HTML, and the text part shows it verbatim
    expect(out.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(out.html).not.toContain('<script>');
    expect(out.html).not.toContain('<img src=x');
    expect(out.text).toContain('Dear <script>alert("x")</script>');
  });

  it('refuses a javascript: or data: link in the data, naming the placeholder', async () => {
    const compiled = await compileUncached(version());
    for (const pay of ['javascript:alert(1)', ' JaVaScRiPt:alert(1)', 'data:text/html,<b>x</b>', '//evil.example/x', 'https://ok.example/"onmouseover="x']) {
      expect(() => renderMessage(compiled, { ...data, links: { pay } })).toThrow(TemplateDataError);
    }
    expect(() => renderMessage(compiled, { ...data, links: { pay: 'javascript:alert(1)' } })).toThrow(/links\.pay/);
  });

  it('names the missing placeholder', async () => {
    const compiled = await compileUncached(version());
    const { dueDate: _omit, ...invoice } = data.invoice;
    const e = (() => {
      try {
        renderMessage(compiled, { ...data, invoice });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(MissingPlaceholderError);
    expect((e as MissingPlaceholderError).placeholder).toBe('invoice.dueDate');
    expect((e as Error).message).toContain('{{invoice.dueDate}}');
  });

  it('does not read inherited properties as data', async () => {
    const compiled = await compileUncached(version({ subject: 'x {{customer.constructor}}' }));
    expect(() => renderMessage(compiled, data)).toThrow(MissingPlaceholderError);
  });

  it('refuses a line break in a subject value, and objects where text goes', async () => {
    const compiled = await compileUncached(version());
    expect(() => renderMessage(compiled, { ...data, invoice: { ...data.invoice, number: 'INV-1\r\nBcc: x@evil.example' } })).toThrow(/line break/);
    expect(() => renderMessage(compiled, { ...data, customer: { name: { first: 'A' } } })).toThrow(/an object/);
  });

  it('percent-encodes placeholders inside a link with a literal https prefix', async () => {
    const compiled = await compileUncached(version({ mjml: body('<mj-button href="https://portal.example.com/invoices/{{invoice.number}}?c={{customer.name}}">Open</mj-button>') }));
    const out = renderMessage(compiled, { ...data, invoice: { number: 'INV/1"><script>' }, customer: { name: 'A&B' } });
    expect(out.html).toContain('href="https://portal.example.com/invoices/INV%2F1%22%3E%3Cscript%3E?c=A%26B"');
  });
});

describe('compile-time refusals', () => {
  it('refuses mj-include before MJML could read a file', async () => {
    let calls = 0;
    const e = await createTemplateCompiler({ render: (s, o) => (calls++, mjml2html(s, o) as ReturnType<MjmlRender>) })
      .compile(version({ mjml: '<mjml><mj-body><mj-include path="/etc/passwd" /></mj-body></mjml>' }))
      .catch((err: unknown) => err);
    expect(e).toBeInstanceOf(TemplateCompileError);
    expect((e as TemplateCompileError).rule).toBe('MJ_INCLUDE');
    expect(calls).toBe(0);
  });

  it('refuses mj-raw and raw placeholders', async () => {
    expect((await refusal(version({ mjml: body('<mj-raw><p>{{customer.name}}</p></mj-raw>') }))).rule).toBe('MJ_RAW');
    expect((await refusal(version({ mjml: body('<mj-text>{{{customer.name}}}</mj-text>') }))).rule).toBe('RAW_PLACEHOLDER');
    expect((await refusal(version({ mjml: body('<mj-text>{{& customer.name}}</mj-text>') }))).rule).toBe('RAW_PLACEHOLDER');
    expect((await refusal(version({ mjml: body('<mj-text>{{#each items}}x{{/each}}</mj-text>') }))).rule).toBe('PLACEHOLDER_SYNTAX');
    expect((await refusal(version({ mjml: body('<mj-text>{{ amount | shout }}</mj-text>') }))).rule).toBe('UNKNOWN_FORMATTER');
  });

  it('refuses static javascript: and data: links, entity-encoded or not', async () => {
    for (const href of ['javascript:alert(1)', 'jav&#x61;script:alert(1)', 'data:text/html;base64,PHNjcmlwdD4=', ' vbscript:x']) {
      const e = await refusal(version({ mjml: body(`<mj-button href="${href}">Pay</mj-button>`) }));
      expect(e.rule).toBe('UNSAFE_LINK');
    }
    const inText = await refusal(version({ mjml: body('<mj-text><a href="javascript:alert(1)">pay</a></mj-text>') }));
    expect(inText.rule).toBe('UNSAFE_LINK');
  });

  it('refuses placeholders in attributes other than links, in styles, and after a non-https prefix', async () => {
    expect((await refusal(version({ mjml: body('<mj-text color="{{brand.color}}">x</mj-text>') }))).message).toContain('{{brand.color}}');
    expect((await refusal(version({ mjml: body('<mj-text><span title="{{customer.name}}">x</span></mj-text>') }))).rule).toBe('ATTRIBUTE_PLACEHOLDER');
    expect((await refusal(version({ mjml: body('<mj-text><a href="javascript:{{x}}">x</a></mj-text>') }))).rule).toBe('UNSAFE_LINK');
    expect((await refusal(version({ mjml: '<mjml><mj-head><mj-style>.a { color: {{c}} }</mj-style></mj-head>' + body('<mj-text>x</mj-text>').slice(6) }))).rule).toBe('ATTRIBUTE_PLACEHOLDER');
    expect((await refusal(version({ mjml: body('<mj-text><a href="#" onclick="x()">x</a></mj-text>') }))).rule).toBe('UNSAFE_MARKUP');
  });
});

describe('approval and locale', () => {
  it('uses a version only after someone other than its author approved it', () => {
    expect(canUse(version({ status: 'approved', author: 'ana', approvedBy: 'ben' }))).toEqual({ ok: true });
    const self = canUse(version({ status: 'approved', author: 'ana', approvedBy: ' ANA ' }));
    expect(self.ok).toBe(false);
    expect(!self.ok && self.reason).toMatch(/its own author/);
    expect(canUse(version({ status: 'submitted', approvedBy: undefined })).ok).toBe(false);
    expect(canUse(version({ status: 'approved', approvedBy: undefined })).ok).toBe(false);
  });

  it('falls back de-CH -> de -> default, skipping versions that cannot be used', () => {
    expect(localeChain('de-CH')).toEqual(['de-CH', 'de', 'en']);
    expect(localeChain('zh_Hant_TW', 'en')).toEqual(['zh-Hant-TW', 'zh-Hant', 'zh', 'en']);
    const id = 'invoice-notice-test';
    const versions = [
      version({ templateId: id, locale: 'en', version: 3 }),
      version({ templateId: id, locale: 'de', version: 2 }),
      version({ templateId: id, locale: 'de', version: 4, status: 'draft', approvedBy: undefined }),
      version({ templateId: id, locale: 'fr', version: 5, approvedBy: 'ana' }),
    ];
    expect(selectVersion(versions, { templateId: id, locale: 'de-CH' })).toMatchObject({ version: { locale: 'de', version: 2 }, fellBack: true });
    expect(selectVersion(versions, { templateId: id, locale: 'de' })).toMatchObject({ version: { locale: 'de', version: 2 }, fellBack: false });
    // the only French version is self-approved: English it is
    expect(selectVersion(versions, { templateId: id, locale: 'fr-CA' })).toMatchObject({ version: { locale: 'en', version: 3 }, fellBack: true });
    expect(selectVersion(versions, { templateId: 'nope', locale: 'en' })).toBeUndefined();
  });
});

describe('template library', () => {
  const all = library.flatMap((t) => Object.keys(t.subjects).map((locale) => ({ t, locale })));

  it('ships every template the processes send, German for the invoice notice and first reminder', () => {
    const ids = library.map((t) => t.templateId);
    for (const id of ['invoice-notice', 'payment-reminder-1', 'payment-reminder-2', 'payment-reminder-3', 'dunning-escalation', 'payment-confirmation', 'credit-approval', 'credit-limit-change', 'welcome', 'account-setup', 'restructuring-terms', 'request-acknowledgement', 'request-resolution', 'corrected-invoice']) {
      expect(ids).toContain(id);
    }
    expect(Object.keys(library.find((t) => t.templateId === 'invoice-notice')!.subjects)).toEqual(['en', 'de']);
    expect(Object.keys(library.find((t) => t.templateId === 'payment-reminder-1')!.subjects)).toEqual(['en', 'de']);
  });

  it.each(all.map(({ t, locale }) => [`${t.templateId} (${locale})`, t, locale] as const))('%s compiles and renders its sample data', async (_name, t, locale) => {
    const compiled = await compileUncached(await loadLibraryVersion(t.templateId, locale));
    const out = renderMessage(compiled, t.sampleData);
    expect(out.html).not.toContain('{{');
    expect(out.text).not.toContain('{{');
    expect(out.subject.length).toBeGreaterThan(5);
    if (t.kind === 'dunning' || t.kind === 'legal') {
      expect(out.text).toMatch(locale === 'de' ? /nicht abmelden/ : /cannot unsubscribe/);
    }
    if (t.kind === 'marketing') expect(compiled.paths).toContain('links.unsubscribe');
    else expect(compiled.paths).not.toContain('links.unsubscribe');
  });

  it('renders the seed example: a $19,600 invoice notice in English and German', async () => {
    const t = library.find((l) => l.templateId === 'invoice-notice')!;
    const en = renderMessage(await compileUncached(await loadLibraryVersion('invoice-notice', 'en')), t.sampleData);
    const de = renderMessage(await compileUncached(await loadLibraryVersion('invoice-notice', 'de')), t.sampleData);
    expect(en.subject).toBe('Invoice INV-2025-0142: $19,600.00 due March 31, 2025');
    expect(de.subject).toBe('Rechnung INV-2025-0142: 19.600,00\u00a0$ fällig am 31. März 2025');
    expect(en.text).toContain('Amount due: $19,600.00');
  });

  it('firmer each time: the reminders escalate in tone', async () => {
    const texts = await Promise.all(
      ['payment-reminder-1', 'payment-reminder-2', 'payment-reminder-3'].map(async (id) => renderMessage(await compileUncached(await loadLibraryVersion(id, 'en')), library.find((l) => l.templateId === id)!.sampleData).text),
    );
    expect(texts[0]).toMatch(/friendly reminder/i);
    // the ordinal is the sample's reminder.number (production counts the reminders actually sent)
    expect(texts[1]).toMatch(/Reminder 2: payment overdue/);
    expect(texts[1]).not.toMatch(/Second reminder|first reminder/);
    expect(texts[2]).toMatch(/Final reminder before escalation/);
    expect(texts[2]).toMatch(/collections team/);
  });
});
