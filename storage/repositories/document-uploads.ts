/** Uploaded files: who uploaded which document under which name, for which customer and request. */
import type { Knex } from 'knex';

export interface DocumentUpload {
  id: string;
  storeId: string;
  documentId: string;
  sha256: string;
  contentType: string;
  fileName: string;
  size: number;
  customerId: string | null;
  uploadedBy: string;
  requestId: string | null;
  createdAt: string;
}

type Row = Record<string, any>;
const toUpload = (r: Row): DocumentUpload => ({
  id: r.id,
  storeId: r.store_id,
  documentId: r.document_id,
  sha256: r.sha256,
  contentType: r.content_type,
  fileName: r.file_name,
  size: Number(r.size),
  customerId: r.customer_id ?? null,
  uploadedBy: r.uploaded_by,
  requestId: r.request_id ?? null,
  createdAt: new Date(r.created_at).toISOString(),
});

export function documentUploadRepository(db: Knex) {
  return {
    async create(u: Omit<DocumentUpload, 'createdAt' | 'requestId'>, at: Date): Promise<DocumentUpload> {
      const row = { id: u.id, store_id: u.storeId, document_id: u.documentId, sha256: u.sha256, content_type: u.contentType, file_name: u.fileName, size: u.size, customer_id: u.customerId, uploaded_by: u.uploadedBy, request_id: null, created_at: at };
      await db('document_uploads').insert(row);
      return toUpload(row);
    },
    async get(id: string): Promise<DocumentUpload | undefined> {
      const row = (await db('document_uploads').where({ id }).first()) as Row | undefined;
      return row ? toUpload(row) : undefined;
    },
    async many(ids: string[]): Promise<DocumentUpload[]> {
      if (!ids.length) return [];
      return ((await db('document_uploads').whereIn('id', ids)) as Row[]).map(toUpload);
    },
    /** A request's attachments, in the order they were uploaded. */
    async forRequest(requestId: string): Promise<DocumentUpload[]> {
      return ((await db('document_uploads').where({ request_id: requestId }).orderBy([{ column: 'created_at' }, { column: 'id' }])) as Row[]).map(toUpload);
    },
    /** Attaches uploads to a request; answers how many were still free (an upload is attached once). */
    async attach(ids: string[], requestId: string, at: Date): Promise<number> {
      if (!ids.length) return 0;
      return db('document_uploads').whereIn('id', ids).whereNull('request_id').update({ request_id: requestId, attached_at: at });
    },
  };
}

export type DocumentUploadRepository = ReturnType<typeof documentUploadRepository>;
