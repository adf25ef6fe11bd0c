/**
 * Customer portal: every message the customer was sent on any channel (the portal inbox and the
 * emails, SMS and CRM messages delivered to them), their requests, each opened with its progress
 * and a reply box, their invoices with pay and promise-to-pay, and a form to raise a request.
 * Money is shown in the customer's own locale (Intl.NumberFormat), never as "12500.00 USD".
 * Deep links from messages land here: #/portal/requests/REQ-…, #/portal/invoices/INV-…, #/portal/pay/INV-…,
 * #/portal/agreements/AGR-… (./agreement.ts).
 */
import { get, post } from '../../core/api.js';
import { clear, explain, field, h, table, when } from '../../core/dom.js';
import type { Feature } from '../../core/feature.js';
import { money } from '../requests/money.js';
import { agreementPage } from './agreement.js';
import { ACCEPTED_FILES, attachmentList, uploadFiles, type Attachment } from '../requests/attachments.js';

interface Message { communicationId: string; channel: string; subject: string; html: string; text: string; createdAt: string; readAt: string | null }
interface Req { id: string; reference: string; subject: string; status: string; category: string; invoiceId: string | null; amount: string | null; createdAt: string }
interface ReqDetail extends Req {
  body: string | null;
  resolution: string | null;
  steps: { at: string; what: string; by: 'you' | 'us' }[];
  messages: { communicationId: string; channel: string; subject: string | null; createdAt: string }[];
  attachments?: Attachment[];
}
interface Invoice { id: string; number: string; amount: string; currency: string; dueAt: string; status: string; promisedAt: string | null; paidAt: string | null }
interface Profile { customerId: string; name: string; locale: string }

const CHANNEL: Record<string, string> = { email: 'Email', portal: 'Portal', sms: 'SMS', 'crm-webhook': 'CRM', letter: 'Letter' };
const words = (s: string) => s.replace(/[_-]/g, ' ');

/** A message in its frame, as tall as its content so nothing is clipped (measured when it opens); the message's own scripts never run. */
function messageDetails(m: Message): HTMLElement {
  const summary = h('summary', {}, h('span', {}, h('span', { class: `badge pt-channel pt-${m.channel}` }, CHANNEL[m.channel] ?? m.channel), ' ', h('strong', {}, m.subject)), h('small', {}, when(m.createdAt)));
  if (!m.html) return h('details', {}, summary, h('pre', { class: 'pt-text' }, m.text));
  const frame = h('iframe', { class: 'pt-frame', sandbox: 'allow-same-origin', title: `Message: ${m.subject}`, srcdoc: m.html }) as HTMLIFrameElement;
  const fit = () => {
    const doc = frame.contentDocument;
    if (doc?.documentElement && frame.offsetParent !== null) frame.style.height = `${Math.max(doc.documentElement.scrollHeight, doc.body?.scrollHeight ?? 0) + 2}px`;
  };
  frame.addEventListener('load', fit);
  const details = h('details', {}, summary, frame);
  details.addEventListener('toggle', () => requestAnimationFrame(fit));
  return details;
}

export const portalFeature: Feature = {
  id: 'portal',
  title: 'Portal',
  route: 'portal',
  roles: ['customer'],
  async mount(el, params) {
    const profile = await get<Profile>('/api/portal/profile').catch((): Profile => ({ customerId: '', name: '', locale: navigator.language }));
    const amount = (value: string | null, currency = 'USD') => money(value, currency, profile.locale);
    if (params[0] === 'requests' && params[1]) return requestPage(el, params[1], profile);
    if (params[0] === 'agreements' && params[1]) return agreementPage(el, params[1], profile.locale);

    const inbox = h('section', { class: 'card', 'aria-labelledby': 'pt-inbox-title' });
    const requests = h('section', { class: 'card', id: 'portal-requests', 'aria-labelledby': 'pt-requests-title' });
    const invoices = h('section', { class: 'card', id: 'portal-invoices', 'aria-labelledby': 'pt-invoices-title' });
    const subject = h('input', { name: 'subject', required: true, maxlength: 255, id: 'request-subject' });
    const body = h('textarea', { name: 'body', rows: 4, id: 'request-body' });
    const invoice = h('select', { name: 'invoice', id: 'request-invoice' });
    const requestAmount = h('input', { name: 'amount', inputmode: 'decimal', pattern: '^\\d+(\\.\\d{1,2})?$', id: 'request-amount' });
    const requestFiles = h('input', { type: 'file', multiple: true, accept: ACCEPTED_FILES, id: 'request-files' }) as HTMLInputElement;
    const raised = h('div', { 'aria-live': 'polite' });
    const raise = h(
      'form',
      {
        class: 'card',
        'aria-labelledby': 'raise-title',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          try {
            const attachments = await uploadFiles(requestFiles);
            const r = await post<{ reference: string }>('/api/portal/requests', { subject: subject.value, body: body.value, invoiceId: invoice.value || undefined, amount: requestAmount.value || undefined, attachments: attachments.length ? attachments : undefined });
            clear(raised, h('p', { class: 'done', role: 'status' }, `Request ${r.reference} received.`));
            (e.target as HTMLFormElement).reset();
            await loadRequests();
          } catch (err) {
            clear(raised, h('p', { class: 'error', role: 'alert' }, explain(err)));
          }
        },
      },
      h('h2', { id: 'raise-title' }, 'Raise a request'),
      field('Subject', subject),
      field('Invoice (optional)', invoice),
      field('Amount in question (optional)', requestAmount),
      field('What do you need?', body),
      field('Attach files (optional: PDF, images, text, CSV, Excel, Word; up to 10 MB each)', requestFiles),
      h('button', { type: 'submit', class: 'primary' }, 'Send request'),
      raised,
    );
    const loadRequests = async () => {
      const rows = await get<Req[]>('/api/portal/requests');
      clear(
        requests,
        h('h2', { id: 'pt-requests-title' }, 'Your requests'),
        rows.length
          ? table(
              ['Reference', 'Subject', 'Status', 'Raised'],
              rows.map((r) => [h('a', { href: `#/portal/requests/${encodeURIComponent(r.reference)}` }, r.reference), r.subject, h('span', { class: `badge status-${r.status}` }, words(r.status)), when(r.createdAt)]),
            )
          : h('p', {}, 'No requests yet.'),
      );
    };
    clear(el, h('h1', {}, profile.name ? `Your Herald portal · ${profile.name}` : 'Your Herald portal'), h('div', { class: 'pt-columns' }, h('div', {}, inbox, requests), h('div', {}, invoices, raise)));
    const [messages, invs] = await Promise.all([get<Message[]>('/api/portal/messages').catch(() => []), get<Invoice[]>('/api/portal/invoices').catch(() => [])]);
    clear(invoice, h('option', { value: '' }, '—'), invs.map((i) => h('option', { value: i.id }, `${i.number} · ${amount(i.amount, i.currency)}`)));
    clear(
      inbox,
      h('h2', { id: 'pt-inbox-title' }, 'Messages'),
      h('p', { class: 'muted' }, 'Everything we sent you, by email, in the portal or by text message.'),
      messages.length
        ? h(
            'ul',
            { class: 'inbox', id: 'portal-inbox' },
            messages.map((m) =>
              h(
                'li',
                { 'data-message': m.communicationId },
                messageDetails(m),
              ),
            ),
          )
        : h('p', {}, 'No messages.'),
    );
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const paying = params[0] === 'pay' || params[0] === 'invoices' ? params[1] : undefined;
    const loadInvoices = async (rows: Invoice[]) => {
      const open = rows.filter((i) => !i.paidAt && i.status !== 'paid');
      const note = h('div', { 'aria-live': 'polite' });
      clear(
        invoices,
        h('h2', { id: 'pt-invoices-title' }, 'Open invoices'),
        open.length
          ? table(
              ['Invoice', 'Amount', 'Due', 'Pay or promise'],
              open.map((i) => {
                const date = h('input', { type: 'date', min: tomorrow, 'aria-label': `Pay invoice ${i.number} by`, id: `promise-${i.id}` });
                const promise = async () => {
                  if (!date.value) {
                    date.focus();
                    return clear(note, h('p', { class: 'error', role: 'alert' }, 'Pick the date you will pay by.'));
                  }
                  try {
                    await post(`/api/portal/invoices/${encodeURIComponent(i.id)}/promise-to-pay`, { date: date.value, amount: i.amount });
                    await loadInvoices(await get<Invoice[]>('/api/portal/invoices'));
                    clear(invoices.querySelector('[aria-live]') ?? note, h('p', { class: 'done', role: 'status' }, `Thank you: we noted payment of ${i.number} by ${date.value}; reminders pause until then.`));
                  } catch (err) {
                    clear(note, h('p', { class: 'error', role: 'alert' }, explain(err)));
                  }
                };
                // pay by card at the provider's hosted checkout, or by bank transfer quoting the invoice number
                const checkout = async () => {
                  try {
                    const started = await post<{ url: string }>(`/api/portal/invoices/${encodeURIComponent(i.id)}/checkout`);
                    location.assign(started.url);
                  } catch (err) {
                    clear(note, h('p', { class: 'error', role: 'alert' }, explain(err)));
                  }
                };
                const pay = h(
                  'button',
                  {
                    type: 'button',
                    class: 'primary',
                    'aria-label': `Pay invoice ${i.number}`,
                    onclick: () =>
                      clear(
                        note,
                        h(
                          'div',
                          { class: 'pt-pay', role: 'status' },
                          h('strong', {}, `Pay ${amount(i.amount, i.currency)} for invoice ${i.number}`),
                          h('p', {}, h('button', { type: 'button', class: 'primary', id: `pt-checkout-${i.id}`, onclick: () => void checkout() }, `Pay ${amount(i.amount, i.currency)} online`)),
                          h('p', {}, `Or transfer the amount to our account quoting “${i.number}” as the reference. We match your payment when our bank reports it, and the reminders stop.`),
                        ),
                      ),
                  },
                  'Pay',
                );
                return [
                  h('strong', { class: paying === i.id ? 'pt-focus' : '' }, i.number),
                  h('span', { class: 'pt-amount' }, amount(i.amount, i.currency)),
                  String(i.dueAt).slice(0, 10),
                  i.promisedAt
                    ? h('span', { class: 'pt-promise' }, h('span', { class: 'badge status-approved', 'data-invoice': i.id }, `promised by ${String(i.promisedAt).slice(0, 10)}`), ' ', pay)
                    : h('span', { class: 'promise' }, pay, date, h('button', { type: 'button', onclick: () => void promise() }, 'Promise')),
                ];
              }),
            )
          : h('p', {}, 'Nothing open.'),
        note,
      );
    };
    await loadInvoices(invs);
    await loadRequests();
    const back = new URLSearchParams(location.hash.split('?')[1] ?? '').get('payment');
    if (paying && back) return paymentOutcome(invoices, paying, back === 'returned', loadInvoices);
    if (paying) invoices.querySelector<HTMLButtonElement>(`[aria-label="Pay invoice ${invs.find((i) => i.id === paying)?.number ?? ''}"]`)?.click();
  },
};

/**
 * Back from the provider's checkout: the browser's return proves nothing, so the page says what
 * Herald knows: paid once the provider's verified payment closed the invoice, until then in progress.
 */
async function paymentOutcome(invoices: HTMLElement, invoiceId: string, returned: boolean, reload: (rows: Invoice[]) => Promise<void>): Promise<void> {
  const status = h('div', { class: 'card pt-payment', id: 'pt-payment', role: 'status' });
  invoices.before(status);
  if (!returned) return void clear(status, h('p', {}, 'Payment canceled: nothing was charged. The invoice is still open.'));
  clear(status, h('p', {}, 'Thank you: we are recording your payment…'));
  for (let waited = 0; waited < 120_000; waited += 1500) {
    const rows = await get<Invoice[]>('/api/portal/invoices').catch((): Invoice[] => []);
    const paid = rows.find((i) => i.id === invoiceId && (i.status === 'paid' || i.paidAt));
    if (paid) {
      await reload(rows);
      return void clear(status, h('p', { class: 'done' }, `Invoice ${paid.number} is paid. Thank you: a confirmation is on its way, and no more reminders will come.`));
    }
    await new Promise((r) => setTimeout(r, 1500));
  }
  clear(status, h('p', {}, 'Your payment is still being recorded; the invoice shows paid as soon as it is.'));
}

async function requestPage(el: HTMLElement, ref: string, profile: Profile): Promise<void> {
  let r: ReqDetail;
  try {
    r = await get<ReqDetail>(`/api/portal/requests/${encodeURIComponent(ref)}`);
  } catch (err) {
    clear(el, h('p', {}, h('a', { href: '#/portal' }, '← Your portal')), h('p', { class: 'error', role: 'alert' }, explain(err)));
    return;
  }
  const text = h('textarea', { id: 'pt-reply', rows: 4, maxlength: 10000 }) as HTMLTextAreaElement;
  const replyFiles = h('input', { type: 'file', multiple: true, accept: ACCEPTED_FILES, id: 'pt-reply-files', 'aria-label': 'Attach files' }) as HTMLInputElement;
  const files = h('div', { id: 'pt-attachments-box' }, attachmentList(r.attachments, 'pt-attachments', 'No files attached.'));
  const out = h('div', { 'aria-live': 'polite' });
  const steps = h('ol', { class: 'timeline', id: 'pt-steps' });
  const renderSteps = (list: ReqDetail['steps']) => clear(steps, list.map((s) => h('li', { class: s.by === 'you' ? 'activated' : 'completed' }, h('time', {}, when(s.at)), ` ${s.what}`)));
  renderSteps(r.steps);
  clear(
    el,
    h('p', {}, h('a', { href: '#/portal' }, '← Your portal')),
    h('h1', {}, `${r.reference} · ${r.subject}`),
    h(
      'div',
      { class: 'pt-columns' },
      h(
        'div',
        {},
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'pt-req-title' },
          h('h2', { id: 'pt-req-title' }, 'Your request'),
          h('p', {}, h('span', { class: `badge status-${r.status}` }, words(r.status)), r.amount ? ` · amount in question ${money(r.amount, 'USD', profile.locale)}` : '', r.invoiceId ? ` · invoice ${r.invoiceId}` : ''),
          r.body ? h('blockquote', { class: 'rq-quote' }, r.body) : null,
          h('h3', {}, 'Files'),
          files,
        ),
        h(
          'form',
          {
            class: 'card',
            'aria-labelledby': 'pt-reply-title',
            onsubmit: async (e: Event) => {
              e.preventDefault();
              if (!text.value.trim()) return text.focus();
              try {
                const attachments = await uploadFiles(replyFiles);
                const res = await post<{ resumed: boolean }>(`/api/portal/requests/${encodeURIComponent(r.reference)}/replies`, { text: text.value.trim(), attachments: attachments.length ? attachments : undefined });
                clear(out, h('p', { class: 'done', role: 'status' }, res.resumed ? 'Thank you: your answer is with the team and your request goes on.' : 'Thank you: your message is with the team.'));
                text.value = '';
                replyFiles.value = '';
                const fresh = await get<ReqDetail>(`/api/portal/requests/${encodeURIComponent(r.reference)}`);
                renderSteps(fresh.steps);
                clear(files, attachmentList(fresh.attachments, 'pt-attachments', 'No files attached.'));
              } catch (err) {
                clear(out, h('p', { class: 'error', role: 'alert' }, explain(err)));
              }
            },
          },
          h('h2', { id: 'pt-reply-title' }, 'Reply'),
          field('Your message', text),
          field('Attach files (optional)', replyFiles),
          h('button', { type: 'submit', class: 'primary' }, 'Send reply'),
          out,
        ),
      ),
      h(
        'div',
        {},
        h('section', { class: 'card', 'aria-labelledby': 'pt-steps-title' }, h('h2', { id: 'pt-steps-title' }, 'Progress'), steps),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'pt-msgs-title' },
          h('h2', { id: 'pt-msgs-title' }, 'Messages about it'),
          r.messages.length ? h('ul', {}, r.messages.map((m) => h('li', {}, h('span', { class: 'badge' }, CHANNEL[m.channel] ?? m.channel), ' ', m.subject ?? '', ' ', h('small', { class: 'muted' }, when(m.createdAt))))) : h('p', {}, 'None yet.'),
          h('p', {}, h('a', { href: '#/portal' }, 'Read them in your messages')),
        ),
      ),
    ),
  );
}
