/** Delivery failures: retryable ones are technical (try again later), the rest need a person. */
import type { Channel } from './types.js';

export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly channel: Channel,
    readonly retryable: boolean,
    readonly details: {
      status?: number;
      code?: string;
      retryAfterMs?: number;
      cause?: unknown;
      /** The provider may have accepted the message although the call failed (a timeout, a connection lost mid-request). */
      ambiguous?: boolean;
      /** The provider of a failover channel that failed. */
      provider?: string;
    } = {},
  ) {
    super(message);
  }
}

/** A control character (CR/LF...) where a header is built: refused, never sanitised into something else. */
export class HeaderInjectionError extends DeliveryError {
  override name = 'HeaderInjectionError';
  constructor(
    readonly field: string,
    channel: Channel = 'email',
  ) {
    super(`${field} contains a line break or control character; refusing to build the message`, channel, false, { code: 'HEADER_INJECTION' });
  }
}

export class InvalidRecipientError extends DeliveryError {
  override name = 'InvalidRecipientError';
  constructor(
    readonly field: string,
    reason: string,
    channel: Channel,
  ) {
    super(`${field} ${reason}`, channel, false, { code: 'INVALID_RECIPIENT' });
  }
}
