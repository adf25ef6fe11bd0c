/**
 * Customer portal: the inbox (portal_messages), the customer's requests and their status, a form
 * to raise a request, and promise-to-pay on an open invoice.
 */
import { get, post } from '../../core/api.js';
import { clear, explain, field, h, table, toast, when } from '../../core/dom.js';
import type { Feature } from '../../core/feature.js';

interface Message { communication_id: string; subject: string; html: string; created_at: string; read_at?: string }
interface Req { id: string; reference: string; subject: string; status: string; category: string; createdAt: string }
interface Invoice { id: string; amount: string; currency: string; due_at: string; status?: string; paid_at?: string }

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
      clear(requests, h('h2', {}, 'Your requests'), rows.length ? table(['Reference', 'Subject', 'Status', 'Raised'], rows.map((r) => [r.reference, r.subject, h('span', { class: 'badge' }, r.status.replace('_', ' ')), when(r.createdAt)])) : h('p', {}, 'No requests yet.'));
    };
    clear(el, h('h1', {}, 'Your Herald portal'), h('div', { class: 'columns' }, h('div', {}, inbox, requests), h('div', {}, raise, invoices)));
    const [messages, invs] = await Promise.all([get<Message[]>('/api/portal/messages').catch(() => []), get<Invoice[]>('/api/portal/invoices').catch(() => [])]);
    clear(invoice, h('option', { value: '' }, '—'), invs.map((i) => h('option', { value: i.id }, `${i.id} · ${i.amount} ${i.currency}`)));
    clear(
      inbox,
      h('h2', {}, 'Inbox'),
      messages.length
        ? h('ul', { class: 'tasks' }, messages.map((m) => h('li', {}, h('details', {}, h('summary', {}, h('strong', {}, m.subject), ` · ${when(m.created_at)}`), h('iframe', { class: 'preview', sandbox: '', title: m.subject, srcdoc: m.html })))))
        : h('p', {}, 'No messages.'),
    );
    const open = invs.filter((i) => !i.paid_at);
    clear(
      invoices,
      h('h2', {}, 'Open invoices'),
      open.length
        ? table(['Invoice', 'Amount', 'Due', 'Promise to pay'], open.map((i) => {
            const date = h('input', { type: 'date', 'aria-label': `Pay ${i.id} by` });
            return [i.id, `${i.amount} ${i.currency}`, String(i.due_at).slice(0, 10), h('span', {}, date, ' ', h('button', { type: 'button', onclick: async () => {
              if (!date.value) return toast('Pick the date you will pay by', 'error');
              try {
                await post(`/api/portal/invoices/${i.id}/promise-to-pay`, { date: date.value, amount: i.amount });
                toast(`Thank you: we noted payment of ${i.id} by ${date.value}`);
              } catch (err) {
                toast(explain(err), 'error');
              }
            } }, 'Promise'))];
          }))
        : h('p', {}, 'Nothing open.'),
    );
    await loadRequests();
  },
};
