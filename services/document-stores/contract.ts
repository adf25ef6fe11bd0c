/**
 * The contract every document store implements: bytes in, bytes out, named by the store's own
 * id. What a store keeps is content only; who uploaded a file, under which name and for which
 * request is Herald's business (storage/repositories/document-uploads.ts), never the store's.
 * Verification is not the store's job either: documentService hashes what a store hands back
 * and refuses bytes that do not match the reference, whichever store they came from.
 */
export interface DocumentStore {
  /** Names the store in references (`storeId`): `herald-db`, `herald-s3`. */
  readonly id: string;
  /**
   * Keeps the bytes unless the same content (by SHA-256) is kept already, and answers the id the
   * store knows them by. Idempotent: storing the same content twice answers the same id.
   */
  put(content: Buffer, meta: { sha256: string; contentType: string; fileName?: string }): Promise<{ documentId: string }>;
  /** The bytes as stored, unverified; undefined when the store has no such document. */
  get(documentId: string): Promise<{ content: Buffer; contentType: string; fileName: string | null } | undefined>;
  /** Answers when the store can be reached (readiness); throws with the reason otherwise. */
  check?(): Promise<void>;
}

/** The bytes a store handed back do not hash to what the reference says: tampered, or a wrong reference. */
export class DocumentIntegrityError extends Error {
  override readonly name = 'DocumentIntegrityError';
}

/** A reference names a store this Herald is not configured for. */
export class UnknownDocumentStoreError extends Error {
  override readonly name = 'UnknownDocumentStoreError';
}
