/**
 * Cross-channel failover at send time (#19). A message whose channel cannot carry it (every
 * provider's breaker open, or the address hard-bounced) moves to the first channel the customer
 * consented to for its topic (domain/channels/channel-fallback.ts), once. The move is one
 * conditional update of the communication and its delivery row (the row is unique per
 * communication, so the message then has exactly one channel) with a `failover` event on its
 * timeline; the caller then sends it there under the same id (same Message-ID / idempotency key).
 * The caller only asks when no earlier attempt may have reached a provider of the old channel.
 */
import type { Knex } from 'knex';
import type { Logger } from '../../config/log.js';
import { chooseFallback, FALLBACK_ORDER, type FallbackCandidate } from '../../domain/channels/channel-fallback.js';
import type { ChannelAdapter, FailoverAdapter } from '../../domain/channels/index.js';
import { preferenceVerdict } from '../../domain/channels/preferences.js';
import { communicationRepository, trackingRepository } from '../../storage/communications.js';
import { customerRepository } from '../../storage/customers.js';
import { preferenceRepository } from '../../storage/preferences.js';
import type { ChannelName } from './queue.js';

const isFailover = (a: ChannelAdapter | undefined): a is FailoverAdapter => typeof (a as Partial<FailoverAdapter> | undefined)?.resolve === 'function';

/** Every provider of the channel has its breaker open: nothing may be tried there now. */
export const channelDown = (adapter: ChannelAdapter | undefined): boolean => isFailover(adapter) && adapter.states().length > 0 && adapter.states().every((s) => s.state === 'open');

export function createChannelFallback(deps: { db: Knex; adapters: Record<ChannelName, ChannelAdapter>; configured: (channel: ChannelName) => boolean; now(): Date; log: Logger }) {
  const { db, adapters, log } = deps;
  return {
    channelDown,
    /**
     * Moves the communication from `from` to another consented channel; returns it, or undefined
     * (nothing changes: the message stays where it is and its channel's own rules go on).
     */
    async switchChannel(communicationId: string, from: ChannelName, reason: string): Promise<ChannelName | undefined> {
      const comms = communicationRepository(db);
      const c = await comms.get(communicationId);
      if (!c || !(FALLBACK_ORDER[from] ?? []).length) return undefined;
      // once per message: a second failover would let a message wander between channels
      if ((await comms.events(communicationId)).some((e) => e.kind === 'failover')) return undefined;
      const contacts = await customerRepository(db).contacts(c.customerId);
      const prefs = await preferenceRepository(db).rows(c.customerId);
      const tracking = trackingRepository(db);
      const candidates: FallbackCandidate[] = [];
      for (const channel of FALLBACK_ORDER[from]) {
        const contact = contacts.find((x) => x.channel === channel);
        candidates.push({
          channel,
          address: contact?.address,
          contactConsent: Boolean(contact?.consent),
          consented: preferenceVerdict(prefs, channel, c.kind, c.data).send,
          suppressed: contact ? Boolean(await tracking.suppression(channel, contact.address)) : false,
          unavailable: !deps.configured(channel as ChannelName) || channelDown(adapters[channel as ChannelName]),
        });
      }
      const choice = chooseFallback(from, candidates);
      if ('reasons' in choice) {
        log.info({ communicationId, from, reason, candidates: choice.reasons }, 'no other channel may carry the message: it stays on its channel');
        return undefined;
      }
      const to = choice.channel as ChannelName;
      const moved = await db.transaction(async (tx) => {
        const n = await tx('deliveries').where({ communication_id: communicationId, channel: from }).whereIn('state', ['queued', 'sending']).update({ channel: to, state: 'queued' });
        if (!n) return false;
        await tx('communications').where({ id: communicationId, channel: from }).update({ channel: to, updated_at: deps.now() });
        await communicationRepository(tx).addEvent(communicationId, 'failover', deps.now(), { from, to, reason, ...(choice.passedOver.length ? { passedOver: choice.passedOver } : {}) }, 'failover');
        return true;
      });
      if (!moved) return undefined;
      log.warn({ communicationId, from, to, reason }, 'channel failover: the message goes on another channel the customer consented to');
      return to;
    },
  };
}
