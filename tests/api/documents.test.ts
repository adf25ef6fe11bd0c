/**
 * Documents over HTTP: a file uploaded as multipart/form-data (one part, `file`) becomes a
 * document; only staff and the customer whose file it is may download it; the size limit and
 * the content-type allow-list answer 413 and 415 naming the limit or the accepted types; a
 * hostile file name never reaches a response header as anything but an escaped name; and the
 * portal attaches uploads to a new request and to a reply, which the request pages list and
 * the process carries as references.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../storage/demo-data.js';
import { REQUEST_RESOURCES, resource } from '../requests/harness.js';
import { dbKinds } from '../support/db.js';
import { startApi, type Api } from './harness.js';

const LIMIT = 64 * 1024;
const pdf = (n = 2048) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(n)]);

/**
 * A multipart/form-data body written out by hand, so that a test can send part headers no
 * well-behaved client would (an RFC 8187 `filename*` whose name holds CR LF, for instance).
 */
function multipart(parts: { name?: string; disposition?: string; type?: string; content: Buffer | string }[]) {
  const boundary = `----herald-test-${randomUUID()}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name ?? 'file'}"${p.disposition ?? '; filename="file.bin"'}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`));
    chunks.push(Buffer.isBuffer(p.content) ? p.content : Buffer.from(p.content));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

describe.each(await dbKinds())('documents API on %s', (kind) => {
  let api: Api;
  const http = () => request(api.app.server);
  const upload = (user: string | undefined, content: Buffer, fileName: string, type: string) => {
    const req = http().post('/api/documents');
    if (user) req.set(api.as(user));
    return req.attach('file', content, { filename: fileName, contentType: type });
  };
  const raw = (user: string, body: ReturnType<typeof multipart>) => http().post('/api/documents').set(api.as(user)).set('content-type', body.contentType).send(body.body);

  beforeAll(async () => {
    api = await startApi(kind, { maxUploadBytes: LIMIT });
    await seedDemoData(api.t.db);
    await api.engine.deploy(REQUEST_RESOURCES.map(resource));
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  describe('upload and download', () => {
    it('stores a customer’s file and serves it back, verified, to them and to staff only', async () => {
      const content = pdf();
      // when acme uploads a PDF
      const res = await upload('acme', content, 'remittance-advice.pdf', 'application/pdf');
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ fileName: 'remittance-advice.pdf', contentType: 'application/pdf', size: content.length, url: `/api/documents/${res.body.id}` });
      expect(res.body.reference).toMatchObject({ 'camunda.document.type': 'camunda', storeId: 'herald-db', contentHash: res.body.sha256, metadata: { fileName: 'remittance-advice.pdf', size: content.length } });
      // then acme downloads the same bytes as an attachment that runs nothing
      const mine = await http().get(res.body.url).set(api.as('acme')).buffer(true).parse((r, cb) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => cb(null, Buffer.concat(parts)));
      });
      expect(mine.status).toBe(200);
      expect((mine.body as Buffer).equals(content)).toBe(true);
      expect(mine.headers['content-type']).toBe('application/pdf');
      expect(mine.headers['content-disposition']).toBe(`attachment; filename="remittance-advice.pdf"; filename*=UTF-8''remittance-advice.pdf`);
      expect(mine.headers['x-content-type-options']).toBe('nosniff');
      expect(mine.headers['content-security-policy']).toContain('sandbox');
      // and staff may read it, another customer hears it does not exist, nobody unsigned gets it
      expect((await http().get(res.body.url).set(api.as('sam'))).status).toBe(200);
      expect((await http().get(res.body.url).set(api.as('carl'))).status).toBe(200);
      const other = await http().get(res.body.url).set(api.as('northwind'));
      expect(other.status).toBe(404);
      expect(other.headers['content-type']).toMatch(/application\/problem\+json/);
      expect((await http().get(res.body.url)).status).toBe(401);
      expect((await http().get(`/api/documents/${randomUUID()}`).set(api.as('sam'))).status).toBe(404);
      // and a staff upload belongs to no customer: customers do not see it
      const staffs = await upload('sam', Buffer.from('internal note\n'), 'note.txt', 'text/plain');
      expect(staffs.status).toBe(201);
      expect((await http().get(staffs.body.url).set(api.as('acme'))).status).toBe(404);
      expect((await http().get(staffs.body.url).set(api.as('alice'))).status).toBe(200);
    });

    it('the same bytes uploaded by two customers are two uploads, each under its own name and owner', async () => {
      const content = pdf();
      const a = await upload('acme', content, 'acme-copy.pdf', 'application/pdf');
      const n = await upload('northwind', content, 'rechnung.pdf', 'application/pdf');
      expect([a.status, n.status]).toEqual([201, 201]);
      expect(n.body.id).not.toBe(a.body.id);
      expect(n.body.reference.documentId).toBe(a.body.reference.documentId);
      expect((await http().get(n.body.url).set(api.as('northwind'))).headers['content-disposition']).toContain('filename="rechnung.pdf"');
      expect((await http().get(a.body.url).set(api.as('northwind'))).status).toBe(404);
    });

    it('refuses a document whose stored bytes were changed since the upload (409, not the bytes)', async () => {
      const res = await upload('acme', Buffer.from('original statement\n'), 'statement.txt', 'text/plain');
      await api.t.db('documents').where({ id: res.body.reference.documentId }).update({ content: Buffer.from('forged statement\n') });
      const got = await http().get(res.body.url).set(api.as('acme'));
      expect(got.status).toBe(409);
      expect(got.body).toMatchObject({ rule: 'integrity', title: expect.stringMatching(/changed in its store/) });
    });
  });

  describe('limits', () => {
    it('413 names the size limit; a file of exactly the limit is accepted', async () => {
      const over = await upload('acme', pdf(LIMIT), 'big.pdf', 'application/pdf');
      expect(over.status).toBe(413);
      expect(over.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(over.body).toMatchObject({ status: 413, field: 'file', limit: LIMIT, title: `file is over the upload limit of 64 KiB (${LIMIT} bytes, HERALD_MAX_UPLOAD_BYTES)` });
      const exact = pdf(LIMIT - 9);
      expect(exact.length).toBe(LIMIT);
      expect((await upload('acme', exact, 'exact.pdf', 'application/pdf')).status).toBe(201);
    });

    it('415 names the accepted types, and refuses a file whose bytes are not what its type says', async () => {
      const html = await upload('acme', Buffer.from('<script>alert(1)</script>'), 'invoice.html', 'text/html');
      expect(html.status).toBe(415);
      expect(html.body).toMatchObject({ field: 'file', rule: 'type-not-allowed', accepted: expect.arrayContaining(['application/pdf', 'image/png', 'text/csv']) });
      expect(html.body.title).toMatch(/files of type text\/html are not accepted; accepted are application\/pdf, image\/png/);
      const disguised = await upload('acme', Buffer.from('<html><script>alert(1)</script></html>'), 'invoice.pdf', 'application/pdf');
      expect(disguised.status).toBe(415);
      expect(disguised.body).toMatchObject({ rule: 'content-mismatch', title: 'invoice.pdf is sent as application/pdf, but its content is not a PDF' });
      const json = await http().post('/api/documents').set(api.as('acme')).send({ file: 'aGVsbG8=' });
      expect(json.status).toBe(415);
      expect(json.body.field).toBe('file');
    });

    it('400 for no file or a file under another part name; 413 for a second file', async () => {
      const wrongName = await raw('acme', multipart([{ name: 'attachment', type: 'text/plain', content: 'x' }]));
      expect(wrongName.status).toBe(400);
      expect(wrongName.body.title).toMatch(/part named "file"/);
      const two = await raw('acme', multipart([{ type: 'text/plain', content: 'a' }, { type: 'text/plain', content: 'b' }]));
      // the first file is read before the second is seen: it is kept, or the request is refused whole
      expect([201, 413]).toContain(two.status);
    });

    it('documents the upload as multipart/form-data with its statuses in the OpenAPI document', async () => {
      const doc = (await http().get('/docs/json')).body;
      const post = doc.paths['/api/documents'].post;
      expect(post.operationId).toBe('postDocuments');
      expect(Object.keys(post.requestBody.content)).toEqual(['multipart/form-data']);
      expect(post.requestBody.content['multipart/form-data'].schema.properties.file).toMatchObject({ type: 'string', format: 'binary' });
      expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['201', '413', '415', '401', '403']));
      expect(doc.paths['/api/documents/{id}'].get.operationId).toBe('getDocumentsById');
    });

    it('is for signed-in staff and customers linked to an account', async () => {
      expect((await upload(undefined, pdf(), 'a.pdf', 'application/pdf')).status).toBe(401);
    });
  });

  describe('hostile file names', () => {
    const roundTrip = async (disposition: string) => {
      const res = await raw('acme', multipart([{ disposition, type: 'text/plain', content: 'hello\n' }]));
      expect(res.status).toBe(201);
      const got = await http().get(res.body.url).set(api.as('acme'));
      expect(got.status).toBe(200);
      return { stored: res.body.fileName as string, header: got.headers['content-disposition'] as string, headers: got.headers };
    };

    it('CR LF in a name cannot add a header: refused in the upload, and escaped if a stored name holds them', async () => {
      // given a name that, written raw into Content-Disposition, would start a Set-Cookie header
      const crlf = await raw('acme', multipart([{ disposition: `; filename*=UTF-8''evil%0D%0ASet-Cookie%3A%20session%3Dstolen%0D%0A%0D%0A.txt`, type: 'text/plain', content: 'hello\n' }]));
      // then the multipart parser does not take it as a file at all
      expect(crlf.status).toBe(400);
      expect(crlf.body.field).toBe('file');
      // and other control characters are dropped from the name
      const controls = await roundTrip(`; filename*=UTF-8''ev%00il%07%1B%7F%C2%85name.txt`);
      expect(controls.stored).toBe('evilname.txt');
      // when a stored name holds CR LF anyway (written by another door, or before this check)
      const { url, id } = (await upload('acme', Buffer.from('x\n'), 'plain.txt', 'text/plain')).body;
      await api.t.db('document_uploads').where({ id }).update({ file_name: 'evil\r\nSet-Cookie: session=stolen\r\n\r\n.txt' });
      const got = await http().get(url).set(api.as('acme'));
      // then the download has no injected header and one escaped Content-Disposition line
      expect(got.status).toBe(200);
      expect(got.headers['set-cookie']).toBeUndefined();
      expect(got.headers['content-disposition']).not.toMatch(/[\r\n]/);
      expect(got.headers['content-disposition']).toBe(`attachment; filename="evilSet-Cookie_ session_stolen.txt"; filename*=UTF-8''evilSet-Cookie%3A%20session%3Dstolen.txt`);
    });

    it('quotes, backslashes and semicolons stay inside the name; paths are cut to the last segment', async () => {
      const quoted = await roundTrip(`; filename="a\\"; filename=\\"x.exe\\";b.txt"`);
      expect(quoted.header).toMatch(/^attachment; filename="[A-Za-z0-9._\-() ]+"; filename\*=UTF-8''[A-Za-z0-9!#$&+.^_`|~%-]+$/);
      const traversal = await roundTrip(`; filename="../../etc/passwd.txt"`);
      expect(traversal.stored).toBe('passwd.txt');
      const windows = await roundTrip(`; filename="C:\\\\Users\\\\x\\\\report.txt"`);
      expect(windows.stored).toBe('report.txt');
    });

    it('bidi overrides and control characters are dropped; non-ASCII names survive in filename*', async () => {
      const bidi = await roundTrip(`; filename*=UTF-8''invoice%E2%80%AEtxt.exe`);
      expect(bidi.stored).toBe('invoicetxt.exe');
      const umlaut = await roundTrip(`; filename*=UTF-8''Rechnung%20M%C3%BCller%20%E2%82%AC.txt`);
      expect(umlaut.stored).toBe('Rechnung Müller €.txt');
      expect(umlaut.header).toBe(`attachment; filename="Rechnung M_ller _.txt"; filename*=UTF-8''Rechnung%20M%C3%BCller%20%E2%82%AC.txt`);
      const empty = await roundTrip(`; filename="..."`);
      expect(empty.stored).toBe('document');
    });
  });

  describe('attachments on customer requests', () => {
    it('a new portal request and a reply carry uploads; the request pages list them and the process holds their references', async () => {
      const first = await upload('acme', pdf(), 'credit-note-request.pdf', 'application/pdf');
      const second = await upload('acme', Buffer.from('line,amount\n1,19600.00\n'), 'lines.csv', 'text/csv');
      // when acme raises a request with both attached
      const raised = await http().post('/api/portal/requests').set(api.as('acme')).send({ subject: `Disputed lines ${randomUUID().slice(0, 6)}`, body: 'See attached', attachments: [first.body.id, second.body.id] });
      expect(raised.status).toBe(201);
      // then the portal page lists them with download links
      const page = await http().get(`/api/portal/requests/${raised.body.reference}`).set(api.as('acme'));
      expect(page.status).toBe(200);
      expect(page.body.attachments.map((a: { fileName: string; url: string }) => [a.fileName, a.url])).toEqual([
        ['credit-note-request.pdf', `/api/documents/${first.body.id}`],
        ['lines.csv', `/api/documents/${second.body.id}`],
      ]);
      // and the staff view lists them too
      const staff = await http().get(`/api/requests/${raised.body.id}`).set(api.as('sam'));
      expect(staff.body.attachments.map((a: { id: string }) => a.id)).toEqual([first.body.id, second.body.id]);
      // and the process carries references, never the bytes
      const row = await api.t.db('customer_requests').where({ id: raised.body.id }).first('process_instance_key');
      const instance = await api.engine.getInstance(String(row.process_instance_key));
      expect(instance?.variables.attachments).toEqual([first.body.reference, second.body.reference]);

      // when acme replies with one more file
      const third = await upload('acme', Buffer.from('more\n'), 'more.txt', 'text/plain');
      const replied = await http().post(`/api/portal/requests/${raised.body.reference}/replies`).set(api.as('acme')).send({ text: 'and one more', attachments: [third.body.id] });
      expect(replied.status).toBe(202);
      const after = await http().get(`/api/portal/requests/${raised.body.reference}`).set(api.as('acme'));
      expect(after.body.attachments.map((a: { fileName: string }) => a.fileName)).toEqual(['credit-note-request.pdf', 'lines.csv', 'more.txt']);
    });

    it('refuses another customer’s upload, an unknown one, and one attached already, naming the field', async () => {
      const acmes = await upload('acme', Buffer.from('acme only\n'), 'acme.txt', 'text/plain');
      const theirs = await http().post('/api/portal/requests').set(api.as('northwind')).send({ subject: 'Frage', attachments: [acmes.body.id] });
      expect(theirs.status).toBe(422);
      expect(theirs.body).toMatchObject({ field: 'body.attachments.0', title: `there is no upload ${acmes.body.id} of yours` });
      const unknown = randomUUID();
      expect((await http().post('/api/portal/requests').set(api.as('acme')).send({ subject: 'x', attachments: [acmes.body.id, unknown] })).body).toMatchObject({ field: 'body.attachments.1' });
      const used = await http().post('/api/portal/requests').set(api.as('acme')).send({ subject: 'first use', attachments: [acmes.body.id] });
      expect(used.status).toBe(201);
      const again = await http().post('/api/portal/requests').set(api.as('acme')).send({ subject: 'second use', attachments: [acmes.body.id] });
      expect(again.status).toBe(422);
      expect(again.body.title).toMatch(/attached to another request already/);
      const notAnId = await http().post('/api/portal/requests').set(api.as('acme')).send({ subject: 'x', attachments: ['../../etc'] });
      expect(notAnId.status).toBe(400);
      expect(notAnId.body.field).toBe('body.attachments.0');
    });
  });
});

describe.each(await dbKinds())('migration 20261208030000_create_document_uploads on %s', (kind) => {
  it('goes down (the table is gone) and up again (uploads can be recorded)', { timeout: 120_000 }, async () => {
    const { migrationSource } = await import('../../migrations/index.js');
    const { openTestDb } = await import('../support/db.js');
    const t = await openTestDb(kind);
    const name = '20261208030000_create_document_uploads';
    try {
      expect(await t.db.schema.hasTable('document_uploads')).toBe(true);
      await t.db.migrate.down({ migrationSource, schemaName: t.schema, name } as never);
      expect(await t.db.schema.hasTable('document_uploads')).toBe(false);
      await t.db.migrate.up({ migrationSource, schemaName: t.schema, name } as never);
      await t.db('document_uploads').insert({ id: randomUUID(), store_id: 'herald-db', document_id: 'd', sha256: '0'.repeat(64), content_type: 'text/plain', file_name: 'a.txt', size: 1, uploaded_by: 'acme', customer_id: 'C-ACME', created_at: new Date() });
      expect(Number((await t.db('document_uploads').count<{ n: string }[]>('* as n'))[0].n)).toBe(1);
    } finally {
      await t.close();
    }
  });
});
