/**
 * A communication's timeline: what happened to it, in order, gathered from the rows each part of
 * Herald writes (the communication, its approval tasks and their audit entries, the delivery and
 * each send attempt, tracking events, replies, the archive). Pure: the caller reads the rows.
 */

export type TimelineKind =
  | 'created'
  | 'approved'
  | 'rejected'
  | 'approval-refused'
  | 'task-completed'
  | 'rendered'
  | 'queued'
  | 'attempt'
  | 'sent'
  | 'failed'
  | 'delivered'
  | 'bounced'
  | 'complained'
  | 'opened'
  | 'clicked'
  | 'replied'
  | 'unsubscribed'
  | 'archived';

export type TimelineSource = 'communications' | 'tasks' | 'audit_log' | 'deliveries' | 'delivery_attempts' | 'tracking_events' | 'customer_requests' | 'communication_archive';

export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  source: TimelineSource;
  actor?: string;
  detail: Record<string, unknown>;
}

export interface TimelineSources {
  communication: { id: string; createdAt: Date; renderedAt: Date | null; initiatedBy: string | null; templateId: string; templateVersion: number | null };
  /** User tasks of the communication's process instance. */
  tasks: { key: string; elementId: string; name: string | null; state: string; completedAt: Date | null; completedBy: string | null; completionVariables: Record<string, unknown> | null }[];
  /** task.complete audit rows of those tasks (allowed, refused, failed). */
  audit: { id: number; at: Date; actor: string; subjectId: string; outcome: string; rule: string | null; detail: Record<string, unknown> }[];
  delivery: { queuedAt: Date; sentAt: Date | null; state: string; messageId: string | null } | null;
  attempts: { attempt: number; messageId: string | null; startedAt: Date; outcome: string | null; error: string | null; finishedAt: Date | null }[];
  events: { id: number; kind: string; at: Date; meta: Record<string, unknown> }[];
  replies: { id: string; reference: string; createdAt: Date }[];
  archive: { archivedAt: Date; contentSha256: string; templateVersion: number | null; approvals: unknown[] } | null;
}

/** What a customer sees of their own communication: what reached them and what they did, not who approved it or how often it was tried. */
const CUSTOMER_KINDS = new Set<TimelineKind>(['created', 'sent', 'failed', 'delivered', 'bounced', 'opened', 'clicked', 'replied', 'unsubscribed', 'archived']);
const CUSTOMER_DETAIL: Partial<Record<TimelineKind, string[]>> = { clicked: ['url'], replied: ['reference'], bounced: ['bounceType'], archived: ['contentSha256'] };

// the order things happen in, for entries with the same timestamp
const ORDER: TimelineKind[] = ['created', 'approval-refused', 'rejected', 'approved', 'task-completed', 'rendered', 'queued', 'attempt', 'sent', 'failed', 'delivered', 'bounced', 'complained', 'opened', 'clicked', 'replied', 'unsubscribed', 'archived'];
const TRACKED = new Set<string>(['queued', 'sent', 'failed', 'delivered', 'bounced', 'complained', 'opened', 'clicked', 'replied', 'unsubscribed']);

const iso = (d: Date) => d.toISOString();

export function buildTimeline(s: TimelineSources, audience: 'staff' | 'customer'): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const c = s.communication;
  out.push({ at: iso(c.createdAt), kind: 'created', source: 'communications', ...(c.initiatedBy ? { actor: c.initiatedBy } : {}), detail: { templateId: c.templateId } });

  // approvals: the audit trail says who decided and whether segregation of duties let them;
  // a task completed outside the tasklist (no audit row) still shows, from the task itself
  const audited = new Set<string>();
  const taskByKey = new Map(s.tasks.map((t) => [t.key, t]));
  for (const a of s.audit) {
    const task = taskByKey.get(a.subjectId);
    const element = task?.elementId ?? (a.detail.elementId as string | undefined);
    if (a.outcome === 'refused') {
      out.push({ at: iso(a.at), kind: 'approval-refused', source: 'audit_log', actor: a.actor, detail: { task: a.subjectId, elementId: element, rule: a.rule, reason: a.detail.reason, auditId: a.id } });
      continue;
    }
    if (a.outcome !== 'allowed') continue;
    audited.add(a.subjectId);
    out.push({ at: iso(a.at), kind: decisionKind(task?.completionVariables), source: 'audit_log', actor: a.actor, detail: { task: a.subjectId, elementId: element, level: a.detail.level, auditId: a.id } });
  }
  for (const t of s.tasks) {
    if (audited.has(t.key) || t.state !== 'COMPLETED' || !t.completedAt) continue;
    out.push({ at: iso(t.completedAt), kind: decisionKind(t.completionVariables), source: 'tasks', ...(t.completedBy ? { actor: t.completedBy } : {}), detail: { task: t.key, elementId: t.elementId } });
  }
  // nothing in the tasklist (approved through the engine directly): the approvals the archive kept
  if (!s.tasks.length && !s.audit.length && s.archive) {
    for (const a of s.archive.approvals as { by?: string; level?: number; at?: string; approved?: boolean }[]) {
      if (!a?.by || !a.at) continue;
      out.push({ at: iso(new Date(a.at)), kind: a.approved === false ? 'rejected' : 'approved', source: 'communication_archive', actor: a.by, detail: { level: a.level } });
    }
  }

  if (c.renderedAt) out.push({ at: iso(c.renderedAt), kind: 'rendered', source: 'communications', detail: { templateId: c.templateId, templateVersion: c.templateVersion } });

  const tracked = new Set(s.events.map((e) => e.kind));
  for (const e of s.events) {
    if (!TRACKED.has(e.kind)) continue;
    out.push({ at: iso(e.at), kind: e.kind as TimelineKind, source: 'tracking_events', detail: e.meta });
  }
  // a crash between the delivery row and its event leaves the row as the only witness
  if (s.delivery && !tracked.has('queued')) out.push({ at: iso(s.delivery.queuedAt), kind: 'queued', source: 'deliveries', detail: {} });
  if (s.delivery?.sentAt && !tracked.has('sent')) out.push({ at: iso(s.delivery.sentAt), kind: 'sent', source: 'deliveries', detail: { messageId: s.delivery.messageId } });
  for (const a of s.attempts) {
    out.push({
      at: iso(a.startedAt),
      kind: 'attempt',
      source: 'delivery_attempts',
      // no outcome: the process died while the provider may or may not have taken the message
      detail: { attempt: a.attempt, messageId: a.messageId, outcome: a.outcome ?? 'unknown', ...(a.error ? { error: a.error } : {}), ...(a.finishedAt ? { finishedAt: iso(a.finishedAt) } : {}) },
    });
  }
  for (const r of s.replies) out.push({ at: iso(r.createdAt), kind: 'replied', source: 'customer_requests', detail: { requestId: r.id, reference: r.reference } });
  if (s.archive) out.push({ at: iso(s.archive.archivedAt), kind: 'archived', source: 'communication_archive', detail: { contentSha256: s.archive.contentSha256, templateVersion: s.archive.templateVersion } });

  out.sort((a, b) => a.at.localeCompare(b.at) || ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
  if (audience === 'staff') return out;
  return out
    .filter((e) => CUSTOMER_KINDS.has(e.kind))
    .map((e) => ({ at: e.at, kind: e.kind, source: e.source, detail: Object.fromEntries((CUSTOMER_DETAIL[e.kind] ?? []).filter((k) => e.detail[k] !== undefined).map((k) => [k, e.detail[k]])) }));
}

function decisionKind(variables: Record<string, unknown> | null | undefined): TimelineKind {
  if (!variables || !('approved' in variables)) return 'task-completed';
  return variables.approved === false ? 'rejected' : 'approved';
}
