import { describe, expect, it } from 'vitest';
import { buildTimeline, type TimelineSources } from '../../domain/tracking/timeline.js';

const at = (s: number) => new Date(Date.UTC(2026, 11, 5, 9, 0, s));

function sources(over: Partial<TimelineSources> = {}): TimelineSources {
  return {
    communication: { id: 'C-1', createdAt: at(0), renderedAt: at(3), initiatedBy: 'sam', templateId: 'invoice-notice', templateVersion: 2 },
    tasks: [],
    audit: [],
    delivery: null,
    attempts: [],
    events: [],
    replies: [],
    archive: null,
    ...over,
  };
}

describe('communication timeline', () => {
  it('orders entries by time, and same-time entries in the order things happen', () => {
    const timeline = buildTimeline(
      sources({
        delivery: { queuedAt: at(4), sentAt: at(5), state: 'sent', messageId: '<C-1@herald.local>' },
        events: [
          { id: 2, kind: 'sent', at: at(5), meta: {} },
          { id: 1, kind: 'queued', at: at(4), meta: {} },
        ],
        attempts: [{ attempt: 1, messageId: '<C-1@herald.local>', startedAt: at(5), outcome: 'sent', error: null, finishedAt: at(5) }],
        archive: { archivedAt: at(5), contentSha256: 'a'.repeat(64), templateVersion: 2, approvals: [] },
      }),
      'staff',
    );
    expect(timeline.map((e) => e.kind)).toEqual(['created', 'rendered', 'queued', 'attempt', 'sent', 'archived']);
  });

  it('shows queued and sent from the delivery row when a crash lost their events, and an open attempt as unknown', () => {
    const timeline = buildTimeline(
      sources({
        delivery: { queuedAt: at(4), sentAt: at(9), state: 'sent', messageId: '<C-1@herald.local>' },
        attempts: [
          { attempt: 1, messageId: '<C-1@herald.local>', startedAt: at(5), outcome: null, error: null, finishedAt: null },
          { attempt: 2, messageId: '<C-1@herald.local>', startedAt: at(8), outcome: 'sent', error: null, finishedAt: at(9) },
        ],
      }),
      'staff',
    );
    expect(timeline.map((e) => [e.kind, e.source])).toEqual([
      ['created', 'communications'],
      ['rendered', 'communications'],
      ['queued', 'deliveries'],
      ['attempt', 'delivery_attempts'],
      ['attempt', 'delivery_attempts'],
      ['sent', 'deliveries'],
    ]);
    expect(timeline[3].detail.outcome).toBe('unknown');
  });

  it('takes approvals from the audit trail, refusals with their rule, and a rejection from the task', () => {
    const timeline = buildTimeline(
      sources({
        tasks: [{ key: '7', elementId: 'approve-level-1', name: 'Approve', state: 'COMPLETED', completedAt: at(2), completedBy: 'alice', completionVariables: { approved: false } }],
        audit: [
          { id: 10, at: at(1), actor: 'sam', subjectId: '7', outcome: 'refused', rule: 'maker-checker', detail: { reason: 'sam initiated it' } },
          { id: 11, at: at(2), actor: 'alice', subjectId: '7', outcome: 'allowed', rule: null, detail: { level: 1 } },
        ],
      }),
      'staff',
    );
    expect(timeline.filter((e) => e.source === 'audit_log').map((e) => [e.kind, e.actor, e.detail.rule ?? e.detail.level])).toEqual([
      ['approval-refused', 'sam', 'maker-checker'],
      ['rejected', 'alice', 1],
    ]);
    // the task is not shown twice
    expect(timeline.filter((e) => e.source === 'tasks')).toEqual([]);
  });

  it('falls back to the approvals the archive kept when the tasklist has none', () => {
    const timeline = buildTimeline(sources({ archive: { archivedAt: at(9), contentSha256: 'b'.repeat(64), templateVersion: 2, approvals: [{ by: 'alice', level: 1, at: at(2).toISOString() }] } }), 'staff');
    expect(timeline.find((e) => e.kind === 'approved')).toMatchObject({ source: 'communication_archive', actor: 'alice' });
  });

  it("gives a customer what reached them and what they did, without who decided or how it was sent", () => {
    const timeline = buildTimeline(
      sources({
        tasks: [{ key: '7', elementId: 'approve-level-1', name: null, state: 'COMPLETED', completedAt: at(2), completedBy: 'alice', completionVariables: { approved: true } }],
        delivery: { queuedAt: at(4), sentAt: at(5), state: 'sent', messageId: '<C-1@herald.local>' },
        attempts: [{ attempt: 1, messageId: '<C-1@herald.local>', startedAt: at(5), outcome: 'sent', error: null, finishedAt: at(5) }],
        events: [
          { id: 1, kind: 'opened', at: at(20), meta: { userAgent: 'Mail/1.0' } },
          { id: 2, kind: 'clicked', at: at(21), meta: { url: 'https://herald.example/portal/' } },
        ],
      }),
      'customer',
    );
    expect(timeline.map((e) => e.kind)).toEqual(['created', 'sent', 'opened', 'clicked']);
    expect(timeline.every((e) => e.actor === undefined)).toBe(true);
    expect(timeline.find((e) => e.kind === 'opened')!.detail).toEqual({});
    expect(timeline.find((e) => e.kind === 'clicked')!.detail).toEqual({ url: 'https://herald.example/portal/' });
  });
});
