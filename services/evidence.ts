/**
 * The evidence pack of one communication (issue #19): everything an auditor needs to show what a
 * customer was sent and who approved it, in one ZIP that verifies on its own.
 *
 * - the exact bytes sent (message.eml for email, message.json with the channel's payload
 *   otherwise), read from the immutable archive and checked against the hash recorded at sending;
 * - the template version used, with its approval (who, when);
 * - the data snapshot the message was rendered from, consent at send time, the delivery (provider,
 *   provider message id, attempts) and every tracking event;
 * - every audit row about the communication (approvals first among them) with its id, hash and
 *   link, and the verification of each of those rows against its predecessor and its key;
 * - manifest.json: each file with its SHA-256; README.txt: how to check all this by hand.
 *
 * Pure reads: the route writes the `evidence.export` audit row.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import yazl from 'yazl';
import { entryHash, keyedHash, type AuditKeys, type AuditRow } from '../domain/audit/index.js';
import { createAuditRepository, defaultAuditKeys } from '../storage/repositories/audit.js';
import { APPROVAL_RECORDED } from './controls.js';

export interface EvidenceFile {
  name: string;
  bytes: Buffer;
  sha256: string;
  description: string;
}

/** One audit row's check: its link to the row before it in the chain and its (keyed) hash. */
export interface RowVerification {
  id: number;
  hash: string;
  ok: boolean;
  kind?: 'link' | 'changed' | 'unknown-key';
  reason?: string;
}

export interface EvidenceManifest {
  format: 'herald-evidence/1';
  communicationId: string;
  customerId: string;
  channel: string;
  exportedAt: string;
  exportedBy: string;
  message: { file: string; sha256: string; recordedAtSending: string | null; archived: string | null; sent: boolean; matches: boolean };
  files: { name: string; sha256: string; bytes: number; description: string }[];
  audit: { ok: boolean; rows: RowVerification[] };
}

export interface EvidencePack {
  manifest: EvidenceManifest;
  /** Every file of the pack, manifest.json and README.txt last. */
  files: EvidenceFile[];
}

/** Raised when the exact bytes cannot be produced (sent but not archived yet, or the archive disagrees). */
export class EvidenceUnavailable extends Error {}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const json = <T>(v: unknown, fallback: T): T => (v == null ? fallback : typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const iso = (v: unknown) => (v == null ? null : new Date(v as string).toISOString());
const pretty = (v: unknown) => Buffer.from(`${JSON.stringify(v, null, 2)}\n`);

/**
 * Checks each row on its own against the live chain: its prev_hash is the hash of the row just
 * before it, and its hash recomputes under its key (or as plain SHA-256 for a legacy row).
 * A whole-chain verdict (truncation, checkpoints) is GET /api/audit/verify.
 */
export async function verifyAuditRows(db: Knex, rows: AuditRow[], keys: AuditKeys = defaultAuditKeys()): Promise<RowVerification[]> {
  const out: RowVerification[] = [];
  for (const row of rows) {
    const before = (await db('audit_log').where('id', '<', row.id).orderBy('id', 'desc').first('hash')) as { hash: string } | undefined;
    const base = { id: row.id, hash: row.hash };
    if (row.prevHash !== (before?.hash ?? null)) {
      out.push({ ...base, ok: false, kind: 'link', reason: 'its prev_hash is not the hash of the row before it' });
      continue;
    }
    if (row.keyId === null) {
      const ok = entryHash(row.prevHash, row) === row.hash;
      out.push(ok ? { ...base, ok } : { ...base, ok, kind: 'changed', reason: 'its content does not match its hash' });
      continue;
    }
    const secret = keys.verifying.get(row.keyId);
    if (!secret) {
      out.push({ ...base, ok: false, kind: 'unknown-key', reason: `its key id "${row.keyId}" is not a configured audit key` });
      continue;
    }
    const ok = keyedHash(secret, row.prevHash, { ...row, keyId: row.keyId }) === row.hash;
    out.push(ok ? { ...base, ok } : { ...base, ok, kind: 'changed', reason: 'its content does not match its keyed hash' });
  }
  return out;
}

const README = (m: { communicationId: string; messageFile: string }) => `Herald evidence pack for communication ${m.communicationId}

What is in it
  ${m.messageFile.padEnd(18)} the exact bytes sent (email: the RFC 5322 message as the SMTP server received it;
                     other channels: the payload handed to the channel)
  message.sha256     the SHA-256 of those bytes, in sha256sum format
  template.json      the template id, version and locale used, and that version's approval (who, when)
  data.json          the data snapshot: renderedWith is what the template was filled with (null for
                     messages rendered before Herald recorded it), processData what the process passed
  consent.json       the recipient's consent on the channel at send time, and the consent history
  approvals.json     the approvals of this communication: audit rows approval.recorded (id, hash, link)
  audit.json         every audit row about this communication, and each row's verification
  delivery.json      the delivery: provider, provider message id, Message-ID, every attempt
  events.json        every delivery and tracking event (queued, sent, delivered, opened, clicked, ...)
  digest.json        only for a payment demand merged into a digest: the digest's id and parts, its
                     delivery, and this communication as rendered on its own (never sent alone);
                     the message file then holds the digest's bytes
  manifest.json      every file above with its SHA-256 and size, and the audit verification result

How to verify it
  1. Files: for each entry of manifest.json "files", sha256sum <name> must print its "sha256";
     sha256sum -c message.sha256 checks the message.
  2. The message: manifest.json "message.recordedAtSending" is the hash Herald recorded when the
     provider accepted the message; it equals "message.sha256" ("matches": true).
  3. The approvals: each row in approvals.json is a row of Herald's append-only audit chain. Ask
     Herald for the same ids (GET /api/audit?subjectType=communication&subjectId=${m.communicationId})
     and compare "hash"; GET /api/audit/verify (or herald audit verify --latest) recomputes the
     whole keyed chain, against the newest signed checkpoint kept outside the database.
     manifest.json "audit.rows" is that check done for these rows at export time: each row links
     to the row before it and its HMAC-SHA256 recomputes under the audit key (docs/audit.md).
  4. The export itself is on the audit chain: an evidence.export row for this communication
     whose detail holds the SHA-256 of this pack's manifest.json.
`;

export async function buildEvidencePack(db: Knex, communicationId: string, opts: { exportedBy: string; now?: Date; keys?: AuditKeys }): Promise<EvidencePack | undefined> {
  const c = await db('communications').where({ id: communicationId }).first();
  if (!c) return undefined;
  const [archive, delivery, attempts, events, customer, contact] = await Promise.all([
    db('communication_archive').where({ communication_id: communicationId }).first(),
    db('deliveries').where({ communication_id: communicationId }).first(),
    db('delivery_attempts').where({ communication_id: communicationId }).orderBy('id'),
    db('tracking_events').where({ communication_id: communicationId }).orderBy([{ column: 'at' }, { column: 'id' }]),
    db('customers').where({ id: c.customer_id }).first('id', 'locale'),
    db('customer_contacts').where({ customer_id: c.customer_id, channel: c.channel }).first(),
  ]);
  // a payment demand merged into a digest went out as the digest: its bytes are the digest's (docs/delivery.md)
  const digestId = (delivery?.digest_id as string | null | undefined) ?? null;
  const [digestDelivery, digestArchive, digestParts] = digestId
    ? await Promise.all([
        db('deliveries').where({ communication_id: digestId }).first(),
        db('communication_archive').where({ communication_id: digestId }).first(),
        db('deliveries').where({ digest_id: digestId }).orderBy('communication_id').pluck('communication_id'),
      ])
    : [undefined, undefined, []];
  const sent = digestId ? digestDelivery?.state === 'sent' : delivery?.state === 'sent';
  const sentArchive = digestId ? digestArchive : archive;
  const sentId = digestId ?? communicationId;

  // the exact bytes: the archive keeps them (base64) immutable; the hash recorded at sending must agree
  let message: Buffer;
  if (sentArchive && (sent || !digestId)) {
    message = Buffer.from(sentArchive.raw as string, 'base64');
    if (sha256(message) !== sentArchive.content_sha256) throw new EvidenceUnavailable(`the archive of ${sentId} does not match its own content hash`);
  } else if (sent) {
    throw new EvidenceUnavailable(`communication ${sentId} was sent but is not archived yet; the archive keeps the exact bytes: try again once it is`);
  } else {
    message = Buffer.from(JSON.stringify({ subject: c.subject ?? null, html: c.html ?? null, text: c.text ?? null }));
  }
  const messageSha = sha256(message);
  const recorded = ((digestId ? digestDelivery?.raw_sha256 : delivery?.raw_sha256) as string | null | undefined) ?? null;
  const messageFile = c.channel === 'email' && sent ? 'message.eml' : 'message.json';

  // the template version used and its approval; a version has one row per locale: the customer's language
  const versions = c.template_version == null ? [] : await db('template_versions').where({ template_id: c.template_id, version: c.template_version });
  const lang = String(customer?.locale ?? 'en').split('-')[0];
  const tv = versions.find((v: { locale: string }) => v.locale === customer?.locale) ?? versions.find((v: { locale: string }) => v.locale.split('-')[0] === lang) ?? versions[0];
  const template = {
    templateId: c.template_id,
    version: c.template_version ?? null,
    locale: tv?.locale ?? null,
    kind: tv?.kind ?? null,
    status: tv?.status ?? null,
    author: tv?.author ?? null,
    approval: tv ? { approvedBy: tv.approved_by ?? null, approvedAt: iso(tv.approved_at) } : null,
    subject: tv?.subject ?? null,
    mjml: tv?.mjml ?? null,
    text: tv?.text ?? null,
    dataContract: json(tv?.data_contract, null),
  };

  // consent at send time: the last recorded change at or before sending (the contact as it stands when none)
  const sentAt = delivery?.sent_at ? new Date(delivery.sent_at) : null;
  const history = (await db('customer_consent_events').where({ customer_id: c.customer_id, channel: c.channel }).orderBy([{ column: 'at' }, { column: 'id' }])).map((e: Record<string, unknown>) => ({
    consent: e.consent as boolean,
    marketingConsent: e.marketing_consent as boolean,
    source: e.source as string,
    reason: (e.reason as string | null) ?? null,
    at: iso(e.at)!,
  }));
  const before = sentAt ? history.filter((e) => Date.parse(e.at) <= sentAt.getTime()).at(-1) : history.at(-1);
  const consent = {
    channel: c.channel,
    address: contact?.address ?? null,
    sentAt: iso(sentAt),
    atSend: before
      ? { consent: before.consent, marketingConsent: before.marketingConsent, source: before.source, since: before.at, from: 'customer_consent_events' }
      : contact
        ? { consent: contact.consent as boolean, marketingConsent: contact.marketing_consent as boolean, source: null, since: iso(contact.consent_at), from: 'customer_contacts' }
        : null,
    history,
  };

  const auditRows = await createAuditRepository(db).list({ subjectType: 'communication', subjectId: communicationId, limit: 1000 });
  const approvals = auditRows.filter((r) => r.action === APPROVAL_RECORDED);
  const verification = await verifyAuditRows(db, auditRows, opts.keys);

  const deliveryDoc = delivery
    ? {
        channel: delivery.channel,
        state: delivery.state,
        trackingStatus: delivery.tracking_status ?? null,
        provider: delivery.provider ?? null,
        providerMessageId: delivery.provider_message_id ?? null,
        messageId: delivery.message_id ?? null,
        queuedAt: iso(delivery.queued_at),
        sentAt: iso(delivery.sent_at),
        rawSha256: recorded,
        error: delivery.error ?? null,
        attempts: attempts.map((a: Record<string, unknown>) => ({
          attempt: Number(a.attempt),
          provider: (a.provider as string | null) ?? null,
          messageId: (a.message_id as string | null) ?? null,
          startedAt: iso(a.started_at),
          finishedAt: iso(a.finished_at),
          outcome: (a.outcome as string | null) ?? null,
          error: (a.error as string | null) ?? null,
        })),
      }
    : null;
  const eventsDoc = events.map((e: Record<string, unknown>) => ({ id: Number(e.id), kind: e.kind, at: iso(e.at), providerEventId: (e.provider_event_id as string | null) ?? null, meta: json(e.meta, {}) }));
  // what the template was filled with (recorded at rendering since 20261207224500; null before), and the process's own data
  const data = { renderedWith: json<Record<string, unknown> | null>(c.rendered_data, null), processData: archive ? json(archive.data_snapshot, {}) : json(c.data, {}) };

  const file = (name: string, bytes: Buffer, description: string): EvidenceFile => ({ name, bytes, sha256: sha256(bytes), description });
  const digestDoc = digestId
    ? {
        digestId,
        parts: digestParts,
        state: digestDelivery?.state ?? null,
        provider: digestDelivery?.provider ?? null,
        providerMessageId: digestDelivery?.provider_message_id ?? null,
        messageId: digestDelivery?.message_id ?? null,
        sentAt: iso(digestDelivery?.sent_at),
        rawSha256: digestDelivery?.raw_sha256 ?? null,
        ownContent: { subject: c.subject ?? null, html: c.html ?? null, text: c.text ?? null },
      }
    : null;
  const files: EvidenceFile[] = [
    file(messageFile, message, sent ? (digestId ? `the exact bytes sent: digest ${digestId}, which carried this communication` : 'the exact bytes sent') : 'the rendered content (never sent)'),
    file('message.sha256', Buffer.from(`${messageSha}  ${messageFile}\n`), 'SHA-256 of the message, sha256sum format'),
    file('template.json', pretty(template), "the template version used and that version's approval"),
    file('data.json', pretty(data), 'the data snapshot the message was rendered from'),
    file('consent.json', pretty(consent), 'consent on the channel at send time, and its history'),
    file('approvals.json', pretty(approvals), 'audit rows approval.recorded for this communication'),
    file('audit.json', pretty({ rows: auditRows, verification }), 'every audit row about this communication and its verification'),
    file('delivery.json', pretty(deliveryDoc), 'provider, provider message id and every attempt'),
    file('events.json', pretty(eventsDoc), 'every delivery and tracking event'),
    ...(digestDoc ? [file('digest.json', pretty(digestDoc), 'the digest this communication was merged into: its id, every part, its delivery, and this communication as rendered on its own')] : []),
  ];
  const readme = file('README.txt', Buffer.from(README({ communicationId, messageFile })), 'how to verify this pack');
  const manifest: EvidenceManifest = {
    format: 'herald-evidence/1',
    communicationId,
    customerId: c.customer_id,
    channel: c.channel,
    exportedAt: (opts.now ?? new Date()).toISOString(),
    exportedBy: opts.exportedBy,
    message: { file: messageFile, sha256: messageSha, recordedAtSending: recorded, archived: (archive?.content_sha256 as string | undefined) ?? null, sent, matches: !sent || recorded === null || recorded === messageSha },
    files: [...files, readme].map((f) => ({ name: f.name, sha256: f.sha256, bytes: f.bytes.length, description: f.description })),
    audit: { ok: verification.every((v) => v.ok), rows: verification },
  };
  return { manifest, files: [...files, readme, file('manifest.json', pretty(manifest), 'this list')] };
}

/** The pack as a ZIP (every entry stamped with the export time, so the same pack zips the same). */
export function zipEvidence(pack: EvidencePack): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const mtime = new Date(pack.manifest.exportedAt);
  const folder = `evidence-${pack.manifest.communicationId.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  for (const f of pack.files) zip.addBuffer(f.bytes, `${folder}/${f.name}`, { mtime });
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}
