/**
 * Documents in an S3-compatible bucket (MinIO, AWS S3, Ceph, R2): HERALD_DOCUMENT_STORE=s3.
 * An object per content, keyed by its SHA-256 (`documents/<sha256>`), so the same bytes are one
 * object however often they are stored, and the document id is the hash itself. The client is
 * `minio` (S3 Signature V4, path-style addressing, which MinIO needs); it is imported when this
 * store is made, so a Herald on the database store never loads it. The bucket is created on
 * first use when it does not exist.
 */
import type { Readable } from 'node:stream';
import type { DocumentStore } from './contract.js';

export const S3_STORE_ID = 'herald-s3';

export interface S3StoreOptions {
  /** `http(s)://host[:port]` of the S3 API (HERALD_S3_ENDPOINT). */
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region?: string;
  /** Key prefix inside the bucket; `documents/` unless set. */
  prefix?: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** S3 answers "no such key" as NotFound (HEAD) or NoSuchKey (GET). */
const isMissing = (err: unknown) => ['NotFound', 'NoSuchKey'].includes((err as { code?: string }).code ?? '');

export async function s3DocumentStore(opts: S3StoreOptions): Promise<DocumentStore> {
  const { Client } = await import('minio');
  const url = new URL(opts.endpoint);
  const useSSL = url.protocol === 'https:';
  const region = opts.region ?? 'us-east-1';
  const client = new Client({ endPoint: url.hostname, port: url.port ? Number(url.port) : useSSL ? 443 : 80, useSSL, accessKey: opts.accessKey, secretKey: opts.secretKey, region, pathStyle: true });
  const prefix = opts.prefix ?? 'documents/';
  const key = (sha256: string) => `${prefix}${sha256}`;
  let bucketReady: Promise<void> | undefined;
  const ensureBucket = () =>
    (bucketReady ??= (async () => {
      if (!(await client.bucketExists(opts.bucket))) await client.makeBucket(opts.bucket, region);
    })().catch((err: unknown) => {
      bucketReady = undefined; // the next call tries again
      throw err;
    }));

  return {
    id: S3_STORE_ID,
    async put(content, meta) {
      if (!SHA256.test(meta.sha256)) throw new Error(`s3 document store: "${meta.sha256}" is not a SHA-256 in hex`);
      await ensureBucket();
      const exists = await client.statObject(opts.bucket, key(meta.sha256)).then(
        () => true,
        (err: unknown) => (isMissing(err) ? false : Promise.reject(err)),
      );
      // S3 metadata is ASCII: the file name stays with the upload record, the hash goes with the object
      if (!exists) await client.putObject(opts.bucket, key(meta.sha256), content, content.length, { 'Content-Type': meta.contentType, 'X-Amz-Meta-Sha256': meta.sha256 });
      return { documentId: meta.sha256 };
    },
    async get(documentId) {
      if (!SHA256.test(documentId)) return undefined;
      await ensureBucket();
      try {
        const stat = await client.statObject(opts.bucket, key(documentId));
        const content = await readAll(await client.getObject(opts.bucket, key(documentId)));
        return { content, contentType: String(stat.metaData['content-type'] ?? 'application/octet-stream'), fileName: null };
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },
    async check() {
      await ensureBucket();
    },
  };
}
