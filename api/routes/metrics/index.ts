/**
 * Numbers for the dashboards: communications by status and channel over time, the dunning
 * funnel and days to payment, the request backlog and SLA breach rate. Staff only: customers
 * see their own portal, not the book.
 */
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../../storage/db.js';
import { metricsRepository } from '../../../storage/metrics.js';
import { authProblems, Problem } from '../../schemas/common.js';
import { CommunicationMetrics, DunningMetrics, MetricsQuery, RequestMetrics } from '../../schemas/metrics.js';

const DAY = 86_400_000;
const config = { roles: ['analyst' as const, 'engineer' as const, 'approver' as const, 'agent' as const, 'compliance' as const, 'admin' as const] };

export async function metricsRoutes(app: FastifyInstance, opts: { db: Db; now?: () => Date }): Promise<void> {
  const metrics = metricsRepository(opts.db);
  const now = opts.now ?? (() => new Date());
  const window = (q: MetricsQuery) => {
    const to = now();
    return { from: new Date(to.getTime() - (q.days ?? 30) * DAY), to: new Date(to.getTime() + 1) };
  };

  app.get(
    '/api/metrics/communications',
    { config, schema: { tags: ['metrics'], summary: 'Communications in the window by status, by channel, and per day', querystring: MetricsQuery, response: { 200: CommunicationMetrics, 400: Problem, ...authProblems } } },
    async (request) => metrics.communications(window(request.query as MetricsQuery)),
  );

  app.get(
    '/api/metrics/dunning',
    { config, schema: { tags: ['metrics'], summary: 'Invoices noticed in the window: notice → reminders → paid / escalated, and days from notice to payment', querystring: MetricsQuery, response: { 200: DunningMetrics, 400: Problem, ...authProblems } } },
    async (request) => metrics.dunning(window(request.query as MetricsQuery)),
  );

  app.get(
    '/api/metrics/requests',
    { config, schema: { tags: ['metrics'], summary: 'Open requests by team and age now; SLA breach rate of requests raised in the window', querystring: MetricsQuery, response: { 200: RequestMetrics, 400: Problem, ...authProblems } } },
    async (request) => {
      const w = window(request.query as MetricsQuery);
      return metrics.requests(w.to, w);
    },
  );
}
