/**
 * The SLA clock as the workspace shows it: the escalation budget the priority table gave, less
 * the time already consumed and the running segment. Time waiting on the customer does not count
 * (the clock is paused then), so a paused request has no due time, only what remains.
 */
import { durationToMs } from '../../../domain/requests/policy.js';
import type { RequestRow } from '../../../storage/requests.js';

export interface SlaView {
  /** The escalation budget, ISO-8601 (PT8H); null before the request is routed. */
  budget: string | null;
  state: 'not-started' | 'running' | 'paused' | 'stopped' | 'breached';
  /** Milliseconds left before escalation (negative once overdue); null without a budget. */
  remainingMs: number | null;
  /** When the budget runs out if the clock keeps running; null unless running. */
  dueAt: string | null;
}

export function slaOf(r: RequestRow, now: Date): SlaView {
  const budget = r.slaEscalateAfter;
  let budgetMs: number | null = null;
  try {
    budgetMs = budget ? durationToMs(budget) : null;
  } catch {
    budgetMs = null;
  }
  const running = r.slaStartedAt ? Math.max(0, now.getTime() - r.slaStartedAt.getTime()) : 0;
  const remainingMs = budgetMs === null ? null : budgetMs - r.slaConsumedMs - running;
  const state: SlaView['state'] = r.resolvedAt
    ? 'stopped'
    : r.slaBreachedAt
      ? 'breached'
      : r.slaStartedAt
        ? 'running'
        : r.status === 'waiting_customer'
          ? 'paused'
          : 'not-started';
  const dueAt = r.slaStartedAt && remainingMs !== null && !r.resolvedAt ? new Date(now.getTime() + remainingMs).toISOString() : null;
  return { budget, state, remainingMs: r.resolvedAt ? null : remainingMs, dueAt };
}
