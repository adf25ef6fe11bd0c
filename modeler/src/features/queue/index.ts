/**
 * The delivery queue for engineers: depth per channel (queued, sending, sent, failed), the jobs
 * still queued or sending and those that failed with the provider's error, filtered by state in
 * the URL; refreshed while open. With Redis (BullMQ) it links to bull-board, which shows the
 * queues themselves; with the default in-process queue this screen is the only view there is.
 */
import { get } from '../../core/api.js';
import { clear, explain, field, h, table, when } from '../../core/dom.js';
import type { Feature } from '../../core/feature.js';

interface QueueView {
  backend: 'redis' | 'memory';
  board?: string;
  depth: number;
  channels: { channel: string; queued: number; sending: number; sent: number; failed: number }[];
  jobs: { communicationId: string; channel: string; state: string; attempts: number; error: string | null; queuedAt?: string; sentAt?: string; customerId: string; templateId: string; subject: string | null; processInstanceKey: string | null }[];
}

export const queueFeature: Feature = {
  id: 'queue',
  title: 'Queue',
  route: 'queue',
  roles: ['engineer', 'admin'],
  mount(el) {
    const q = new URLSearchParams(location.hash.split('?')[1] ?? '');
    const state = h('select', { name: 'state', id: 'queue-state' }, [['', 'unfinished and failed'], ['queued', 'queued'], ['sending', 'sending'], ['failed', 'failed'], ['sent', 'sent']].map(([v, label]) => h('option', { value: v, selected: (q.get('state') ?? '') === v }, label)));
    const summary = h('div', { id: 'queue-summary' });
    const jobs = h('div', { id: 'queue-jobs' });
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const load = async () => {
      if (timer) clearTimeout(timer);
      const params = new URLSearchParams();
      if (state.value) params.set('state', state.value);
      const next = `#/queue${params.size ? `?${params}` : ''}`;
      if (location.hash !== next) history.replaceState(null, '', next);
      try {
        const v = await get<QueueView>(`/api/delivery-queue?${params}`);
        if (stopped) return;
        clear(
          summary,
          h(
            'p',
            { class: 'meta', role: 'status' },
            `${v.backend === 'redis' ? 'BullMQ on Redis' : 'In-process queue'} · ${v.depth} job${v.depth === 1 ? '' : 's'} waiting or sending`,
            v.board ? [' · ', h('a', { href: v.board, target: '_blank', rel: 'noopener', id: 'queue-board-link' }, 'Open bull-board ↗')] : null,
          ),
          table(['Channel', 'Queued', 'Sending', 'Sent', 'Failed'], v.channels.map((c) => [c.channel, String(c.queued), String(c.sending), String(c.sent), c.failed ? h('strong', { class: 'error' }, String(c.failed)) : '0']), 'Deliveries per channel'),
        );
        clear(
          jobs,
          v.jobs.length
            ? table(
                ['Communication', 'Channel', 'State', 'Attempts', 'Customer', 'Template', 'Queued', 'Error'],
                v.jobs.map((j) => [
                  h('code', {}, j.communicationId),
                  j.channel,
                  h('span', { class: `state ${j.state === 'failed' ? 'terminated' : 'active'}` }, j.state),
                  String(j.attempts),
                  j.customerId,
                  j.templateId,
                  when(j.queuedAt),
                  j.error ?? '',
                ]),
                `${v.jobs.length} job${v.jobs.length === 1 ? '' : 's'}`,
              )
            : h('p', {}, 'No jobs in this state.'),
        );
      } catch (err) {
        clear(summary, h('p', { class: 'error', role: 'alert' }, explain(err)));
      }
      if (!stopped) timer = setTimeout(() => void load(), 3000);
    };
    state.addEventListener('change', () => void load());
    clear(el, h('h1', {}, 'Delivery queue'), h('form', { class: 'filters', onsubmit: (e: Event) => (e.preventDefault(), void load()) }, field('Jobs', state), h('button', { type: 'submit' }, 'Refresh')), summary, jobs);
    void load();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  },
};
