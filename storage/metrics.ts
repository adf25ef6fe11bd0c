/**
 * The dashboards' numbers, computed by SQL over the system of record (communications,
 * invoices, customer_requests), the same on PGlite and Postgres. Every function takes its
 * window and its "now" from the caller, so the answers are reproducible.
 *
 * Dunning links an invoice to its messages by the communication ids invoice-dunning gives them:
 * `<invoiceId>-notice`, `<invoiceId>-reminder-<n>`, `<invoiceId>-escalation`.
 */
import type { Knex } from 'knex';

export interface Window {
  from: Date;
  to: Date;
}

export interface CommunicationMetrics {
  window: { from: string; to: string };
  total: number;
  byStatus: { status: string; count: number }[];
  byChannel: { channel: string; count: number }[];
  /** One row per UTC day, channel and status that had messages. */
  daily: { day: string; channel: string; status: string; count: number }[];
}

export interface DunningMetrics {
  window: { from: string; to: string };
  /** Invoices whose notice went out in the window, and how far each got. */
  funnel: { stage: string; invoices: number }[];
  outcomes: { paid: number; escalated: number; open: number };
  /** Whole days from the notice to the payment, for the paid ones. */
  daysToPayment: { buckets: { label: string; invoices: number }[]; paid: number; median: number | null; average: number | null };
}

export interface RequestMetrics {
  at: string;
  /** Requests not yet resolved or closed, by team and age. */
  backlog: { team: string; age: string; requests: number }[];
  /** Requests raised in the window: how many breached their SLA, overall and by team. */
  sla: { total: number; breached: number; rate: number; byTeam: { team: string; total: number; breached: number; rate: number }[] };
}

export const AGE_BUCKETS = ['under 1 day', '1–3 days', '3–7 days', 'over 7 days'] as const;
export const PAYMENT_BUCKETS = ['0–7 days', '8–14 days', '15–30 days', '31–60 days', 'over 60 days'] as const;

const rows = <T>(result: unknown): T[] => ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
const iso = (w: Window) => ({ from: w.from.toISOString(), to: w.to.toISOString() });
const rate = (part: number, whole: number) => (whole ? Math.round((part / whole) * 10_000) / 10_000 : 0);

export function metricsRepository(db: Knex | Knex.Transaction) {
  return {
    async communications(w: Window): Promise<CommunicationMetrics> {
      const daily = rows<{ day: string; channel: string; status: string; count: number }>(
        await db.raw(
          `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, channel, status, count(*)::int as count
             from communications
            where created_at >= ? and created_at < ?
            group by 1, 2, 3
            order by 1, 2, 3`,
          [w.from, w.to],
        ),
      ).map((r) => ({ ...r, count: Number(r.count) }));
      const sum = (key: 'status' | 'channel') => {
        const m = new Map<string, number>();
        for (const r of daily) m.set(r[key], (m.get(r[key]) ?? 0) + r.count);
        return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      };
      return {
        window: iso(w),
        total: daily.reduce((n, r) => n + r.count, 0),
        byStatus: sum('status').map(([status, count]) => ({ status, count })),
        byChannel: sum('channel').map(([channel, count]) => ({ channel, count })),
        daily,
      };
    },

    async dunning(w: Window): Promise<DunningMetrics> {
      const perInvoice = rows<{ invoice_id: string; reminders: number; escalated: boolean; paid: boolean; days_to_pay: number | null }>(
        await db.raw(
          `with notices as (
             select i.id as invoice_id, c.created_at as noticed_at, i.paid_at, i.status
               from invoices i
               join communications c on c.id = i.id || '-notice'
              where c.created_at >= ? and c.created_at < ?
           )
           select n.invoice_id,
                  coalesce((select max(cast(substring(r.id from '-reminder-([0-9]+)$') as int))
                              from communications r
                             where r.id like n.invoice_id || '-reminder-%'), 0)::int as reminders,
                  exists (select 1 from communications e where e.id = n.invoice_id || '-escalation') as escalated,
                  (n.paid_at is not null or n.status = 'paid') as paid,
                  case when n.paid_at is not null
                       then floor(extract(epoch from (n.paid_at - n.noticed_at)) / 86400)::int end as days_to_pay
             from notices n
            order by n.invoice_id`,
          [w.from, w.to],
        ),
      );
      const maxReminder = Math.max(0, ...perInvoice.map((r) => Number(r.reminders)));
      const funnel = [{ stage: 'notice', invoices: perInvoice.length }];
      for (let n = 1; n <= Math.max(3, maxReminder); n++) funnel.push({ stage: `reminder ${n}`, invoices: perInvoice.filter((r) => Number(r.reminders) >= n).length });
      const paid = perInvoice.filter((r) => r.paid);
      const escalated = perInvoice.filter((r) => r.escalated && !r.paid).length;
      funnel.push({ stage: 'paid', invoices: paid.length }, { stage: 'escalated', invoices: escalated });
      const days = paid.map((r) => r.days_to_pay).filter((d): d is number => d !== null && d !== undefined).map(Number).sort((a, b) => a - b);
      const bucketOf = (d: number) => (d <= 7 ? 0 : d <= 14 ? 1 : d <= 30 ? 2 : d <= 60 ? 3 : 4);
      const counts = PAYMENT_BUCKETS.map(() => 0);
      for (const d of days) counts[bucketOf(d)]++;
      const median = days.length ? (days.length % 2 ? days[(days.length - 1) / 2] : (days[days.length / 2 - 1] + days[days.length / 2]) / 2) : null;
      const average = days.length ? Math.round((days.reduce((a, b) => a + b, 0) / days.length) * 10) / 10 : null;
      return {
        window: iso(w),
        funnel,
        outcomes: { paid: paid.length, escalated, open: perInvoice.length - paid.length - escalated },
        daysToPayment: { buckets: PAYMENT_BUCKETS.map((label, i) => ({ label, invoices: counts[i] })), paid: days.length, median, average },
      };
    },

    async requests(at: Date, w: Window): Promise<RequestMetrics> {
      const backlog = rows<{ team: string; age: string; requests: number }>(
        await db.raw(
          `select coalesce(team, 'unassigned') as team,
                  case when age < interval '1 day' then 0
                       when age < interval '3 days' then 1
                       when age < interval '7 days' then 2
                       else 3 end as age,
                  count(*)::int as requests
             from (select team, ?::timestamptz - created_at as age
                     from customer_requests
                    where status not in ('resolved', 'closed') and created_at <= ?) open
            group by 1, 2
            order by 1, 2`,
          [at, at],
        ),
      ).map((r) => ({ team: r.team, age: AGE_BUCKETS[Number(r.age)], requests: Number(r.requests) }));
      const byTeam = rows<{ team: string; total: number; breached: number }>(
        await db.raw(
          `select coalesce(team, 'unassigned') as team, count(*)::int as total, count(sla_breached_at)::int as breached
             from customer_requests
            where created_at >= ? and created_at < ?
            group by 1
            order by 1`,
          [w.from, w.to],
        ),
      ).map((r) => ({ team: r.team, total: Number(r.total), breached: Number(r.breached), rate: rate(Number(r.breached), Number(r.total)) }));
      const total = byTeam.reduce((n, r) => n + r.total, 0);
      const breached = byTeam.reduce((n, r) => n + r.breached, 0);
      return { at: at.toISOString(), backlog, sla: { total, breached, rate: rate(breached, total), byTeam } };
    },
  };
}

export type MetricsRepository = ReturnType<typeof metricsRepository>;
