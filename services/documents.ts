/**
 * Claim-check documents, as Camunda 8.8's document handling does: a large payload (an attachment,
 * a rendered PDF) is stored once and a process variable carries only its reference, in Camunda's
 * shape (`camunda.document.type`, `storeId`, `documentId`, `contentHash`, `metadata`), so a
 * diagram that passes documents around reads the same on either engine. The engine refuses
 * variables over HERALD_MAX_VARIABLE_BYTES and points here (docs/delivery.md).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../storage/db.js';
import { documentRepository } from '../storage/repositories/documents.js';

export const DOCUMENT_STORE_ID = 'herald-db';

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

export function documentService(db: Db, now: () => Date = () => new Date()) {
  const repo = documentRepository(db);
  return {
    /** Stores the bytes once (the same content twice is one row) and answers the reference to put in a variable. */
    async store(content: Buffer, meta: { contentType: string; fileName?: string }): Promise<DocumentReference> {
      const sha256 = createHash('sha256').update(content).digest('hex');
      const doc = await repo.put({ id: randomUUID(), sha256, contentType: meta.contentType, fileName: meta.fileName, content, at: now() });
      return { 'camunda.document.type': 'camunda', storeId: DOCUMENT_STORE_ID, documentId: doc.id, contentHash: doc.sha256, metadata: { contentType: doc.contentType, ...(doc.fileName ? { fileName: doc.fileName } : {}), size: doc.size } };
    },
    /** The bytes behind a reference, checked against its hash; undefined when there is no such document. */
    async read(ref: DocumentReference | string): Promise<{ content: Buffer; contentType: string; fileName: string | null } | undefined> {
      const doc = await repo.get(typeof ref === 'string' ? ref : ref.documentId);
      if (!doc) return undefined;
      if (typeof ref !== 'string' && ref.contentHash !== doc.sha256) throw new Error(`document ${doc.id}: the reference's content hash does not match the stored content`);
      return { content: doc.content, contentType: doc.contentType, fileName: doc.fileName };
    },
  };
}
