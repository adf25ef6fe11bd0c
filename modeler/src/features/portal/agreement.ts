/**
 * A restructuring agreement in the customer portal (#/portal/agreements/AGR-…, the link of the
 * restructuring notice): the terms as recorded — balance, every instalment with its due date and
 * amount, the grace days — and the acceptance the notice asks for, until the accept-by date.
 */
import { get, post } from '../../core/api.js';
import { clear, explain, h, table } from '../../core/dom.js';
import { money } from '../requests/money.js';

interface Agreement {
  id: string;
  reference: string;
  status: 'proposed' | 'accepted';
  agreementDate: string;
  totalAmount: string;
  currency: string;
  acceptBy: string;
  graceDays: number;
  installments: { number: number; dueDate: string; amount: string }[];
  acceptedAt: string | null;
}

export async function agreementPage(el: HTMLElement, id: string, locale: string): Promise<void> {
  const back = h('p', {}, h('a', { href: '#/portal' }, '← Your portal'));
  let a: Agreement;
  try {
    a = await get<Agreement>(`/api/portal/agreements/${encodeURIComponent(id)}`);
  } catch (err) {
    clear(el, back, h('p', { class: 'error', role: 'alert' }, explain(err)));
    return;
  }
  const day = (d: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${d}T00:00:00Z`));
  const amount = (v: string) => money(v, a.currency, locale);
  const out = h('div', { 'aria-live': 'polite', id: 'pt-agreement-outcome' });
  const accept = async (button: HTMLButtonElement) => {
    button.disabled = true;
    try {
      a = await post<Agreement>(`/api/portal/agreements/${encodeURIComponent(a.id)}/acceptance`);
      render();
    } catch (err) {
      button.disabled = false;
      clear(out, h('p', { class: 'error', role: 'alert' }, explain(err)));
    }
  };
  const render = () =>
    clear(
      el,
      back,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'pt-agreement-title' },
        h('h2', { id: 'pt-agreement-title' }, `Restructuring agreement ${a.reference}`),
        h('p', {}, `Dated ${day(a.agreementDate)}. Restructured balance ${amount(a.totalAmount)} in ${a.installments.length} instalments.`),
        table(['Instalment', 'Due', 'Amount'], a.installments.map((i) => [String(i.number), day(i.dueDate), amount(i.amount)]), 'Instalment schedule'),
        h('p', {}, `While you pay each instalment on time, we take no collection steps for the restructured balance. An instalment more than ${a.graceDays} days late ends the agreement.`),
        a.status === 'accepted'
          ? h('p', { id: 'pt-agreement-status' }, h('span', { class: 'badge status-resolved' }, 'Accepted'), a.acceptedAt ? ` on ${day(a.acceptedAt.slice(0, 10))}` : '')
          : h('p', { id: 'pt-agreement-status' }, `Please accept by ${day(a.acceptBy)}. Until you accept, the original terms of your invoices apply. `, h('button', { type: 'button', class: 'primary', id: 'pt-agreement-accept', onclick: (e: Event) => void accept(e.currentTarget as HTMLButtonElement) }, 'Accept the agreement')),
        out,
      ),
    );
  render();
}
