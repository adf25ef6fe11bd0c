/**
 * Dashboards: communications by status and channel over time, the dunning funnel (notice →
 * reminders → paid / escalated), days from notice to payment, the request backlog by age and
 * team, and the SLA breach rate. Each chart (chart.js) carries its numbers as a table under
 * "Numbers", so nothing is only a picture.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartConfiguration } from 'chart.js';
import { get } from '../../core/api.js';
import { clear, h, table } from '../../core/dom.js';
import type { Feature } from '../../core/feature.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

interface CommunicationMetrics { total: number; byStatus: { status: string; count: number }[]; byChannel: { channel: string; count: number }[]; daily: { day: string; channel: string; status: string; count: number }[] }
interface DunningMetrics { funnel: { stage: string; invoices: number }[]; outcomes: { paid: number; escalated: number; open: number }; daysToPayment: { buckets: { label: string; invoices: number }[]; paid: number; median: number | null; average: number | null } }
interface RequestMetrics { backlog: { team: string; age: string; requests: number }[]; sla: { total: number; breached: number; rate: number; byTeam: { team: string; total: number; breached: number; rate: number }[] } }

const PALETTE = ['#1f5fbf', '#1d7a3e', '#a86200', '#b3261e', '#6a3fb5', '#0f7c8c', '#5b6473', '#c2185b'];
const AGES = ['under 1 day', '1–3 days', '3–7 days', 'over 7 days'];
const percent = (r: number) => `${(r * 100).toFixed(1)} %`;

function card(id: string, title: string, note: HTMLElement | string | null, config: ChartConfiguration<'bar'>, numbers: HTMLTableElement): { el: HTMLElement; chart: () => Chart } {
  const canvas = h('canvas', { role: 'img', 'aria-label': title });
  const el = h('figure', { class: 'card chart', id }, h('figcaption', {}, h('h2', {}, title), note ? h('p', { class: 'meta' }, note) : null), h('div', { class: 'plot' }, canvas), h('details', {}, h('summary', {}, 'Numbers'), numbers));
  return { el, chart: () => new Chart(canvas, config) };
}

const base = (stacked: boolean, horizontal = false): ChartConfiguration<'bar'>['options'] => ({
  animation: false,
  responsive: true,
  maintainAspectRatio: false,
  indexAxis: horizontal ? 'y' : 'x',
  plugins: { legend: { position: 'bottom' } },
  scales: { x: { stacked, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked, beginAtZero: true, ticks: { precision: 0 } } },
});

/** Rows of `key` per day, as one dataset per value of `key`. */
function perDay(daily: CommunicationMetrics['daily'], key: 'channel' | 'status') {
  const days = [...new Set(daily.map((d) => d.day))].sort();
  const values = [...new Set(daily.map((d) => d[key]))].sort();
  return {
    days,
    values,
    datasets: values.map((v, i) => ({ label: v, backgroundColor: PALETTE[i % PALETTE.length], data: days.map((day) => daily.filter((d) => d.day === day && d[key] === v).reduce((n, d) => n + d.count, 0)) })),
  };
}

export const dashboardsFeature: Feature = {
  id: 'dashboards',
  title: 'Dashboards',
  route: 'dashboards',
  roles: ['analyst', 'engineer', 'approver', 'agent', 'compliance', 'admin'],
  async mount(el, params) {
    const days = [7, 30, 90, 365].includes(Number(params[0])) ? Number(params[0]) : 30;
    const picker = h('select', { id: 'window', name: 'window' }, [7, 30, 90, 365].map((d) => h('option', { value: d, selected: d === days }, `last ${d} days`)));
    picker.addEventListener('change', () => (location.hash = `#/dashboards/${picker.value}`));
    const grid = h('div', { class: 'charts', 'aria-busy': 'true' });
    clear(el, h('div', { class: 'toolbar' }, h('h1', {}, 'Dashboards'), h('label', { class: 'field' }, h('span', {}, 'Window'), picker)), grid);

    const [comms, dunning, requests] = await Promise.all([
      get<CommunicationMetrics>(`/api/metrics/communications?days=${days}`),
      get<DunningMetrics>(`/api/metrics/dunning?days=${days}`),
      get<RequestMetrics>(`/api/metrics/requests?days=${days}`),
    ]);

    const byChannel = perDay(comms.daily, 'channel');
    const byStatus = perDay(comms.daily, 'status');
    const teams = [...new Set(requests.backlog.map((b) => b.team))].sort();
    const cards = [
      card(
        'chart-channels',
        'Communications by channel over time',
        `${comms.total} messages: ${comms.byChannel.map((c) => `${c.channel} ${c.count}`).join(', ') || 'none'}`,
        { type: 'bar', data: { labels: byChannel.days, datasets: byChannel.datasets }, options: base(true) },
        table(['Channel', 'Messages'], comms.byChannel.map((c) => [c.channel, String(c.count)])),
      ),
      card(
        'chart-statuses',
        'Communications by status over time',
        comms.byStatus.map((s) => `${s.status} ${s.count}`).join(', ') || 'none',
        { type: 'bar', data: { labels: byStatus.days, datasets: byStatus.datasets }, options: base(true) },
        table(['Status', 'Messages'], comms.byStatus.map((s) => [s.status, String(s.count)])),
      ),
      card(
        'chart-funnel',
        'Dunning funnel',
        `Invoices noticed: ${dunning.funnel[0]?.invoices ?? 0} · paid ${dunning.outcomes.paid} · escalated ${dunning.outcomes.escalated} · still open ${dunning.outcomes.open}`,
        {
          type: 'bar',
          data: { labels: dunning.funnel.map((f) => f.stage), datasets: [{ label: 'invoices', data: dunning.funnel.map((f) => f.invoices), backgroundColor: dunning.funnel.map((f) => (f.stage === 'paid' ? '#1d7a3e' : f.stage === 'escalated' ? '#b3261e' : '#1f5fbf')) }] },
          options: { ...base(false, true), plugins: { legend: { display: false } } },
        },
        table(['Stage', 'Invoices'], dunning.funnel.map((f) => [f.stage, String(f.invoices)])),
      ),
      card(
        'chart-days-to-pay',
        'Days from notice to payment',
        dunning.daysToPayment.paid ? `${dunning.daysToPayment.paid} paid · median ${dunning.daysToPayment.median} days · average ${dunning.daysToPayment.average} days` : 'No payments in this window.',
        { type: 'bar', data: { labels: dunning.daysToPayment.buckets.map((b) => b.label), datasets: [{ label: 'invoices paid', data: dunning.daysToPayment.buckets.map((b) => b.invoices), backgroundColor: '#1d7a3e' }] }, options: { ...base(false), plugins: { legend: { display: false } } } },
        table(['Days', 'Invoices'], dunning.daysToPayment.buckets.map((b) => [b.label, String(b.invoices)])),
      ),
      card(
        'chart-backlog',
        'Request backlog by team and age',
        `${requests.backlog.reduce((n, b) => n + b.requests, 0)} open requests`,
        {
          type: 'bar',
          data: { labels: teams, datasets: AGES.map((age, i) => ({ label: age, backgroundColor: ['#1d7a3e', '#1f5fbf', '#a86200', '#b3261e'][i], data: teams.map((t) => requests.backlog.find((b) => b.team === t && b.age === age)?.requests ?? 0) })) },
          options: base(true),
        },
        table(['Team', 'Age', 'Requests'], requests.backlog.map((b) => [b.team, b.age, String(b.requests)])),
      ),
      card(
        'chart-sla',
        'SLA breach rate',
        h('span', {}, 'Overall: ', h('strong', { id: 'sla-rate' }, percent(requests.sla.rate)), ` (${requests.sla.breached} of ${requests.sla.total} requests raised in the window)`),
        {
          type: 'bar',
          data: { labels: requests.sla.byTeam.map((t) => t.team), datasets: [{ label: 'breached, %', data: requests.sla.byTeam.map((t) => Math.round(t.rate * 1000) / 10), backgroundColor: '#b3261e' }] },
          options: { ...base(false), plugins: { legend: { display: false } }, scales: { x: {}, y: { beginAtZero: true, max: 100, ticks: { callback: (v) => `${v} %` } } } },
        },
        table(['Team', 'Requests', 'Breached', 'Rate'], requests.sla.byTeam.map((t) => [t.team, String(t.total), String(t.breached), percent(t.rate)])),
      ),
    ];
    clear(grid, cards.map((c) => c.el));
    const charts = cards.map((c) => c.chart());
    grid.setAttribute('aria-busy', 'false');
    return () => charts.forEach((c) => c.destroy());
  },
};
