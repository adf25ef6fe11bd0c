/**
 * Claim-check documents, as Camunda 8.8's document handling does: a large payload (an attachment,
 * a rendered PDF) is stored once and a process variable carries only its reference, in Camunda's
 * shape (`camunda.document.type`, `storeId`, `documentId`, `contentHash`, `metadata`), so a
 * diagram that passes documents around reads the same on either engine. The engine refuses
 * variables over HERALD_MAX_VARIABLE_BYTES and points here (docs/delivery.md).
 *
 * The bytes live in a document store (services/document-stores): the database by default, an
 * S3-compatible bucket with HERALD_DOCUMENT_STORE=s3. `storeId` names the store a reference was
 * written to, so references written before a switch still read. Every read hashes the bytes the
 * store hands back and refuses them unless they match the reference's `contentHash`.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../storage/db.js';
import { documentRepository } from '../storage/repositories/documents.js';
import { databaseDocumentStore, DATABASE_STORE_ID } from './document-stores/database.js';
import { DocumentIntegrityError, UnknownDocumentStoreError, type DocumentStore } from './document-stores/contract.js';

/** The database store's id: references written before there was a choice of store carry it. */
export const DOCUMENT_STORE_ID = DATABASE_STORE_ID;

export interface DocumentReference {
  'camunda.document.type': 'camunda';
  storeId: string;
  documentId: string;
  contentHash: string;
  metadata: { contentType: string; fileName?: string; size: number };
}

export function isDocumentReference(value: unknown): value is DocumentReference {
  const v = value as Partial<DocumentReference> | null;
  return typeof v === 'object' && v !== null && v['camunda.document.type'] === 'camunda' && typeof v.documentId === 'string';
}

export const sha256Of = (content: Buffer) => createHash('sha256').update(content).digest('hex');

export function documentService(db: Db, options: { store?: DocumentStore; now?: () => Date } = {}) {
  const database = databaseDocumentStore(db, options.now);
  const store = options.store ?? database;
  // reads reach the store a reference names: the configured one, and the database (older references)
  const stores = new Map<string, DocumentStore>([[database.id, database], [store.id, store]]);
  return {
    /** The store new documents go to. */
    target: store,
    /** Stores the bytes once (the same content twice is one document) and answers the reference to put in a variable. */
    async store(content: Buffer, meta: { contentType: string; fileName?: string }): Promise<DocumentReference> {
      const contentHash = sha256Of(content);
      const { documentId } = await store.put(content, { sha256: contentHash, contentType: meta.contentType, fileName: meta.fileName });
      // the name is the caller's: the same bytes stored by someone else under another name do not rename them
      return { 'camunda.document.type': 'camunda', storeId: store.id, documentId, contentHash, metadata: { contentType: meta.contentType, ...(meta.fileName ? { fileName: meta.fileName } : {}), size: content.length } };
    },
    /**
     * The bytes behind a reference, hashed and compared with the reference's `contentHash` (a
     * mismatch throws DocumentIntegrityError); undefined when the store has no such document. A bare
     * id is a document of the database store, checked against the hash it was stored under.
     */
    async read(ref: DocumentReference | string): Promise<{ content: Buffer; contentType: string; fileName: string | null } | undefined> {
      if (typeof ref === 'string') {
        const doc = await documentRepository(db).get(ref);
        if (!doc) return undefined;
        verify(doc.content, doc.sha256, ref, database.id);
        return { content: doc.content, contentType: doc.contentType, fileName: doc.fileName };
      }
      const from = stores.get(ref.storeId);
      if (!from) throw new UnknownDocumentStoreError(`document ${ref.documentId} is in store '${ref.storeId}', which this Herald does not use (HERALD_DOCUMENT_STORE; stores here: ${[...stores.keys()].join(', ')})`);
      const doc = await from.get(ref.documentId);
      if (!doc) return undefined;
      verify(doc.content, ref.contentHash, ref.documentId, ref.storeId);
      return { content: doc.content, contentType: ref.metadata.contentType, fileName: ref.metadata.fileName ?? null };
    },
  };
}

function verify(content: Buffer, expected: string, documentId: string, storeId: string): void {
  const actual = sha256Of(content);
  if (actual !== expected) throw new DocumentIntegrityError(`document ${documentId} (${storeId}): the stored content hash does not match the reference's content hash (expected ${expected}, got ${actual}); refused`);
}

export type DocumentService = ReturnType<typeof documentService>;
