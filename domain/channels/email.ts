/**
 * Email through nodemailer. The message is built once into raw bytes, deterministic for a
 * communication (Message-ID from its id, Date from its creation, MIME boundaries from its id),
 * so every attempt hands the server the same bytes and the recipient's client sees one message.
 * SMTP when an SMTP URL is given, otherwise an outbox folder with one .eml per communication.
 */
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { emailLengthProblem } from './email-address.js';
import MailComposer from 'nodemailer/lib/mail-composer';
import { DeliveryError, HeaderInjectionError, InvalidRecipientError } from './errors.js';
import { connectionRefused } from './http.js';
import type { ChannelAdapter, DeliveryReceipt, OutboundMessage } from './types.js';

export interface MailAddress {
  name?: string;
  address: string;
}

export interface EmailAdapterOptions {
  from: MailAddress;
  replyTo?: MailAddress;
  /** smtp://user:pass@host:port or smtps://...; without it messages go to `outboxDir`. */
  smtpUrl?: string;
  outboxDir?: string;
  /** Right-hand side of derived Message-IDs. */
  messageIdDomain?: string;
  now?: () => Date;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/;
const LOCAL = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*";
const DOMAIN = '(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]';
const ADDRESS = new RegExp(`^${LOCAL}@${DOMAIN}$`);
const COMMUNICATION_ID = /^[A-Za-z0-9](?:[A-Za-z0-9_-]|\.(?!\.)){0,199}$/;
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,75}$/;
/** Headers Herald sets itself; a caller cannot override them through `headers`. */
const PROTECTED = new Set(['from', 'to', 'cc', 'bcc', 'sender', 'reply-to', 'subject', 'date', 'message-id', 'mime-version', 'content-type', 'content-transfer-encoding', 'list-unsubscribe', 'list-unsubscribe-post', 'return-path', 'received']);

export function messageIdFor(communicationId: string, domain = 'herald.local'): string {
  return `<${communicationId}@${domain}>`;
}

function noControl(field: string, value: string | undefined): void {
  if (value !== undefined && CONTROL.test(value)) throw new HeaderInjectionError(field);
}

function checkAddress(field: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new InvalidRecipientError(field, 'is missing', 'email');
  noControl(field, value);
  // the RFC 5321 lengths first: the pattern alone let a 234-character local part through
  const tooLong = emailLengthProblem(value);
  if (tooLong) throw new InvalidRecipientError(field, tooLong, 'email');
  if (!ADDRESS.test(value)) throw new InvalidRecipientError(field, `"${value}" is not a single valid email address`, 'email');
  return value;
}

export function checkCommunicationId(id: string, channel: 'email' | 'sms' | 'portal' | 'crm' = 'email'): string {
  if (typeof id !== 'string' || !COMMUNICATION_ID.test(id)) {
    throw new DeliveryError(`communicationId "${String(id).slice(0, 60)}" must be 1-200 letters, digits, "-", "_" or single dots`, channel, false, { code: 'INVALID_MESSAGE' });
  }
  return id;
}

export interface BuiltEmail {
  raw: Buffer;
  sha256: string;
  messageId: string;
  envelope: { from: string; to: string[] };
}

/**
 * The exact bytes of a communication's email. Refuses control characters in every header
 * field (naming it) and anything but one plain address per address field.
 */
export async function buildEmail(message: OutboundMessage, options: Pick<EmailAdapterOptions, 'from' | 'replyTo' | 'messageIdDomain'>): Promise<BuiltEmail> {
  const id = checkCommunicationId(message.communicationId);
  noControl('from.name', options.from.name);
  const from = checkAddress('from.address', options.from.address);
  noControl('replyTo.name', options.replyTo?.name);
  if (options.replyTo) checkAddress('replyTo.address', options.replyTo.address);
  noControl('recipient.name', message.recipient.name);
  const to = checkAddress('recipient.email', message.recipient.email);
  noControl('subject', message.subject);
  const headers: Record<string, string> = { 'X-Herald-Communication-Id': id };
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    noControl(`headers name "${name.replace(CONTROL, '?')}"`, name);
    if (!HEADER_NAME.test(name)) throw new HeaderInjectionError(`headers name "${name}"`);
    noControl(`headers.${name}`, value);
    if (PROTECTED.has(name.toLowerCase())) throw new DeliveryError(`headers.${name} is set by Herald and cannot be overridden`, 'email', false, { code: 'PROTECTED_HEADER' });
    headers[name] = value;
  }
  if (message.kind === 'marketing') {
    // RFC 8058 one-click unsubscribe: only marketing can be unsubscribed from
    const url = message.unsubscribeUrl;
    noControl('unsubscribeUrl', url);
    if (!url || !/^https:\/\/[^\s<>"]+$/i.test(url)) throw new DeliveryError('marketing email needs an https unsubscribeUrl for List-Unsubscribe (RFC 8058)', 'email', false, { code: 'NO_UNSUBSCRIBE' });
    headers['List-Unsubscribe'] = `<${url}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  const date = new Date(message.createdAt);
  if (Number.isNaN(date.getTime())) throw new DeliveryError(`createdAt "${String(message.createdAt)}" is not a date`, 'email', false, { code: 'INVALID_MESSAGE' });
  const messageId = messageIdFor(id, options.messageIdDomain);
  const mail = {
    from: { name: options.from.name ?? '', address: from },
    ...(options.replyTo ? { replyTo: { name: options.replyTo.name ?? '', address: options.replyTo.address } } : {}),
    to: [{ name: message.recipient.name ?? '', address: to }],
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId,
    date,
    headers,
    textEncoding: 'quoted-printable' as const,
    // SMTP carries CRLF: build with it so the archived bytes are the bytes on the wire
    newline: '\r\n',
    // MIME boundaries are random unless given: derive them so that every attempt is byte-identical
    baseBoundary: createHash('sha256').update(id).digest('hex').slice(0, 16),
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  const raw = await new Promise<Buffer>((resolve, reject) => {
    new MailComposer(mail as ConstructorParameters<typeof MailComposer>[0]).compile().build((err, buf) => (err ? reject(err) : resolve(buf)));
  });
  return { raw, sha256: createHash('sha256').update(raw).digest('hex'), messageId, envelope: { from, to: [to] } };
}

const RETRYABLE_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPROTOCOL', 'EAUTH', 'ETLS', 'EMAXLIMIT']);

function smtpError(e: unknown): DeliveryError {
  const err = e as { message?: string; code?: string; responseCode?: number };
  const status = err.responseCode;
  // 5xx from the server is its final word on this message; 4xx and connection trouble are worth another try
  const retryable = status !== undefined ? status < 500 : err.code === undefined || RETRYABLE_CODES.has(err.code);
  // without a reply code the server may have taken the message before the connection went (a
  // "Connection closed" after the final dot looks like one before EHLO); only a refused connection
  // is certain to have sent nothing
  const ambiguous = status === undefined && retryable && !connectionRefused(e);
  return new DeliveryError(`SMTP delivery failed: ${err.message ?? String(e)}`, 'email', retryable, { status, code: err.code, cause: e, ambiguous });
}

export function createEmailAdapter(options: EmailAdapterOptions): ChannelAdapter & { close(): Promise<void> } {
  const now = options.now ?? (() => new Date());
  if (!options.smtpUrl && !options.outboxDir) throw new Error('email adapter needs an smtpUrl or an outboxDir');
  let transport: ReturnType<typeof nodemailer.createTransport> | undefined;

  async function sendSmtp(message: OutboundMessage): Promise<DeliveryReceipt> {
    const built = await buildEmail(message, options);
    transport ??= nodemailer.createTransport(options.smtpUrl);
    try {
      await transport.sendMail({ envelope: built.envelope, raw: built.raw });
    } catch (e) {
      throw smtpError(e);
    }
    return { channel: 'email', providerMessageId: built.messageId, acceptedAt: now().toISOString(), rawSha256: built.sha256, raw: built.raw };
  }

  async function existing(file: string, messageId: string): Promise<DeliveryReceipt | undefined> {
    try {
      const [raw, stat] = await Promise.all([fs.readFile(file), fs.stat(file)]);
      return { channel: 'email', providerMessageId: messageId, acceptedAt: stat.mtime.toISOString(), rawSha256: createHash('sha256').update(raw).digest('hex'), raw };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new DeliveryError(`outbox unreadable: ${(e as Error).message}`, 'email', true, { cause: e });
    }
  }

  async function sendOutbox(message: OutboundMessage): Promise<DeliveryReceipt> {
    const dir = options.outboxDir as string;
    const id = checkCommunicationId(message.communicationId);
    const file = path.join(dir, `${id}.eml`);
    const messageId = messageIdFor(id, options.messageIdDomain);
    const already = await existing(file, messageId);
    if (already) return already;
    const built = await buildEmail(message, options);
    const tmp = path.join(dir, `.${id}.${process.pid}.${randomUUID()}.tmp`);
    try {
      await fs.mkdir(dir, { recursive: true });
      const fh = await fs.open(tmp, 'wx');
      try {
        await fh.writeFile(built.raw);
        await fh.sync();
      } finally {
        await fh.close();
      }
      // link() never replaces: a concurrent attempt that got there first wins, and we report its file
      try {
        await fs.link(tmp, file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') await fs.rename(tmp, file);
      }
    } catch (e) {
      throw new DeliveryError(`outbox write failed: ${(e as Error).message}`, 'email', true, { cause: e });
    } finally {
      await fs.rm(tmp, { force: true });
    }
    const written = await existing(file, messageId);
    if (!written) throw new DeliveryError(`outbox file ${file} vanished after writing`, 'email', true);
    return written;
  }

  return {
    channel: 'email',
    send: (message) => (options.smtpUrl ? sendSmtp(message) : sendOutbox(message)),
    async close() {
      transport?.close();
      transport = undefined;
    },
  };
}
