/**
 * One channel over several providers (primary first), each behind its own circuit breaker
 * (cockatiel): opened by consecutive failures or by an error rate, probed again half-open.
 *
 * The rules that keep a message from being sent twice across providers (docs/delivery.md):
 * - every provider gets the same message: the same Message-ID and bytes (email), the same
 *   idempotency key (SMS), so a provider's own de-duplication holds on a retry there;
 * - a provider that certainly did not take the message (a refused connection, an error reply, an
 *   open breaker) is passed over for the next one in the same attempt;
 * - a provider that may have taken it (a timeout, a connection lost mid-request) ends the attempt
 *   without failing over: the next attempt first asks that provider (`resolve`) and fails over
 *   only when it answers "absent"; a provider that cannot be asked is the only one tried again.
 */
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, IsolatedCircuitError, SamplingBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy, type IBreaker } from 'cockatiel';
import { DeliveryError } from './errors.js';
import type { Channel, ChannelAdapter, DeliveryReceipt, OutboundMessage, SendContext } from './types.js';

/** What a provider says about a message it may have been handed: it has it, or it never got it. */
export type ProviderVerdict = 'accepted' | 'absent';

export interface ChannelProvider {
  /** Short, stable name recorded on each attempt: `primary`, `secondary`. */
  name: string;
  adapter: ChannelAdapter;
  /** Asks the provider whether it accepted this message; throws when it cannot be asked. Absent: it cannot be asked at all. */
  lookup?(message: OutboundMessage): Promise<ProviderVerdict>;
}

export interface BreakerSettings {
  /** Opens after this many provider failures in a row (5 unless told). */
  consecutiveFailures?: number;
  /** Also opens when this share of calls failed over `durationMs` (needs `minimumRps`): 0.5 = half. */
  errorRate?: { threshold: number; durationMs: number; minimumRps?: number };
  /** Ms an open breaker waits before it lets one probe through (half-open); 10 s unless told. */
  halfOpenAfterMs?: number;
}

export type BreakerStateName = 'closed' | 'open' | 'half-open' | 'isolated';

export interface ProviderState {
  channel: Channel;
  provider: string;
  state: BreakerStateName;
}

export interface FailoverAdapter extends ChannelAdapter {
  readonly providers: readonly string[];
  states(): ProviderState[];
  /** Asks `provider` about a message an earlier attempt may have left there: 'unknown' when it cannot be asked at all. */
  resolve(provider: string, message: OutboundMessage): Promise<ProviderVerdict | 'unknown'>;
}

export interface FailoverOptions {
  channel: Channel;
  providers: ChannelProvider[];
  breaker?: BreakerSettings;
  /** Told of every breaker transition (logs, metrics). */
  onStateChange?(state: ProviderState): void;
}

const NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/** Opens when either breaker would: consecutive failures, or the error rate over a window. */
class EitherBreaker implements IBreaker {
  constructor(private readonly parts: IBreaker[]) {}
  get state(): unknown {
    return this.parts.map((p) => p.state);
  }
  set state(value: unknown) {
    if (Array.isArray(value)) this.parts.forEach((p, i) => (p.state = value[i]));
  }
  success(state: CircuitState): void {
    for (const p of this.parts) p.success(state);
  }
  failure(state: CircuitState): boolean {
    let open = false;
    for (const p of this.parts) open = p.failure(state) || open;
    return open;
  }
}

/** A provider fault counts against its breaker; a bad message (a refused recipient) does not. */
const providerFault = (e: Error): boolean => e instanceof DeliveryError && (e.retryable || e.details.ambiguous === true);

export function createFailoverAdapter(options: FailoverOptions): FailoverAdapter {
  const { channel } = options;
  if (options.providers.length === 0) throw new Error(`the ${channel} channel needs at least one provider`);
  const names = options.providers.map((p) => p.name);
  if (new Set(names).size !== names.length) throw new Error(`the ${channel} channel names a provider twice: ${names.join(', ')}`);
  const settings = options.breaker ?? {};
  const breakers = new Map<string, CircuitBreakerPolicy>();
  for (const p of options.providers) {
    const parts: IBreaker[] = [new ConsecutiveBreaker(settings.consecutiveFailures ?? 5)];
    if (settings.errorRate) parts.push(new SamplingBreaker({ threshold: settings.errorRate.threshold, duration: settings.errorRate.durationMs, minimumRps: settings.errorRate.minimumRps }));
    const breaker = circuitBreaker(handleWhen(providerFault), { halfOpenAfter: settings.halfOpenAfterMs ?? 10_000, breaker: parts.length === 1 ? parts[0] : new EitherBreaker(parts) });
    breaker.onStateChange((s) => options.onStateChange?.({ channel, provider: p.name, state: NAMES[s] }));
    breakers.set(p.name, breaker);
  }
  const provider = (name: string): ChannelProvider => {
    const p = options.providers.find((x) => x.name === name);
    if (!p) throw new DeliveryError(`the ${channel} channel has no provider "${name}" (it has ${names.join(', ')}); was it removed while a message there was unresolved?`, channel, true, { code: 'UNKNOWN_PROVIDER' });
    return p;
  };

  async function through(p: ChannelProvider, message: OutboundMessage, context: SendContext | undefined): Promise<DeliveryReceipt> {
    const breaker = breakers.get(p.name) as CircuitBreakerPolicy;
    const receipt = await breaker.execute(async () => {
      await context?.starting?.(p.name);
      return p.adapter.send(message);
    });
    return { ...receipt, provider: p.name };
  }

  return {
    channel,
    providers: names,
    states: () => options.providers.map((p) => ({ channel, provider: p.name, state: NAMES[(breakers.get(p.name) as CircuitBreakerPolicy).state] })),

    async resolve(name, message) {
      const p = provider(name);
      if (!p.lookup) return 'unknown';
      try {
        return await p.lookup(message);
      } catch (e) {
        throw new DeliveryError(`${channel} provider ${name} may have accepted communication ${message.communicationId} on an earlier attempt and cannot be asked now (${(e as Error).message}); not failing over until it answers`, channel, true, { code: 'UNRESOLVED', provider: name, cause: e });
      }
    },

    async send(message, context) {
      const candidates = context?.pinned ? [provider(context.pinned)] : options.providers;
      const passed: string[] = [];
      for (const p of candidates) {
        try {
          return await through(p, message, context);
        } catch (e) {
          if (e instanceof BrokenCircuitError || e instanceof IsolatedCircuitError) {
            passed.push(`${p.name}: circuit open`);
            continue;
          }
          if (!(e instanceof DeliveryError)) throw e;
          const ambiguous = e.details.ambiguous === true;
          await context?.failed?.(p.name, e, ambiguous);
          // a refused recipient or message is refused by any provider; a maybe-accepted one must be asked first
          if (!e.retryable || ambiguous) throw new DeliveryError(e.message, channel, e.retryable, { ...e.details, provider: p.name, cause: e });
          passed.push(`${p.name}: ${e.message}`);
        }
      }
      throw new DeliveryError(`no ${channel} provider took communication ${message.communicationId}: ${passed.join('; ')}`, channel, true, { code: 'ALL_PROVIDERS_FAILED' });
    },

    async close() {
      for (const p of options.providers) await p.adapter.close?.();
    },
  };
}

/**
 * Asks a provider's status endpoint about a message: GET `<url>/<key>` answers 200 when the
 * provider has it and 404 when it never got it; anything else (or no answer) throws.
 */
export function httpLookup(url: string, key: (message: OutboundMessage) => string, timeoutMs = 5_000): (message: OutboundMessage) => Promise<ProviderVerdict> {
  return async (message) => {
    const res = await fetch(`${url.replace(/\/$/, '')}/${encodeURIComponent(key(message))}`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status === 200) return 'accepted';
    if (res.status === 404) return 'absent';
    throw new Error(`status endpoint answered ${res.status}`);
  };
}
