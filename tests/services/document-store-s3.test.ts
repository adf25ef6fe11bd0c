/**
 * The S3 document store against a real S3 server: s3rver, a pure-JavaScript implementation of
 * the S3 REST API, listening on 127.0.0.1 in this process (no mock of the client). Documents
 * go in as objects keyed by their SHA-256; reads hash what the bucket hands back and refuse
 * bytes that were changed behind Herald's back.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'minio';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentIntegrityError, UnknownDocumentStoreError, type DocumentStore } from '../../services/document-stores/contract.js';
import { s3DocumentStore, S3_STORE_ID } from '../../services/document-stores/s3.js';
import { documentService, sha256Of } from '../../services/documents.js';
import { openTestDb, type TestDb } from '../support/db.js';
import request from 'supertest';
import { ConfigError, loadConfig } from '../../config/index.js';
import { createDocumentStore } from '../../services/document-stores/index.js';
import { startApi } from '../api/harness.js';

const KEYS = { accessKey: 'S3RVER', secretKey: 'S3RVER' };

describe('S3 document store (s3rver on 127.0.0.1)', () => {
  let dir: string;
  let server: S3rver;
  let endpoint: string;
  let raw: Client;
  let t: TestDb;
  let store: DocumentStore;
  const bucket = `herald-test-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-s3-'));
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    raw = new Client({ endPoint: '127.0.0.1', port, useSSL: false, ...KEYS, pathStyle: true, region: 'us-east-1' });
    store = await s3DocumentStore({ endpoint, bucket, ...KEYS });
    t = await openTestDb('pglite');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const objectsIn = async (name: string) => {
    const keys: string[] = [];
    for await (const o of raw.listObjectsV2(name, '', true)) keys.push((o as { name: string }).name);
    return keys;
  };

  it('round trip: stores a document once as an object named by its hash, reads it back through the reference', async () => {
    const docs = documentService(t.db, { store });
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(200 * 1024)]);
    // given no bucket yet: the store makes it on first use
    expect(await raw.bucketExists(bucket)).toBe(false);
    // when the same bytes are stored twice under two names
    const a = await docs.store(pdf, { contentType: 'application/pdf', fileName: 'statement-2026-11.pdf' });
    const b = await docs.store(pdf, { contentType: 'application/pdf', fileName: 'copy.pdf' });
    // then they are one object, named by the content's SHA-256, and each reference keeps its own name
    expect(a).toMatchObject({ 'camunda.document.type': 'camunda', storeId: S3_STORE_ID, documentId: sha256Of(pdf), contentHash: sha256Of(pdf), metadata: { contentType: 'application/pdf', fileName: 'statement-2026-11.pdf', size: pdf.length } });
    expect(b.documentId).toBe(a.documentId);
    expect(b.metadata.fileName).toBe('copy.pdf');
    expect(await objectsIn(bucket)).toEqual([`documents/${sha256Of(pdf)}`]);
    const stat = await raw.statObject(bucket, `documents/${sha256Of(pdf)}`);
    expect(stat.size).toBe(pdf.length);
    expect(stat.metaData['content-type']).toBe('application/pdf');
    // and a read answers the same bytes
    const read = await docs.read(a);
    expect(read?.content.equals(pdf)).toBe(true);
    expect(read).toMatchObject({ contentType: 'application/pdf', fileName: 'statement-2026-11.pdf' });
  });

  it('refuses bytes that no longer match the reference (the object was replaced in the bucket)', async () => {
    const docs = documentService(t.db, { store });
    const original = Buffer.from(`invoice dispute evidence ${randomUUID()}\n`);
    const ref = await docs.store(original, { contentType: 'text/plain', fileName: 'evidence.txt' });
    expect((await docs.read(ref))?.content.equals(original)).toBe(true);
    // when someone with access to the bucket swaps the object's bytes
    await raw.putObject(bucket, `documents/${ref.documentId}`, Buffer.from('forged content'), undefined, { 'Content-Type': 'text/plain' });
    // then the read is refused, naming the document and both hashes
    const refused = await docs.read(ref).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DocumentIntegrityError);
    expect((refused as Error).message).toMatch(new RegExp(`document ${ref.documentId} \\(herald-s3\\): the stored content hash does not match.*expected ${ref.contentHash}, got ${sha256Of(Buffer.from('forged content'))}`));
    // and a reference whose hash was altered is refused alike
    const other = await docs.store(Buffer.from('another file'), { contentType: 'text/plain' });
    await expect(docs.read({ ...other, contentHash: '0'.repeat(64) })).rejects.toBeInstanceOf(DocumentIntegrityError);
  });

  it('answers nothing for a document the bucket does not have, and refuses a store it does not use', async () => {
    const docs = documentService(t.db, { store });
    const missing = { 'camunda.document.type': 'camunda' as const, storeId: S3_STORE_ID, documentId: sha256Of(randomBytes(8)), contentHash: 'x', metadata: { contentType: 'text/plain', size: 1 } };
    expect(await docs.read(missing)).toBeUndefined();
    // a key that is not a hash never reaches the bucket
    expect(await store.get('../../etc/passwd')).toBeUndefined();
    await expect(docs.read({ ...missing, storeId: 'herald-gcs' })).rejects.toBeInstanceOf(UnknownDocumentStoreError);
  });

  it('still reads references written to the database before the switch to S3', async () => {
    const before = await documentService(t.db).store(Buffer.from('written while the database was the store'), { contentType: 'text/plain', fileName: 'old.txt' });
    expect(before.storeId).toBe('herald-db');
    const read = await documentService(t.db, { store }).read(before);
    expect(read?.content.toString()).toBe('written while the database was the store');
  });

  it('is what Herald uploads to with HERALD_DOCUMENT_STORE=s3: an upload lands in the bucket, a download is checked against it', { timeout: 180_000 }, async () => {
    // given the store as configured from the environment (and refused without its endpoint)
    expect(() => loadConfig({ HERALD_DOCUMENT_STORE: 's3', HERALD_S3_ACCESS_KEY: 'a', HERALD_S3_SECRET_KEY: 'b' })).toThrow(ConfigError);
    expect(() => loadConfig({ HERALD_DOCUMENT_STORE: 's3', HERALD_S3_ACCESS_KEY: 'a', HERALD_S3_SECRET_KEY: 'b' })).toThrow(/HERALD_S3_ENDPOINT/);
    const apiBucket = `herald-api-${randomUUID().slice(0, 8)}`;
    const config = loadConfig({ HERALD_DOCUMENT_STORE: 's3', HERALD_S3_ENDPOINT: endpoint, HERALD_S3_BUCKET: apiBucket, HERALD_S3_ACCESS_KEY: KEYS.accessKey, HERALD_S3_SECRET_KEY: KEYS.secretKey });
    const api = await startApi('pglite', { followTasks: false, redisUrl: undefined, documentStore: await createDocumentStore(config, t.db) });
    try {
      const content = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(4096)]);
      // when acme uploads a PDF through the API
      const up = await request(api.app.server).post('/api/documents').set(api.as('acme')).attach('file', content, { filename: 'proof-of-payment.pdf', contentType: 'application/pdf' });
      expect(up.status).toBe(201);
      // then it is an object in the configured bucket, and the download answers its bytes
      expect(up.body.reference).toMatchObject({ storeId: S3_STORE_ID, documentId: sha256Of(content) });
      expect(await objectsIn(apiBucket)).toEqual([`documents/${sha256Of(content)}`]);
      const down = await request(api.app.server).get(up.body.url).set(api.as('acme')).buffer(true).parse((r, cb) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => cb(null, Buffer.concat(parts)));
      });
      expect(down.status).toBe(200);
      expect((down.body as Buffer).equals(content)).toBe(true);
      // and when the object is replaced in the bucket, the download is refused
      await raw.putObject(apiBucket, `documents/${sha256Of(content)}`, Buffer.from('%PDF-1.4 forged'), undefined, { 'Content-Type': 'application/pdf' });
      const tampered = await request(api.app.server).get(up.body.url).set(api.as('acme'));
      expect(tampered.status).toBe(409);
      expect(tampered.body.rule).toBe('integrity');
    } finally {
      await api.close();
    }
  });
});
