/** Claim-check documents: stored once per content (SHA-256), read back by id. */
import type { Knex } from 'knex';

export interface StoredDocument {
  id: string;
  sha256: string;
  contentType: string;
  fileName: string | null;
  size: number;
  createdAt: string;
}

const toDocument = (r: { id: string; sha256: string; content_type: string; file_name: string | null; size: string | number; created_at: string | Date }): StoredDocument => ({
  id: r.id,
  sha256: r.sha256,
  contentType: r.content_type,
  fileName: r.file_name,
  size: Number(r.size),
  createdAt: new Date(r.created_at).toISOString(),
});

export function documentRepository(db: Knex) {
  return {
    /** Stores the content unless the same bytes are stored already; either way answers the stored document. */
    async put(doc: { id: string; sha256: string; contentType: string; fileName?: string; content: Buffer; at: Date }): Promise<StoredDocument> {
      await db('documents')
        .insert({ id: doc.id, sha256: doc.sha256, content_type: doc.contentType, file_name: doc.fileName ?? null, size: doc.content.length, content: doc.content, created_at: doc.at })
        .onConflict('sha256')
        .ignore();
      const row = await db('documents').where({ sha256: doc.sha256 }).first('id', 'sha256', 'content_type', 'file_name', 'size', 'created_at');
      return toDocument(row);
    },
    async get(id: string): Promise<(StoredDocument & { content: Buffer }) | undefined> {
      const row = await db('documents').where({ id }).first();
      return row ? { ...toDocument(row), content: Buffer.from(row.content) } : undefined;
    },
    async count(): Promise<number> {
      const [row] = await db('documents').count<{ n: string | number }[]>('* as n');
      return Number(row.n);
    },
  };
}
