import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { buildEmail, createEmailAdapter, DeliveryError, HeaderInjectionError, InvalidRecipientError, messageIdFor, type OutboundMessage } from '../../domain/channels/index.js';

interface Arrival {
  raw: Buffer;
  from: string;
  to: string[];
}

const arrivals: Arrival[] = [];
let server: SMTPServer;
let smtpUrl: string;

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const rcpt = session.envelope.rcptTo.map((r) => r.address);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        arrivals.push({ raw: Buffer.concat(chunks), from, to: rcpt });
        // a recipient the test marks as refused gets a permanent 550
        if (rcpt.some((r) => r.startsWith('refuse'))) return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  smtpUrl = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const from = { name: 'Northwind Receivables', address: 'receivables@northwind.example' };

function message(over: Partial<OutboundMessage> = {}): OutboundMessage {
  const communicationId = `comm-${randomUUID()}`;
  return {
    communicationId,
    idempotencyKey: communicationId,
    recipient: { name: 'Dana Whitfield', email: 'dana@contoso.example' },
    subject: 'Invoice INV-2025-0142: $19,600.00 due March 31, 2025',
    text: 'Dear Dana,\nyour invoice of $19,600.00 is due.\n',
    html: '<p>Dear Dana, your invoice of <b>$19,600.00</b> is due.</p>',
    kind: 'transactional',
    createdAt: '2025-03-01T09:00:00.000Z',
    ...over,
  };
}

const arrivalsFor = (id: string) => arrivals.filter((a) => a.raw.toString('latin1').includes(`<${id}@herald.local>`));

describe('email over SMTP (a real smtp-server on 127.0.0.1)', () => {
  it('delivers subject, from/to, text and html parts and the derived Message-ID', async () => {
    // given an adapter pointed at the local server
    const adapter = createEmailAdapter({ from, smtpUrl });
    const m = message();
    // when the communication is sent
    const receipt = await adapter.send(m);
    await adapter.close();
    // then exactly what arrived is what the receipt describes
    const [arrival] = arrivalsFor(m.communicationId);
    expect(arrival.from).toBe('receivables@northwind.example');
    expect(arrival.to).toEqual(['dana@contoso.example']);
    const parsed = await simpleParser(arrival.raw);
    expect(parsed.subject).toBe(m.subject);
    expect(parsed.from?.value).toEqual([{ name: 'Northwind Receivables', address: 'receivables@northwind.example' }]);
    expect(parsed.to && !Array.isArray(parsed.to) && parsed.to.value).toEqual([{ name: 'Dana Whitfield', address: 'dana@contoso.example' }]);
    expect(parsed.text).toBe(m.text);
    expect(parsed.html).toContain('<b>$19,600.00</b>');
    expect(parsed.messageId).toBe(messageIdFor(m.communicationId));
    expect(parsed.date?.toISOString()).toBe('2025-03-01T09:00:00.000Z');
    expect(parsed.headers.has('list')).toBe(false);
    expect(receipt).toMatchObject({ channel: 'email', providerMessageId: `<${m.communicationId}@herald.local>` });
    expect(receipt.rawSha256).toBe(createHash('sha256').update(arrival.raw).digest('hex'));
  });

  it('sends the same bytes on every attempt of one communication', async () => {
    const adapter = createEmailAdapter({ from, smtpUrl });
    const m = message();
    // when the same communication is attempted twice (a retry after a crash)
    const first = await adapter.send(m);
    const second = await adapter.send({ ...m });
    await adapter.close();
    // then both arrivals are byte-identical and carry one Message-ID
    const got = arrivalsFor(m.communicationId);
    expect(got).toHaveLength(2);
    expect(got[0].raw.equals(got[1].raw)).toBe(true);
    expect(first.rawSha256).toBe(second.rawSha256);
    expect(first.raw?.equals(got[0].raw)).toBe(true);
  });

  it('adds RFC 8058 one-click unsubscribe headers to marketing email only', async () => {
    const adapter = createEmailAdapter({ from, smtpUrl });
    const m = message({ kind: 'marketing', unsubscribeUrl: 'https://herald.example/u/tok123' });
    await adapter.send(m);
    const dunning = message({ kind: 'dunning', unsubscribeUrl: 'https://herald.example/u/tok456' });
    await adapter.send(dunning);
    await adapter.close();
    const parsed = await simpleParser(arrivalsFor(m.communicationId)[0].raw);
    // mailparser folds List-* headers into one structured "list" header
    expect(parsed.headers.get('list')).toEqual({ unsubscribe: { url: 'https://herald.example/u/tok123' }, 'unsubscribe-post': { name: 'List-Unsubscribe=One-Click' } });
    expect(arrivalsFor(m.communicationId)[0].raw.toString()).toContain('List-Unsubscribe: <https://herald.example/u/tok123>');
    expect(arrivalsFor(dunning.communicationId)[0].raw.toString()).not.toMatch(/List-Unsubscribe/i);
    await expect(createEmailAdapter({ from, smtpUrl }).send(message({ kind: 'marketing' }))).rejects.toThrow(/unsubscribeUrl/);
  });

  it('refuses header injection in display names, addresses, subject and headers; nothing reaches the server', async () => {
    const adapter = createEmailAdapter({ from, smtpUrl });
    const before = arrivals.length;
    const cases: [Partial<OutboundMessage>, string][] = [
      [{ recipient: { name: 'Dana\r\nBcc: victim@evil.example', email: 'dana@contoso.example' } }, 'recipient.name'],
      [{ recipient: { name: 'Dana', email: 'dana@contoso.example\r\nBcc: victim@evil.example' } }, 'recipient.email'],
      [{ subject: 'Invoice\nBcc: victim@evil.example' }, 'subject'],
      [{ subject: 'Invoice\u0000' }, 'subject'],
      [{ headers: { 'X-Ref': 'a\r\nBcc: victim@evil.example' } }, 'headers.X-Ref'],
    ];
    for (const [over, field] of cases) {
      const e = await adapter.send(message(over)).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(HeaderInjectionError);
      expect((e as HeaderInjectionError).field).toBe(field);
      expect((e as DeliveryError).retryable).toBe(false);
    }
    const fromInjection = await createEmailAdapter({ from: { name: 'X\r\nBcc: a@evil.example', address: from.address }, smtpUrl }).send(message()).catch((err: unknown) => err);
    expect((fromInjection as HeaderInjectionError).field).toBe('from.name');
    // addresses that would smuggle a second recipient or are not addresses at all
    for (const email of ['dana@contoso.example, victim@evil.example', 'Dana <dana@contoso.example>', 'dana', '"a"@b.example']) {
      const e = await adapter.send(message({ recipient: { email } })).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(InvalidRecipientError);
      expect((e as InvalidRecipientError).field).toBe('recipient.email');
    }
    await expect(adapter.send(message({ headers: { 'Message-ID': '<x@y>' } }))).rejects.toThrow(/set by Herald/);
    await adapter.close();
    expect(arrivals.length).toBe(before);
  });

  it('classifies a 550 from the server as permanent', async () => {
    const adapter = createEmailAdapter({ from, smtpUrl });
    const e = await adapter.send(message({ recipient: { email: 'refuse@contoso.example' } })).catch((err: unknown) => err);
    await adapter.close();
    expect(e).toBeInstanceOf(DeliveryError);
    expect((e as DeliveryError).retryable).toBe(false);
  });

  it('classifies an unreachable server as retryable', async () => {
    const adapter = createEmailAdapter({ from, smtpUrl: 'smtp://127.0.0.1:1' });
    const e = await adapter.send(message()).catch((err: unknown) => err);
    await adapter.close();
    expect(e).toBeInstanceOf(DeliveryError);
    expect((e as DeliveryError).retryable).toBe(true);
  });
});

describe('email to the outbox folder', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'herald-outbox-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one .eml per communication, and a second send is a no-op with the same receipt', async () => {
    // given an adapter without SMTP
    const adapter = createEmailAdapter({ from, outboxDir: dir });
    const m = message();
    // when the communication is sent twice, the second time with different content
    const first = await adapter.send(m);
    const second = await adapter.send({ ...m, subject: 'changed' });
    // then one file named by the communication holds the first message, and both receipts match
    const files = (await readdir(dir)).filter((f) => f.includes(m.communicationId));
    expect(files).toEqual([`${m.communicationId}.eml`]);
    const raw = await readFile(path.join(dir, files[0]));
    expect(second).toEqual(first);
    expect(first.rawSha256).toBe(createHash('sha256').update(raw).digest('hex'));
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(m.subject);
    expect(parsed.messageId).toBe(`<${m.communicationId}@herald.local>`);
    // and no temp file is left behind
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('gives concurrent attempts one file', async () => {
    const adapter = createEmailAdapter({ from, outboxDir: dir });
    const m = message();
    const receipts = await Promise.all([adapter.send(m), adapter.send(m), adapter.send(m)]);
    expect(new Set(receipts.map((r) => r.rawSha256)).size).toBe(1);
    expect((await readdir(dir)).filter((f) => f.includes(m.communicationId))).toHaveLength(1);
  });

  it('refuses a communication id that would leave the folder', async () => {
    const adapter = createEmailAdapter({ from, outboxDir: dir });
    await expect(adapter.send(message({ communicationId: '../escape' }))).rejects.toThrow(/communicationId/);
  });

  it('builds identical bytes for identical input without sending', async () => {
    const m = message();
    const a = await buildEmail(m, { from });
    const b = await buildEmail({ ...m }, { from });
    expect(a.raw.equals(b.raw)).toBe(true);
    expect(a.messageId).toBe(`<${m.communicationId}@herald.local>`);
  });
});
