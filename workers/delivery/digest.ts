/**
 * Digests and frequency caps at send time (issue #19; docs/delivery.md, "Digests and frequency
 * caps"). Queueing a payment demand holds it until its digest window closes (the window opened by
 * the first demand held for the same customer and channel, measured on the delivery clock). When
 * a held demand's job runs, it merges every demand still held for that customer and channel:
 * one transaction locks them, creates the `payment-digest` communication (rendered from the
 * approved template, one row per invoice from the invoices table) with its delivery row, and marks
 * each part `digested` with the digest's id. So a crash before the commit leaves every part held
 * (the next run merges them again) and a crash after it leaves a queued digest that a restart
 * sends; no part is sent on its own once merged and none is left out.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from '../../config/log.js';
import { capFor, capVerdict, DIGEST_TEMPLATE, isCapped, isDigestible, type FrequencyCap } from '../../domain/communications/digest.js';
import { compileUncached, MissingPlaceholderError, renderMessage } from '../../domain/templates/index.js';
import { checkContract, dataContract } from '../../domain/templates/contract.js';
import { dueFacts, dueStanding, language } from '../../domain/templates/facts.js';
import { expandRepeatedRows } from '../../domain/templates/repeat.js';
import type { CompiledTemplate, TemplateVersion } from '../../domain/templates/types.js';
import { communicationRepository } from '../../storage/communications.js';
import { customerRepository } from '../../storage/customers.js';
import { digestRepository, type HeldPart } from '../../storage/digests.js';
import { templateRepository } from '../../storage/templates.js';
import { brandFromSender, buildMessageData } from '../message-data.js';
import { disputeHold } from '../../domain/communications/dispute-hold.js';
import { disputeState } from '../../storage/disputes.js';
import { sendGate } from './consent.js';
import { JobDeferred } from './queue.js';

export interface DigestSettings {
  /** How long a payment demand waits for others to merge with (0 or unset: no digests). */
  digestWindowMs?: number;
  /** The cap for customers without their own (unset: none). */
  frequencyCap?: FrequencyCap;
}

/** Test-only: called inside the merge's transaction once the parts are claimed, and again after it committed. */
export type DigestFault = (stage: 'claimed' | 'committed', digestId: string) => void | Promise<void>;

export type MergeOutcome = { merged: false } | { merged: true; digestId: string; created: boolean };

export function createDigests(deps: { db: Knex; settings: DigestSettings & { from: { name: string; address: string }; baseUrl: string }; now(): Date; log: Logger; fault?: DigestFault }) {
  const { db, settings, log } = deps;
  // MJML runs once per version, locale and number of rows
  const compiled = new Map<string, Promise<CompiledTemplate>>();
  const compile = (v: TemplateVersion, rows: number) => {
    const key = `${v.templateId}\u0000${v.version}\u0000${v.locale}\u0000${rows}`;
    let c = compiled.get(key);
    if (!c) {
      c = compileUncached(expandRepeatedRows(v, { invoices: rows }));
      c.catch(() => compiled.delete(key));
      compiled.set(key, c);
    }
    return c;
  };
  const company = brandFromSender(`${settings.from.name} <${settings.from.address}>`);

  /** The digest of these invoices for this customer: subject, HTML, text and the data it was filled with. */
  async function render(tx: Knex.Transaction, customerId: string, channel: string, invoiceIds: string[]) {
    const customers = customerRepository(tx);
    const customer = await customers.get(customerId);
    if (!customer) throw new Error(`customer ${customerId} is not in the customer master`);
    const version = await templateRepository(tx).usable(DIGEST_TEMPLATE, customer.locale);
    if (!version || language(version.locale) !== language(customer.locale)) return undefined;
    const now = deps.now();
    const invoices = [];
    for (const id of invoiceIds) {
      const invoice = await customers.invoice(id);
      if (!invoice) continue;
      const due = dueFacts(invoice.dueAt, now);
      // an invoice not yet due is never called overdue: "(in 23 days)", "(7 days overdue)"
      invoices.push({ id, number: invoice.number, amount: invoice.amount, currency: invoice.currency, dueDate: invoice.dueAt, daysOverdue: due.daysOverdue, standing: dueStanding(due, customer.locale) });
    }
    const base = await buildMessageData({ db: tx as unknown as Knex, now: deps.now, baseUrl: settings.baseUrl, company }, { customerId, channel, templateId: DIGEST_TEMPLATE }, customer.locale);
    const data = { ...base.data, digest: { count: invoices.length }, invoices };
    const template = await compile(version, invoices.length);
    const missing = checkContract(dataContract(template), data);
    if (missing.length) throw new MissingPlaceholderError(`${version.templateId} v${version.version} (${version.locale})`, missing[0]);
    return { version, data, rendered: renderMessage(template, data, { locale: version.locale }) };
  }

  return {
    /**
     * At queueing: a payment demand joins the digest window open for its customer and channel, or
     * opens one. Returns when it may go (undefined: not held).
     */
    async hold(communicationId: string): Promise<Date | undefined> {
      const window = settings.digestWindowMs ?? 0;
      if (window <= 0) return undefined;
      const c = await communicationRepository(db).get(communicationId);
      if (!c || !isDigestible(c)) return undefined;
      const now = deps.now();
      const repo = digestRepository(db);
      const until = (await repo.openWindow(c.customerId, c.channel, now)) ?? new Date(now.getTime() + window);
      await repo.setHold(communicationId, until);
      await communicationRepository(db).addEvent(communicationId, 'held', now, { until: until.toISOString(), reason: 'digest window' }, 'held');
      return until;
    },

    /** The parts a digest carried (none: not a digest). */
    parts: (digestId: string) => digestRepository(db).parts(digestId),

    /** How long a queued delivery still waits for its digest window (0: not held, or closed). */
    async heldForMs(communicationId: string): Promise<number> {
      const row = (await db('deliveries').where({ communication_id: communicationId }).first('hold_until', 'state')) as { hold_until: unknown; state: string } | undefined;
      if (!row?.hold_until || row.state !== 'queued') return 0;
      return Math.max(0, new Date(row.hold_until as string).getTime() - deps.now().getTime());
    },

    /**
     * A held demand whose window closed: merges it with every demand still held for its customer
     * and channel. Not merged when it is the only one, concerns no invoice, or no approved digest
     * template is in the customer's language (then it goes on its own, and that is logged).
     */
    async merge(communicationId: string): Promise<MergeOutcome> {
      const repo = digestRepository(db);
      const own = await communicationRepository(db).get(communicationId);
      if (!own) return { merged: false };
      const candidates = await repo.held(own.customerId, own.channel);
      if (!candidates.some((p) => p.communicationId === communicationId)) {
        const row = (await db('deliveries').where({ communication_id: communicationId }).first('digest_id')) as { digest_id: string | null } | undefined;
        return row?.digest_id ? { merged: true, digestId: row.digest_id, created: false } : { merged: false };
      }
      // a part that would not go on its own (its invoice disputed, the customer opted out) is left
      // to its own job, which withholds or suppresses it; it is not merged
      const parts: (HeldPart & { invoiceId: string })[] = [];
      for (const p of candidates) {
        const invoiceId = await repo.invoiceIdOf(p);
        if (!invoiceId) continue;
        if (p.communicationId !== communicationId) {
          if (disputeHold(p.templateId, await disputeState(db, invoiceId))) continue;
          if ((await sendGate(db, p.communicationId, p.channel, deps.now())).action === 'suppress') continue;
        }
        parts.push({ ...p, invoiceId });
      }
      if (parts.length < 2 || !parts.some((p) => p.communicationId === communicationId)) {
        await repo.setHold(communicationId, null);
        return { merged: false };
      }
      const digestId = randomUUID();
      const at = deps.now();
      const outcome = await db.transaction(async (tx): Promise<Extract<MergeOutcome, { merged: true }> | 'alone'> => {
        const t = digestRepository(tx);
        const locked = new Set(await t.lockHeld(parts.map((p) => p.communicationId)));
        if (!locked.has(communicationId)) {
          // another merge claimed it between the read and the lock
          const row = (await tx('deliveries').where({ communication_id: communicationId }).first('digest_id')) as { digest_id: string | null } | undefined;
          return row?.digest_id ? { merged: true, digestId: row.digest_id, created: false } : 'alone';
        }
        const claimed = parts.filter((p) => locked.has(p.communicationId));
        if (claimed.length < 2) return 'alone';
        const invoiceIds = [...new Set(claimed.map((p) => p.invoiceId))];
        const digest = await render(tx, own.customerId, own.channel, invoiceIds);
        if (!digest) {
          log.warn({ communicationId, template: DIGEST_TEMPLATE }, 'no approved digest template in the customer’s language: the demand goes on its own');
          return 'alone';
        }
        const comms = communicationRepository(tx);
        const ids = claimed.map((p) => p.communicationId);
        await comms.ensure({ id: digestId, customerId: own.customerId, templateId: DIGEST_TEMPLATE, channel: own.channel, kind: 'dunning', data: { parts: ids, invoiceIds, topic: 'reminders' }, initiatedBy: 'herald-digest' });
        await comms.saveRendered(digestId, { templateVersion: digest.version.version, ...digest.rendered, data: digest.data });
        await tx('deliveries').insert({ communication_id: digestId, channel: own.channel, state: 'queued' });
        await tx('deliveries').whereIn('communication_id', ids).update({ state: 'digested', digest_id: digestId, hold_until: null });
        for (const id of ids) {
          await comms.setStatus(id, 'digested');
          await comms.addEvent(id, 'digested', at, { digestId, parts: ids.length }, 'digested');
        }
        await comms.addEvent(digestId, 'queued', at, { parts: ids, invoices: invoiceIds.length }, 'queued');
        await deps.fault?.('claimed', digestId);
        return { merged: true, digestId, created: true };
      });
      if (outcome === 'alone') {
        await repo.setHold(communicationId, null);
        return { merged: false };
      }
      if (outcome.created) {
        log.info({ digestId: outcome.digestId, channel: own.channel, customerId: own.customerId }, 'payment demands merged into one digest');
        await deps.fault?.('committed', outcome.digestId);
      }
      return outcome;
    },

    /**
     * The frequency cap, checked and counted in one transaction per customer (its row locked), so
     * concurrent sends cannot both take the last slot. A message already counted (a retry) is not
     * counted again. Throws JobDeferred until the next slot frees.
     */
    async takeCapSlot(communicationId: string, channel: string): Promise<void> {
      const c = (await db('communications').where({ id: communicationId }).first('customer_id', 'kind')) as { customer_id: string; kind: string } | undefined;
      if (!c || !isCapped(c.kind)) return;
      const now = deps.now();
      const verdict = await db.transaction(async (tx) => {
        const row = (await tx('deliveries').where({ communication_id: communicationId }).first('counted_at')) as { counted_at: unknown } | undefined;
        if (row?.counted_at) return { send: true } as const;
        const cap = capFor(await digestRepository(tx).caps(c.customer_id), channel, settings.frequencyCap);
        if (!cap) return { send: true } as const;
        await tx('customers').where({ id: c.customer_id }).forUpdate().first('id');
        const v = capVerdict(await digestRepository(tx).counted(c.customer_id, channel, new Date(now.getTime() - cap.windowMs)), cap, now);
        if (v.send) await tx('deliveries').where({ communication_id: communicationId }).update({ counted_at: now });
        return v;
      });
      if (verdict.send) return;
      await communicationRepository(db).addEvent(communicationId, 'deferred', now, { until: verdict.until.toISOString(), reason: verdict.reason }, `capped-${verdict.until.toISOString()}`);
      throw new JobDeferred(verdict.until.getTime() - now.getTime(), verdict.reason);
    },
  };
}

export type Digests = ReturnType<typeof createDigests>;
