/**
 * Inbound email: an SMTP listener that turns each message into a customer request.
 *
 * - A reply whose In-Reply-To or References names a Herald Message-ID
 *   (`<communicationId@herald.local>`) is linked to that communication and its customer; when
 *   that communication asked the customer for data on a request that is waiting, the reply is
 *   passed to that request instead of opening a new one.
 * - Otherwise the sender's address is looked up among the customers' email contacts.
 * - Unknown senders still get a request, without a customer: the process sends it to triage.
 *
 * Invoice numbers the text mentions (e.g. 2026-0142) are matched against the customer's invoices.
 */
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { Knex } from 'knex';
import type { Logger } from '../../config/log.js';
import type { RequestService } from '../../services/requests.js';

export interface InboundEmailOptions {
  db: Knex;
  service: RequestService;
  log: Logger;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Largest message accepted, bytes. */
  maxBytes?: number;
  /** The domain of Herald's own Message-IDs. */
  messageIdDomain?: string;
}

export interface InboundResult {
  requestId: string;
  reference: string;
  kind: 'new-request' | 'customer-reply';
  customerId: string | null;
  communicationId: string | null;
}

const CHANNEL_SUFFIX = /^(.+)-(ack|info|result)-\d+(-\d+)?$/;

export function inboundEmailHandler(options: Pick<InboundEmailOptions, 'db' | 'service' | 'messageIdDomain'>) {
  const domain = (options.messageIdDomain ?? 'herald.local').toLowerCase();
  const { db, service } = options;

  function heraldIds(mail: ParsedMail): string[] {
    const refs = [mail.inReplyTo ?? '', ...(Array.isArray(mail.references) ? mail.references : mail.references ? [mail.references] : [])].join(' ');
    const ids: string[] = [];
    for (const m of refs.matchAll(/<([^<>@\s]+)@([^<>\s]+)>/g)) if (m[2].toLowerCase() === domain) ids.push(m[1]);
    return ids;
  }

  return async function handle(mail: ParsedMail): Promise<InboundResult> {
    const from = mail.from?.value[0]?.address?.toLowerCase() ?? null;
    const subject = (mail.subject ?? '(no subject)').trim();
    const text = (mail.text ?? '').trim();
    let communication: { id: string; customer_id: string } | undefined;
    for (const id of heraldIds(mail)) {
      communication = await db('communications').where({ id }).first('id', 'customer_id');
      if (communication) break;
    }
    let customerId = communication?.customer_id ?? null;
    if (!customerId && from) {
      const contact = await db('customer_contacts').where({ channel: 'email' }).whereRaw('lower(address) = ?', [from]).first('customer_id');
      customerId = contact?.customer_id ?? null;
    }
    let invoiceId: string | null = null;
    if (customerId) {
      for (const m of `${subject} ${text}`.matchAll(/\b(\d{4}-\d{3,6})\b/g)) {
        const invoice = await db('invoices').where({ customer_id: customerId, number: m[1] }).first('id');
        if (invoice) {
          invoiceId = invoice.id;
          break;
        }
      }
    }
    // a reply to a request's own message, while that request waits on the customer
    const requestId = communication ? CHANNEL_SUFFIX.exec(communication.id)?.[1] : undefined;
    const waiting = requestId ? await service.repo.get(requestId) : undefined;
    if (waiting && waiting.status === 'waiting_customer') {
      await service.customerReply(waiting.id, { text: `${subject}\n\n${text}`, invoiceId: invoiceId ?? undefined, from: from ?? undefined });
      return { requestId: waiting.id, reference: waiting.reference, kind: 'customer-reply', customerId, communicationId: communication!.id };
    }
    const created = await service.submit({
      customerId,
      invoiceId,
      intakeChannel: 'email',
      subject,
      body: text,
      requestedBy: null,
      communicationId: communication?.id ?? null,
      customerEmail: from,
      replyChannel: 'email',
    });
    return { requestId: created.id, reference: created.reference, kind: 'new-request', customerId, communicationId: communication?.id ?? null };
  };
}

/** Starts the listener; resolves once it accepts connections. */
export async function startInboundEmail(options: InboundEmailOptions): Promise<{ port: number; close(): Promise<void>; received: InboundResult[] }> {
  const handle = inboundEmailHandler(options);
  const log = options.log.child({ component: 'inbound-email' });
  const received: InboundResult[] = [];
  const serverOptions: SMTPServerOptions = {
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: options.maxBytes ?? 10 * 1024 * 1024,
    banner: 'Herald inbound',
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) throw Object.assign(new Error('message too large'), { responseCode: 552 });
          const result = await handle(mail);
          received.push(result);
          log.info({ request: result.requestId, kind: result.kind }, 'inbound email accepted');
          callback(null, `queued as ${result.reference}`);
        })
        .catch((err: Error & { responseCode?: number }) => {
          log.error({ err }, 'inbound email refused');
          callback(Object.assign(new Error(err.responseCode ? err.message : 'message could not be processed'), { responseCode: err.responseCode ?? 451 }));
        });
    },
  };
  const server = new SMTPServer(serverOptions);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 2525, options.host ?? '127.0.0.1', () => resolve());
  });
  server.on('error', (err) => log.error({ err }, 'smtp server error'));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 2525);
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
