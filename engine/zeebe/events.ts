/**
 * EngineEvents on Zeebe: nothing is pushed to clients, so new incidents and ended instances are
 * polled from secondary storage while someone listens (every `pollMs`, eventually consistent).
 *
 * Each poll asks only for what happened since a watermark (incidents by `creationTime`, ended
 * instances by `endDate`, both sorted ascending) and reads every page of the answer with the
 * API's cursor (`page.after` = the previous `endCursor`), one page in memory at a time: a burst
 * of 5,000 incidents is reported whole, not cut at the first 1,000.
 *
 * Secondary storage receives each partition's records on its own schedule, so a record can show
 * up with a timestamp a little behind ones already seen. The watermark therefore trails the
 * newest timestamp seen by `overlapMs`, and the keys already reported are remembered in a
 * capped set (`RecentKeys`, `memory` keys, oldest forgotten first) so the overlap is not
 * reported twice. State is bounded by `memory` keys per feed whatever the volume; only if more
 * than `memory` records fall inside one overlap window can a record be reported twice
 * (at-least-once, as every Zeebe client sees events).
 */
import type { Logger } from '../../config/log.js';
import type { EngineEvents } from '../types.js';
import { instanceState, toIncident, toInstanceRef } from './records.js';
import { NOW, type ZeebeRest } from './rest.js';

export interface EventFeedOptions {
  pollMs?: number;
  /** How far behind the newest timestamp seen the next poll starts (ms). Default 60,000. */
  overlapMs?: number;
  /** Keys remembered per feed to skip the overlap. Default 10,000 (about 1 MB). */
  memory?: number;
}

/** A set of recently seen keys with a fixed capacity: adding past it forgets the oldest. */
export class RecentKeys {
  private readonly keys = new Set<string>();
  constructor(readonly capacity: number) {}
  has(key: string): boolean {
    return this.keys.has(key);
  }
  add(key: string): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value as string);
  }
  get size(): number {
    return this.keys.size;
  }
}

export class EventFeed {
  private readonly listeners = new Set<EngineEvents>();
  private readonly pollMs: number;
  private readonly overlapMs: number;
  readonly seenIncidents: RecentKeys;
  readonly seenEnded: RecentKeys;
  private startedAt = Date.now();
  private incidentMark = Date.now();
  private endedMark = Date.now();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private running = false;

  constructor(
    private readonly rest: () => ZeebeRest,
    private readonly log: () => Logger,
    options: EventFeedOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 2000;
    this.overlapMs = options.overlapMs ?? 60_000;
    this.seenIncidents = new RecentKeys(options.memory ?? 10_000);
    this.seenEnded = new RecentKeys(options.memory ?? 10_000);
  }

  subscribe(events: EngineEvents): () => void {
    this.listeners.add(events);
    if (this.running) this.schedule(0);
    return () => {
      this.listeners.delete(events);
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.incidentMark = this.endedMark = Date.now();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  private schedule(ms: number) {
    if (!this.running || this.listeners.size === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.polling = this.poll()
        .catch((err: Error) => this.log().warn({ err: err.message }, 'engine event poll failed; retrying'))
        .finally(() => {
          this.polling = undefined;
          this.schedule(this.pollMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** One round: every new incident and ended instance since the watermarks. */
  async poll(): Promise<void> {
    if ([...this.listeners].some((l) => l.incidentCreated)) await this.pollIncidents();
    if ([...this.listeners].some((l) => l.instanceEnded)) await this.pollEnded();
  }

  private async pollIncidents() {
    const from = new Date(Math.max(this.startedAt, this.incidentMark - this.overlapMs)).toISOString();
    const pages = this.rest().pages('searchIncidents', `incidents created since ${from}`, (api, page) =>
      api.searchIncidents({ filter: { state: 'ACTIVE', creationTime: { $gte: from } }, sort: [{ field: 'creationTime', order: 'ASC' }], page }, NOW),
    );
    for await (const page of pages) {
      for (const r of page) {
        const key = String(r.incidentKey);
        const at = Date.parse(r.creationTime ?? '');
        if (this.seenIncidents.has(key) || !(at >= this.startedAt)) continue;
        this.seenIncidents.add(key);
        this.incidentMark = Math.max(this.incidentMark, at);
        const incident = toIncident(r);
        for (const l of [...this.listeners]) this.deliver(() => l.incidentCreated?.(incident), { incidentKey: key });
      }
    }
  }

  private async pollEnded() {
    const from = new Date(Math.max(this.startedAt, this.endedMark - this.overlapMs)).toISOString();
    const pages = this.rest().pages('searchProcessInstances', `instances ended since ${from}`, (api, page) =>
      api.searchProcessInstances({ filter: { state: { $in: ['COMPLETED', 'TERMINATED'] }, endDate: { $gte: from } }, sort: [{ field: 'endDate', order: 'ASC' }], page }, NOW),
    );
    for await (const page of pages) {
      for (const r of page) {
        const key = String(r.processInstanceKey);
        const at = Date.parse(r.endDate ?? '');
        if (this.seenEnded.has(key) || !(at >= this.startedAt)) continue;
        this.seenEnded.add(key);
        this.endedMark = Math.max(this.endedMark, at);
        const ended = { ...toInstanceRef(r), state: instanceState(r.state) };
        for (const l of [...this.listeners]) this.deliver(() => l.instanceEnded?.(ended), { processInstanceKey: key });
      }
    }
  }

  /** A listener that throws is logged; the others and the feed go on. */
  private deliver(run: () => unknown, context: Record<string, string>) {
    try {
      const result = run() as Promise<unknown> | undefined;
      if (result && typeof result.catch === 'function') result.catch((err: Error) => this.log().error({ err: err.message, ...context }, 'engine event listener failed'));
    } catch (err) {
      this.log().error({ err: (err as Error).message, ...context }, 'engine event listener failed');
    }
  }
}
