/**
 * Customer portal: the inbox (portal_messages), the customer's requests and their status, a form
 * to raise a request, and promise-to-pay on an open invoice.
 */
import { get, post } from '../../core/api.js';
import { clear, explain, field, h, table, toast, when } from '../../core/dom.js';
import type { Feature } from '../../core/feature.js';

interface Message { communicationId: string; subject: string; html: string; createdAt: string; readAt: string | null }
interface Req { id: string; reference: string; subject: string; status: string; category: string; createdAt: string }
interface Invoice { id: string; number: string; amount: string; currency: string; dueAt: string; status: string; promisedAt: string | null; paidAt: string | null }

export const portalFeature: Feature = {
  id: 'portal',
  title: 'Portal',
  route: 'portal',
  roles: ['customer'],
  async mount(el) {
    const inbox = h('section', { class: 'card' });
    const requests = h('section', { class: 'card', id: 'portal-requests' });
    const invoices = h('section', { class: 'card' });
    const subject = h('input', { name: 'subject', required: true, maxlength: 255, id: 'request-subject' });
    const body = h('textarea', { name: 'body', rows: 4, id: 'request-body' });
    const invoice = h('select', { name: 'invoice', id: 'request-invoice' });
    const amount = h('input', { name: 'amount', inputmode: 'decimal', pattern: '^\\d+(\\.\\d{1,2})?$', id: 'request-amount' });
    const raise = h(
      'form',
      {
        class: 'card',
        'aria-labelledby': 'raise-title',
        onsubmit: async (e: Event) => {
          e.preventDefault();
          try {
            const r = await post<{ reference: string }>('/api/portal/requests', { subject: subject.value, body: body.value, invoiceId: invoice.value || undefined, amount: amount.value || undefined });
            toast(`Request ${r.reference} received`);
            (e.target as HTMLFormElement).reset();
            await loadRequests();
          } catch (err) {
            toast(explain(err), 'error');
          }
        },
      },
      h('h2', { id: 'raise-title' }, 'Raise a request'),
      field('Subject', subject),
      field('Invoice (optional)', invoice),
      field('Amount in question (optional)', amount),
      field('What do you need?', body),
      h('button', { type: 'submit', class: 'primary' }, 'Send request'),
    );
    const loadRequests = async () => {
      const rows = await get<Req[]>('/api/portal/requests');
      clear(requests, h('h2', {}, 'Your requests'), rows.length ? table(['Reference', 'Subject', 'Status', 'Raised'], rows.map((r) => [r.reference, r.subject, h('span', { class: `badge status-${r.status}` }, r.status.replace(/_/g, ' ')), when(r.createdAt)])) : h('p', {}, 'No requests yet.'));
    };
    clear(el, h('h1', {}, 'Your Herald portal'), h('div', { class: 'columns' }, h('div', {}, inbox, requests), h('div', {}, raise, invoices)));
    const [messages, invs] = await Promise.all([get<Message[]>('/api/portal/messages').catch(() => []), get<Invoice[]>('/api/portal/invoices').catch(() => [])]);
    clear(invoice, h('option', { value: '' }, '—'), invs.map((i) => h('option', { value: i.id }, `${i.number} · ${i.amount} ${i.currency}`)));
    clear(
      inbox,
      h('h2', {}, 'Inbox'),
      messages.length
        ? h('ul', { class: 'inbox', id: 'portal-inbox' }, messages.map((m) => h('li', {}, h('details', {}, h('summary', {}, h('strong', {}, m.subject), h('small', {}, when(m.createdAt))), h('iframe', { class: 'preview', sandbox: '', title: m.subject, srcdoc: m.html })))))
        : h('p', {}, 'No messages.'),
    );
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const loadInvoices = async (rows: Invoice[]) => {
      const open = rows.filter((i) => !i.paidAt && i.status !== 'paid');
      clear(
        invoices,
        h('h2', {}, 'Open invoices'),
        open.length
          ? table(
              ['Invoice', 'Amount', 'Due', 'Promise to pay'],
              open.map((i) => {
                const date = h('input', { type: 'date', min: tomorrow, 'aria-label': `Pay invoice ${i.number} by`, id: `promise-${i.id}` });
                const promise = async () => {
                  if (!date.value) {
                    date.focus();
                    return toast('Pick the date you will pay by', 'error');
                  }
                  try {
                    await post(`/api/portal/invoices/${encodeURIComponent(i.id)}/promise-to-pay`, { date: date.value, amount: i.amount });
                    toast(`Thank you: we noted payment of ${i.number} by ${date.value}; reminders pause until then`);
                    await loadInvoices(await get<Invoice[]>('/api/portal/invoices'));
                  } catch (err) {
                    toast(explain(err), 'error');
                  }
                };
                return [
                  h('strong', {}, i.number),
                  `${i.amount} ${i.currency}`,
                  String(i.dueAt).slice(0, 10),
                  i.promisedAt
                    ? h('span', { class: 'badge status-approved', 'data-invoice': i.id }, `promised by ${String(i.promisedAt).slice(0, 10)}`)
                    : h('span', { class: 'promise' }, date, h('button', { type: 'button', onclick: () => void promise() }, 'Promise')),
                ];
              }),
            )
          : h('p', {}, 'Nothing open.'),
      );
    };
    await loadInvoices(invs);
    await loadRequests();
  },
};
