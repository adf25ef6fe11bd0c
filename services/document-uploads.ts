/**
 * Uploaded files: the one door through which a person's file becomes a document (POST
 * /api/documents) and is attached to a customer request. The bytes go to the configured
 * document store once per content; the upload record keeps whose file it is and its name.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { checkUpload, safeFileName, type UploadVerdict } from '../domain/documents/uploads.js';
import { documentUploadRepository, type DocumentUpload } from '../storage/repositories/document-uploads.js';
import type { DocumentStore } from './document-stores/contract.js';
import { documentService, type DocumentReference } from './documents.js';

export type UploadRefusal = Extract<UploadVerdict, { ok: false }>;

/** The reference a process variable carries for an upload (Camunda's document shape, the upload's own name). */
export function referenceOf(u: DocumentUpload): DocumentReference {
  return { 'camunda.document.type': 'camunda', storeId: u.storeId, documentId: u.documentId, contentHash: u.sha256, metadata: { contentType: u.contentType, fileName: u.fileName, size: u.size } };
}

export function documentUploadService(deps: { db: Knex; store?: DocumentStore; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  const documents = documentService(deps.db, { store: deps.store, now });
  const repo = documentUploadRepository(deps.db);
  return {
    repo,
    /** Checks the type and the bytes, stores them, records the upload; a refusal says why in words. */
    async upload(file: { content: Buffer; declaredType: string | undefined; fileName: string | undefined; uploadedBy: string; customerId: string | null }): Promise<{ ok: true; upload: DocumentUpload } | UploadRefusal> {
      const fileName = safeFileName(file.fileName);
      const verdict = checkUpload(file.declaredType, file.content, fileName);
      if (!verdict.ok) return verdict;
      const ref = await documents.store(file.content, { contentType: verdict.contentType, fileName });
      const upload = await repo.create({ id: randomUUID(), storeId: ref.storeId, documentId: ref.documentId, sha256: ref.contentHash, contentType: verdict.contentType, fileName, size: file.content.length, customerId: file.customerId, uploadedBy: file.uploadedBy }, now());
      return { ok: true, upload };
    },
    /** The upload's bytes, verified against the hash they were uploaded with. */
    async content(u: DocumentUpload): Promise<Buffer | undefined> {
      return (await documents.read(referenceOf(u)))?.content;
    },
    /**
     * Which of `ids` cannot be attached to a request of `customerId`: unknown, another customer's
     * (answered as unknown), or attached already. An empty list means all can.
     */
    async unattachable(ids: string[], customerId: string): Promise<{ index: number; id: string; why: string }[]> {
      const found = new Map((await repo.many(ids)).map((u) => [u.id, u]));
      return ids.flatMap((id, index) => {
        const u = found.get(id);
        if (!u || u.customerId !== customerId) return [{ index, id, why: `there is no upload ${id} of yours` }];
        if (u.requestId) return [{ index, id, why: `upload ${id} (${u.fileName}) is attached to another request already` }];
        if (ids.indexOf(id) !== index) return [{ index, id, why: `upload ${id} is listed twice` }];
        return [];
      });
    },
    /** Attaches the uploads to the request and answers their references, for the process. */
    async attach(ids: string[], requestId: string): Promise<DocumentReference[]> {
      if (!ids.length) return [];
      await repo.attach(ids, requestId, now());
      const attached = (await repo.many(ids)).filter((u) => u.requestId === requestId);
      return ids.flatMap((id) => attached.filter((u) => u.id === id).map(referenceOf));
    },
  };
}

export type DocumentUploadService = ReturnType<typeof documentUploadService>;
