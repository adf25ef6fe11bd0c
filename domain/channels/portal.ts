/** The customer portal inbox: the message is stored once per communication and shown to the customer. */
import { checkCommunicationId } from './email.js';
import { DeliveryError, InvalidRecipientError } from './errors.js';
import type { ChannelAdapter, DeliveryReceipt, OutboundMessage } from './types.js';

export interface PortalStore {
  /** Stores the message under its communication id; 'exists' when it was stored before. */
  put(communicationId: string, message: OutboundMessage): Promise<'created' | 'exists'>;
}

export function createPortalAdapter(options: { store: PortalStore; now?: () => Date }): ChannelAdapter {
  const now = options.now ?? (() => new Date());
  return {
    channel: 'portal',
    async send(message): Promise<DeliveryReceipt> {
      const id = checkCommunicationId(message.communicationId, 'portal');
      if (!message.recipient.customerId) throw new InvalidRecipientError('recipient.customerId', 'is missing: a portal message belongs to a customer', 'portal');
      try {
        await options.store.put(id, message);
      } catch (e) {
        throw new DeliveryError(`portal inbox store failed: ${(e as Error).message}`, 'portal', true, { cause: e });
      }
      return { channel: 'portal', providerMessageId: `portal:${id}`, acceptedAt: now().toISOString() };
    },
  };
}
