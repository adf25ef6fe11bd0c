/**
 * Request metrics over plain rows (the repository loads them): resolution time, backlog by
 * team and age, SLA breach rate and reopen rate. Pure, so the same numbers come out of a test,
 * the API and a report.
 */
export interface RequestFacts {
  team: string | null;
  status: string;
  createdAt: Date;
  resolvedAt: Date | null;
  slaBreachedAt: Date | null;
  reopenCount: number;
}

export interface RequestMetrics {
  resolved: number;
  /** Mean and median hours from intake to resolution, over resolved requests. */
  resolutionHours: { mean: number | null; median: number | null; p90: number | null };
  /** Open requests per team, bucketed by age in days. */
  backlog: { team: string; open: number; age: Record<AgeBucket, number> }[];
  /** Breached requests over requests whose SLA has run (resolved or breached). */
  slaBreachRate: number | null;
  /** Requests reopened at least once over requests resolved at least once (a reopened one counts while it runs again). */
  reopenRate: number | null;
}

export type AgeBucket = '<1d' | '1-3d' | '3-7d' | '>7d';
const OPEN = new Set(['open', 'in_progress', 'waiting_customer']);

function bucket(ageMs: number): AgeBucket {
  const days = ageMs / 86_400_000;
  return days < 1 ? '<1d' : days < 3 ? '1-3d' : days < 7 ? '3-7d' : '>7d';
}

const round = (n: number) => Math.round(n * 100) / 100;

export function requestMetrics(rows: RequestFacts[], now: Date): RequestMetrics {
  const resolved = rows.filter((r) => r.resolvedAt);
  const hours = resolved.map((r) => (r.resolvedAt!.getTime() - r.createdAt.getTime()) / 3_600_000).sort((a, b) => a - b);
  const pct = (p: number) => (hours.length ? round(hours[Math.min(hours.length - 1, Math.ceil(p * hours.length) - 1)]) : null);
  const backlog = new Map<string, { team: string; open: number; age: Record<AgeBucket, number> }>();
  for (const r of rows) {
    if (!OPEN.has(r.status)) continue;
    const team = r.team ?? 'unassigned';
    const entry = backlog.get(team) ?? { team, open: 0, age: { '<1d': 0, '1-3d': 0, '3-7d': 0, '>7d': 0 } };
    entry.open++;
    entry.age[bucket(now.getTime() - r.createdAt.getTime())]++;
    backlog.set(team, entry);
  }
  const slaRun = rows.filter((r) => r.resolvedAt || r.slaBreachedAt);
  // reopening clears resolvedAt: a reopened request was resolved once all the same
  const everResolved = rows.filter((r) => r.resolvedAt || r.reopenCount > 0);
  return {
    resolved: resolved.length,
    resolutionHours: { mean: hours.length ? round(hours.reduce((a, b) => a + b, 0) / hours.length) : null, median: pct(0.5), p90: pct(0.9) },
    backlog: [...backlog.values()].sort((a, b) => a.team.localeCompare(b.team)),
    slaBreachRate: slaRun.length ? round(slaRun.filter((r) => r.slaBreachedAt).length / slaRun.length) : null,
    reopenRate: everResolved.length ? round(everResolved.filter((r) => r.reopenCount > 0).length / everResolved.length) : null,
  };
}
