/** The default document store: the `documents` table, one row per content (SHA-256). */
import type { Knex } from 'knex';
import { documentRepository } from '../../storage/repositories/documents.js';
import type { DocumentStore } from './contract.js';

export const DATABASE_STORE_ID = 'herald-db';

export function databaseDocumentStore(db: Knex, now: () => Date = () => new Date()): DocumentStore {
  const repo = documentRepository(db);
  return {
    id: DATABASE_STORE_ID,
    async put(content, meta) {
      const doc = await repo.put({ id: crypto.randomUUID(), sha256: meta.sha256, contentType: meta.contentType, fileName: meta.fileName, content, at: now() });
      return { documentId: doc.id };
    },
    async get(documentId) {
      const doc = await repo.get(documentId);
      return doc ? { content: doc.content, contentType: doc.contentType, fileName: doc.fileName } : undefined;
    },
  };
}
